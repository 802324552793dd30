import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { expectError, expectFields, idOf } from './helpers.js';

const AGENT_FIELDS = ['id', 'name', 'label', 'createdAt', 'lastSeenAt', 'lastSeenIp', 'version', 'status'];

let server: TestServer;
let clock: ManualClock;
let cookie: string;
let apiKey: string;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock });
  ({ cookie } = await signUp(server, 'agents@example.com', 'agents-ws'));
  apiKey = (await createKey(server, cookie)).key;
});
afterAll(async () => server?.close());

describe('/v1/agents', () => {
  it('works the same with an x-api-key and with a session', async () => {
    for (const auth of [{ apiKey }, { cookie }]) {
      const created = await call(server, 'POST', '/v1/agents', { ...auth, body: { name: 'edge-1' } });
      expect(created.status).toBe(201);
      expectFields(created.body, AGENT_FIELDS);
      expect(created.body).toEqual({ id: created.body.id, name: 'edge-1', label: null, createdAt: clock.now().toISOString(), lastSeenAt: null, lastSeenIp: null, version: null, status: 'offline' });
      expect(created.body.id).toMatch(idOf('agt'));

      const one = await call(server, 'GET', `/v1/agents/${created.body.id}`, auth);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(created.body);
      expect((await call(server, 'GET', '/v1/agents', auth)).body).toContainEqual(created.body);

      const del = await call(server, 'DELETE', `/v1/agents/${created.body.id}`, auth);
      expect(del.status).toBe(200);
      expect(del.body).toEqual({ success: true });
      expectError(await call(server, 'GET', `/v1/agents/${created.body.id}`, auth), 404, 'not_found');
      expectError(await call(server, 'DELETE', `/v1/agents/${created.body.id}`, auth), 404, 'not_found');
    }
  });

  it('lists the workspace agents newest first', async () => {
    const { cookie: c } = await signUp(server, 'agents-order@example.com', 'agents-order');
    expect((await call(server, 'GET', '/v1/agents', { cookie: c })).body).toEqual([]);
    for (const name of ['first', 'second', 'third']) {
      expect((await call(server, 'POST', '/v1/agents', { cookie: c, body: { name, label: `${name} box` } })).status).toBe(201);
      clock.advance(1000);
    }
    const res = await call(server, 'GET', '/v1/agents', { cookie: c });
    expect(res.status).toBe(200);
    expect(res.body.map((a: { name: string }) => a.name)).toEqual(['third', 'second', 'first']);
    for (const a of res.body) expectFields(a, AGENT_FIELDS);
    expect(res.body[0].label).toBe('third box');
  });

  it('trims; name 1–50 characters, label at most 50 (empty means none)', async () => {
    const ok = await call(server, 'POST', '/v1/agents', { apiKey, body: { name: ` ${'n'.repeat(50)} `, label: 'l'.repeat(50) } });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ name: 'n'.repeat(50), label: 'l'.repeat(50) });
    const noLabel = await call(server, 'POST', '/v1/agents', { apiKey, body: { name: 'x', label: null } });
    expect(noLabel.body.label).toBeNull();
    expect((await call(server, 'POST', '/v1/agents', { apiKey, body: { name: 'y', label: '' } })).body.label).toBeNull();

    const cases: Array<[unknown, string]> = [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'n'.repeat(51) }, 'name'],
      [{}, 'name'],
      [{ name: 5 }, 'name'],
      [{ name: 'ok', label: 'l'.repeat(51) }, 'label'],
      [{ name: 'ok', label: 5 }, 'label'],
    ];
    for (const [body, path] of cases) {
      const res = await call(server, 'POST', '/v1/agents', { apiKey, body });
      expectError(res, 400, 'invalid_request');
      expect(res.body.details.map((d: { path: string }) => d.path), JSON.stringify(body)).toContain(path);
    }
  });

  it('an unknown id is 404 not_found', async () => {
    expectError(await call(server, 'GET', '/v1/agents/agt_doesnotexist000000000', { apiKey }), 404, 'not_found');
    expectError(await call(server, 'DELETE', '/v1/agents/agt_doesnotexist000000000', { cookie }), 404, 'not_found');
  });

  it('key-authenticated answers, success or error, carry the rate-limit headers; session answers do not', async () => {
    const replies = [
      await call(server, 'GET', '/v1/agents', { apiKey }),
      await call(server, 'POST', '/v1/agents', { apiKey, body: { name: 'hdr' } }),
      await call(server, 'GET', '/v1/agents/agt_nope', { apiKey }),
      await call(server, 'POST', '/v1/agents', { apiKey, body: { name: '' } }),
    ];
    for (const r of replies) {
      expect(r.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(Number(r.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(900);
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThanOrEqual(1);
      expect(Number(r.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(60);
    }
    const remaining = replies.map((r) => Number(r.headers.get('x-ratelimit-remaining')));
    expect(remaining).toEqual([...remaining].sort((a, b) => b - a));
    expect(new Set(remaining).size).toBe(remaining.length);
    const viaSession = await call(server, 'GET', '/v1/agents', { cookie });
    expect(viaSession.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
