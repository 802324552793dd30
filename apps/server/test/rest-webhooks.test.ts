import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { ISO_MS, expectError, expectFields, idOf } from './helpers.js';

const WEBHOOK_FIELDS = ['id', 'url', 'description', 'events', 'enabled', 'disabledReason', 'failingSince', 'previousSecretExpiresAt', 'createdAt', 'updatedAt'];
const DELIVERY_FIELDS = ['id', 'webhookId', 'eventId', 'eventType', 'status', 'attempt', 'responseStatus', 'durationMs', 'error', 'lastAttemptAt', 'nextAttemptAt', 'createdAt'];

let server: TestServer;
let strict: TestServer;
let cookie: string;
const received: Array<{ headers: Record<string, string>; body: string }> = [];
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers as Record<string, string>, body });
    res.writeHead(200).end();
  });
});
let hookUrl: string;

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  server = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  strict = await startTestServer();
  ({ cookie } = await signUp(server, 'hooks@example.com', 'hooks-ws'));
});
afterAll(async () => {
  await server?.close();
  await strict?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

async function until<T>(get: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/v1/webhooks', () => {
  it('create answers 201 with the secret once; the server delivers on its own, verifiable with standardwebhooks', async () => {
    const created = await call(server, 'POST', '/v1/webhooks', { cookie, body: { url: hookUrl, events: ['api_key.created'], description: 'ci' } });
    expect(created.status).toBe(201);
    expectFields(created.body, [...WEBHOOK_FIELDS, 'secret']);
    expect(created.body).toMatchObject({ id: expect.stringMatching(idOf('whk')), url: hookUrl, description: 'ci', events: ['api_key.created'], enabled: true, disabledReason: null });
    expect(created.body.secret).toMatch(/^whsec_/);
    expect(created.body.createdAt).toMatch(ISO_MS);
    const one = await call(server, 'GET', `/v1/webhooks/${created.body.id}`, { cookie });
    expectFields(one.body, WEBHOOK_FIELDS);
    const list = await call(server, 'GET', '/v1/webhooks', { cookie });
    expect(list.body).toEqual([one.body]);
    expect(JSON.stringify(list.body)).not.toContain('whsec_');

    const before = received.length;
    const key = await createKey(server, cookie, 'delivered');
    const got = await until(
      async () => received.slice(before),
      (r) => r.length > 0,
    );
    expect(got).toHaveLength(1);
    const event = new Webhook(created.body.secret).verify(got[0]!.body, got[0]!.headers) as { type: string; data: { id: string } };
    expect(event).toMatchObject({ type: 'api_key.created', data: { id: key.id, name: 'delivered' } });
    const log = await until(
      () => call(server, 'GET', `/v1/webhooks/${created.body.id}/deliveries`, { cookie }),
      (r) => r.body.data[0]?.status === 'succeeded',
    );
    expect(log.body.nextCursor).toBeNull();
    expectFields(log.body.data[0], DELIVERY_FIELDS);
    expect(log.body.data[0]).toMatchObject({ eventType: 'api_key.created', status: 'succeeded', attempt: 1, responseStatus: 200, nextAttemptAt: null, error: null, eventId: got[0]!.headers['webhook-id'] });
    expect(log.body.data[0].durationMs).toBeGreaterThanOrEqual(0);
  });

  it('PATCH changes fields; test answers 202; rotate-secret returns a new secret with the overlap; redeliver answers 202; DELETE', async () => {
    const { id } = (await call(server, 'POST', '/v1/webhooks', { cookie, body: { url: hookUrl, events: ['*'] } })).body;
    const patched = await call(server, 'PATCH', `/v1/webhooks/${id}`, { cookie, body: { events: ['agent.online', 'agent.offline'], description: 'presence', enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['agent.online', 'agent.offline'], description: 'presence', enabled: false, disabledReason: 'manual' });
    expectError(await call(server, 'POST', `/v1/webhooks/${id}/test`, { cookie }), 409, 'webhook_disabled');
    expect((await call(server, 'PATCH', `/v1/webhooks/${id}`, { cookie, body: { enabled: true, description: null } })).body).toMatchObject({ enabled: true, description: null });

    const tested = await call(server, 'POST', `/v1/webhooks/${id}/test`, { cookie });
    expect(tested.status).toBe(202);
    expectFields(tested.body, DELIVERY_FIELDS);
    expect(tested.body).toMatchObject({ webhookId: id, eventType: 'webhook.test', status: 'pending', attempt: 0 });

    const rotated = await call(server, 'POST', `/v1/webhooks/${id}/rotate-secret`, { cookie });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - Date.now()).toBeGreaterThan(86_390_000);
    expect((await call(server, 'POST', `/v1/webhooks/${id}/rotate-secret`, { cookie, body: { overlapSeconds: 0 } })).body.previousSecretExpiresAt).toBeNull();
    expectError(await call(server, 'POST', `/v1/webhooks/${id}/rotate-secret`, { cookie, body: { overlapSeconds: 604_801 } }), 400, 'invalid_request');

    const again = await call(server, 'POST', `/v1/webhooks/${id}/deliveries/${tested.body.id}/redeliver`, { cookie });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ eventId: tested.body.eventId, status: 'pending' });
    expectError(await call(server, 'POST', `/v1/webhooks/${id}/deliveries/whd_nope/redeliver`, { cookie }), 404, 'not_found');

    expect((await call(server, 'DELETE', `/v1/webhooks/${id}`, { cookie })).body).toEqual({ success: true });
    expectError(await call(server, 'GET', `/v1/webhooks/${id}`, { cookie }), 404, 'not_found');
    expectError(await call(server, 'DELETE', `/v1/webhooks/${id}`, { cookie }), 404, 'not_found');
  });

  it.each([
    [{ events: ['*'] }, 'url'],
    [{ url: 'not a url', events: ['*'] }, 'url'],
    [{ url: 'ftp://example.com/x', events: ['*'] }, 'url'],
    [{ url: 'https://user:pw@example.com/x', events: ['*'] }, 'url'],
    [{ url: 'https://example.com/x#frag', events: ['*'] }, 'url'],
    [{ url: 'https://example.com/x' }, 'events'],
    [{ url: 'https://example.com/x', events: [] }, 'events'],
    [{ url: 'https://example.com/x', events: ['api_key.nope'] }, 'events.0'],
    [{ url: 'https://example.com/x', events: ['*', 'agent.online'] }, 'events'],
    [{ url: 'https://example.com/x', events: ['*'], description: 'x'.repeat(201) }, 'description'],
  ])('POST %j is 400 naming %s, and creates nothing', async (body, path) => {
    const before = (await call(server, 'GET', '/v1/webhooks', { cookie })).body.length;
    const res = await call(server, 'POST', '/v1/webhooks', { cookie, body });
    expectError(res, 400, 'invalid_request');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    expect((await call(server, 'GET', '/v1/webhooks', { cookie })).body.length).toBe(before);
  });

  it('PATCH with nothing to change is 400', async () => {
    const { id } = (await call(server, 'POST', '/v1/webhooks', { cookie, body: { url: hookUrl, events: ['*'] } })).body;
    expectError(await call(server, 'PATCH', `/v1/webhooks/${id}`, { cookie, body: {} }), 400, 'invalid_request');
    expectError(await call(server, 'PATCH', `/v1/webhooks/${id}`, { cookie, body: { enabled: 'yes' } }), 400, 'invalid_request');
  });

  it('without WEBHOOK_ALLOW_PRIVATE_TARGETS: https only, and no loopback or private targets', async () => {
    const { cookie: c } = await signUp(strict, 'strict@example.com', 'strict-ws');
    for (const url of [hookUrl, 'https://127.0.0.1/x', 'https://localhost/x', 'https://10.0.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x']) {
      const res = await call(strict, 'POST', '/v1/webhooks', { cookie: c, body: { url, events: ['*'] } });
      expectError(res, 400, 'invalid_request');
      expect(res.body.details).toEqual([{ path: 'url', message: expect.any(String) }]);
    }
    expect((await call(strict, 'GET', '/v1/webhooks', { cookie: c })).body).toEqual([]);
  });

  it('are session-only: an API key gets 403 session_required; another workspace gets 404', async () => {
    const { id } = (await call(server, 'POST', '/v1/webhooks', { cookie, body: { url: hookUrl, events: ['*'] } })).body;
    const key = await createKey(server, cookie, 'not-for-hooks');
    for (const [method, path] of [
      ['GET', '/v1/webhooks'],
      ['POST', '/v1/webhooks'],
      ['GET', `/v1/webhooks/${id}`],
      ['PATCH', `/v1/webhooks/${id}`],
      ['DELETE', `/v1/webhooks/${id}`],
      ['POST', `/v1/webhooks/${id}/rotate-secret`],
      ['POST', `/v1/webhooks/${id}/test`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
    ] as const) {
      expectError(await call(server, method, path, { apiKey: key.key, body: method === 'GET' || method === 'DELETE' ? undefined : {} }), 403, 'session_required');
    }
    const { cookie: other } = await signUp(server, 'intruder@example.com', 'intruder-ws');
    expectError(await call(server, 'GET', `/v1/webhooks/${id}`, { cookie: other }), 404, 'not_found');
    expectError(await call(server, 'PATCH', `/v1/webhooks/${id}`, { cookie: other, body: { enabled: false } }), 404, 'not_found');
    expectError(await call(server, 'GET', `/v1/webhooks/${id}/deliveries`, { cookie: other }), 404, 'not_found');
    expect((await call(server, 'GET', `/v1/webhooks/${id}`, { cookie })).body.enabled).toBe(true);
  });

  it('a cross-site PATCH is refused', async () => {
    const { id } = (await call(server, 'POST', '/v1/webhooks', { cookie, body: { url: hookUrl, events: ['*'] } })).body;
    expectError(await call(server, 'PATCH', `/v1/webhooks/${id}`, { cookie, headers: { origin: 'https://evil.example' }, body: { enabled: false } }), 403, 'cross_site_request');
  });
});
