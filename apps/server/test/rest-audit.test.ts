import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { ISO_MS, eventually, expectError, expectFields, mailsTo, signIn } from './helpers.js';

let server: TestServer;
let clock: ManualClock;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock, env: { RATE_LIMIT_PER_MINUTE: '2' } });
});
afterAll(async () => server?.close());

interface Entry {
  id: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string } | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  metadata: Record<string, unknown>;
}

async function entries(cookie: string, query = '?limit=100'): Promise<Entry[]> {
  const res = await call(server, 'GET', `/v1/audit-logs${query}`, { cookie });
  expect(res.status).toBe(200);
  return res.body.data;
}
const count = (list: Entry[], action: string) => list.filter((e) => e.action === action).length;

describe('GET /v1/audit-logs', () => {
  it('records every action of the contract, newest first, with actor and target, and never a secret', async () => {
    const { cookie, user, workspace } = await signUp(server, 'audit@example.com', 'audit-ws');
    const second = await signIn(server, 'audit@example.com');
    const key = await createKey(server, cookie, 'audited');
    const agent = (await call(server, 'POST', '/v1/agents', { apiKey: key.key, body: { name: 'agent-by-key' } })).body;
    await call(server, 'DELETE', `/v1/agents/${agent.id}`, { cookie, headers: { 'user-agent': 'audit-test/1' } });

    // Two denials by IP in one minute: one entry.
    await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } });
    for (let i = 0; i < 2; i++) expectError(await call(server, 'GET', '/v1/agents', { apiKey: key.key }), 403, 'ip_not_allowed');
    await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [] } });
    // Two rate-limit refusals in one minute (limit 2; one use already spent): one entry.
    await call(server, 'GET', '/v1/agents', { apiKey: key.key });
    for (let i = 0; i < 2; i++) expectError(await call(server, 'GET', '/v1/agents', { apiKey: key.key }), 429, 'rate_limited');

    const rolled = (await call(server, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: { gracePeriodSeconds: 60 } })).body;
    clock.advance(61_000);
    for (let i = 0; i < 2; i++) expectError(await call(server, 'GET', '/v1/agents', { apiKey: key.key }), 401, 'api_key_expired');
    await call(server, 'DELETE', `/v1/api-keys/${rolled.id}`, { cookie });
    const secondId = (await call(server, 'GET', '/v1/auth/sessions', { cookie: second })).body.find((s: { current: boolean }) => s.current).id;
    await call(server, 'DELETE', `/v1/auth/sessions/${secondId}`, { cookie });
    const third = await signIn(server, 'audit@example.com');
    await call(server, 'POST', '/v1/auth/logout', { cookie: third });

    let list: Entry[] = [];
    await eventually(async () => {
      list = await entries(cookie);
      expect(count(list, 'api_key.ip_denied')).toBe(1);
      expect(count(list, 'api_key.rate_limited')).toBe(1);
      expect(count(list, 'api_key.expired')).toBe(1);
    });
    expect(list.map((e) => e.action).reverse()).toEqual([
      'auth.registered',
      'auth.signed_in',
      'auth.signed_in',
      'api_key.created',
      'agent.created',
      'agent.deleted',
      'api_key.ip_restrictions_updated',
      'api_key.ip_denied',
      'api_key.ip_restrictions_updated',
      'api_key.rate_limited',
      'api_key.rolled',
      'api_key.expired',
      'api_key.revoked',
      'session.revoked',
      'auth.signed_in',
      'auth.signed_out',
    ]);
    for (const e of list) {
      expectFields(e as unknown as Record<string, unknown>, ['id', 'action', 'actor', 'target', 'ip', 'userAgent', 'createdAt', 'metadata']);
      expect(['user', 'api_key', 'system']).toContain(e.actor.type);
      expect(e.createdAt).toMatch(ISO_MS);
    }
    const find = (action: string) => list.find((e) => e.action === action)!;
    expect(find('auth.registered')).toMatchObject({ actor: { type: 'user', id: user.id }, target: { type: 'workspace', id: workspace.id } });
    expect(find('agent.created')).toMatchObject({ actor: { type: 'api_key', id: key.id }, target: { type: 'agent', id: agent.id }, ip: '127.0.0.1' });
    expect(find('agent.deleted')).toMatchObject({ actor: { type: 'user', id: user.id }, userAgent: 'audit-test/1' });
    expect(find('api_key.ip_denied')).toMatchObject({ actor: { type: 'api_key', id: key.id }, target: { type: 'api_key', id: key.id } });
    expect(find('api_key.ip_restrictions_updated').target).toEqual({ type: 'api_key', id: key.id });

    // Never a secret: no full key, session token or link token in any entry.
    const text = JSON.stringify(list);
    for (const secret of [key.key, rolled.key, cookie, second, third]) expect(text).not.toContain(secret);
    for (const m of await mailsTo(server, 'audit@example.com')) expect(text).not.toContain(m.token!);

    // A minute later a new denial is recorded again.
    clock.advance(60_000);
    const fresh = await createKey(server, cookie, 'again');
    await call(server, 'PUT', `/v1/api-keys/${fresh.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } });
    await call(server, 'GET', '/v1/agents', { apiKey: fresh.key });
    clock.advance(60_000);
    await call(server, 'GET', '/v1/agents', { apiKey: fresh.key });
    await eventually(async () => {
      const denials = (await entries(cookie)).filter((e) => e.action === 'api_key.ip_denied' && e.actor.id === fresh.id);
      expect(denials).toHaveLength(2);
    });
  });

  it('pages with limit and cursor, and validates both', async () => {
    const { cookie } = await signUp(server, 'pages@example.com', 'pages-ws');
    for (let i = 0; i < 6; i++) await createKey(server, cookie, `page-${i}`);
    const all = await entries(cookie);
    expect(all).toHaveLength(8); // registered, signed_in, 6 × api_key.created
    expect((await call(server, 'GET', '/v1/audit-logs', { cookie })).body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: { data: Entry[]; nextCursor: string | null } } = await call(
        server,
        'GET',
        `/v1/audit-logs?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { cookie },
      );
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((e) => e.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.map((e) => e.id));

    for (const q of ['?limit=0', '?limit=101', '?limit=abc', '?limit=1.5']) {
      const res = await call(server, 'GET', `/v1/audit-logs${q}`, { cookie });
      expectError(res, 400, 'invalid_request');
      expect(res.body.details[0].path).toBe('limit');
    }
    expect((await call(server, 'GET', '/v1/audit-logs?limit=100', { cookie })).status).toBe(200);
    expect((await call(server, 'GET', '/v1/audit-logs?limit=1', { cookie })).body.data).toHaveLength(1);
    for (const q of ['?cursor=not-a-cursor', `?cursor=${Buffer.from('x:1').toString('base64url')}`]) {
      const res = await call(server, 'GET', `/v1/audit-logs${q}`, { cookie });
      expectError(res, 400, 'invalid_request');
      expect(res.body.details[0].path).toBe('cursor');
    }
  });
});
