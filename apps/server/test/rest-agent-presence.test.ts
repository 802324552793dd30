import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { expectError } from './helpers.js';

let server: TestServer;
let clock: ManualClock;
let cookie: string;
let apiKey: string;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock, env: { AGENT_OFFLINE_AFTER_SECONDS: '30' } });
  ({ cookie } = await signUp(server, 'presence@example.com', 'presence-ws'));
  apiKey = (await createKey(server, cookie)).key;
});
afterAll(async () => server?.close());

const newAgent = async (name: string) => (await call(server, 'POST', '/v1/agents', { apiKey, body: { name } })).body as { id: string };

/** `<url>; rel="next"` → the URL, relative to the server. */
function nextOf(res: { headers: Headers }): string | null {
  const link = res.headers.get('link');
  if (!link) return null;
  const m = /^<([^>]+)>; rel="next"$/.exec(link);
  expect(m, link).not.toBeNull();
  const url = new URL(m![1]!);
  return url.pathname + url.search;
}

describe('POST /v1/agents/:id/heartbeat', () => {
  it('answers the agent online with lastSeenAt, lastSeenIp and version, by key or session; offline after AGENT_OFFLINE_AFTER_SECONDS', async () => {
    const a = await newAgent('hb-1');
    const byKey = await call(server, 'POST', `/v1/agents/${a.id}/heartbeat`, { apiKey, body: { version: '1.4.2' } });
    expect(byKey.status).toBe(200);
    expect(byKey.body).toMatchObject({ id: a.id, status: 'online', lastSeenAt: clock.now().toISOString(), lastSeenIp: '127.0.0.1', version: '1.4.2' });
    expect(byKey.headers.get('x-ratelimit-limit')).toBe('1000');
    // No body at all is a heartbeat too, and keeps the version.
    clock.advance(10_000);
    const bySession = await call(server, 'POST', `/v1/agents/${a.id}/heartbeat`, { cookie });
    expect(bySession.body).toMatchObject({ status: 'online', lastSeenAt: clock.now().toISOString(), version: '1.4.2' });
    expect((await call(server, 'GET', `/v1/agents/${a.id}`, { apiKey })).body).toEqual(bySession.body);
    clock.advance(30_000);
    expect((await call(server, 'GET', `/v1/agents/${a.id}`, { apiKey })).body).toMatchObject({ status: 'offline', lastSeenAt: bySession.body.lastSeenAt });
  });

  it('refuses a bad version with the field named, and an unknown agent with 404', async () => {
    const a = await newAgent('hb-2');
    for (const version of ['', 'has space', 'v'.repeat(51), 5]) {
      const res = await call(server, 'POST', `/v1/agents/${a.id}/heartbeat`, { apiKey, body: { version } });
      expectError(res, 400, 'invalid_request');
      expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(['version']);
    }
    expect((await call(server, 'GET', `/v1/agents/${a.id}`, { apiKey })).body.lastSeenAt).toBeNull();
    expectError(await call(server, 'POST', '/v1/agents/agt_nope000000000000000/heartbeat', { apiKey }), 404, 'not_found');
    const { cookie: other } = await signUp(server, 'other-presence@example.com', 'other-presence');
    expectError(await call(server, 'POST', `/v1/agents/${a.id}/heartbeat`, { cookie: other }), 404, 'not_found');
  });
});

describe('GET /v1/agents: status, limit and the Link header', () => {
  it('filters by status and pages with a cursor in Link rel="next", keeping the plain array', async () => {
    const { cookie: c } = await signUp(server, 'paging@example.com', 'paging-ws');
    const key = (await createKey(server, c)).key;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.unshift((await call(server, 'POST', '/v1/agents', { apiKey: key, body: { name: `p${i}` } })).body.id);
      clock.advance(1000);
    }
    for (const id of [ids[0], ids[3]]) await call(server, 'POST', `/v1/agents/${id}/heartbeat`, { apiKey: key });

    const all = await call(server, 'GET', '/v1/agents', { apiKey: key });
    expect(all.body.map((a: { id: string }) => a.id)).toEqual(ids);
    expect(all.headers.get('link')).toBeNull();
    const online = await call(server, 'GET', '/v1/agents?status=online', { apiKey: key });
    expect(online.body.map((a: { id: string }) => a.id)).toEqual([ids[0], ids[3]]);
    expect(online.body.every((a: { status: string }) => a.status === 'online')).toBe(true);
    const offline = await call(server, 'GET', '/v1/agents?status=offline', { apiKey: key });
    expect(offline.body.map((a: { id: string }) => a.id)).toEqual([ids[1], ids[2], ids[4]]);

    const seen: string[] = [];
    let next: string | null = '/v1/agents?limit=2';
    let pages = 0;
    while (next) {
      const res = await call(server, 'GET', next, { apiKey: key });
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      seen.push(...res.body.map((a: { id: string }) => a.id));
      next = nextOf(res);
      if (next) expect(next).toMatch(/^\/v1\/agents\?limit=2&cursor=/);
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);
    // The filter travels with the cursor.
    const first = await call(server, 'GET', '/v1/agents?status=offline&limit=2', { apiKey: key });
    const rest = await call(server, 'GET', nextOf(first)!, { apiKey: key });
    expect(nextOf(first)).toContain('status=offline');
    expect(rest.body.map((a: { id: string }) => a.id)).toEqual([ids[4]]);
    expect(rest.headers.get('link')).toBeNull();
  });

  it('a list without limit answers at most 100, with a Link to the rest', async () => {
    const { cookie: c } = await signUp(server, 'many@example.com', 'many-ws');
    const key = (await createKey(server, c)).key;
    for (let i = 0; i < 101; i++) await call(server, 'POST', '/v1/agents', { apiKey: key, body: { name: `m${i}` } });
    const res = await call(server, 'GET', '/v1/agents', { apiKey: key });
    expect(res.body).toHaveLength(100);
    const rest = await call(server, 'GET', nextOf(res)!, { apiKey: key });
    expect(rest.body).toHaveLength(1);
    expect((await call(server, 'GET', '/v1/agents?limit=1000', { apiKey: key })).body).toHaveLength(101);
  });

  it.each([
    ['status=busy', 'status'],
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=two', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
  ])('?%s is 400 naming %s', async (query, path) => {
    const res = await call(server, 'GET', `/v1/agents?${query}`, { apiKey });
    expectError(res, 400, 'invalid_request');
    expect(res.body.details.map((d: { path: string }) => d.path)).toEqual([path]);
  });
});
