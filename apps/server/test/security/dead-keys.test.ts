import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type Reply, type TestServer, call, createKey, manualClock, signUp, startTestServer } from '../harness.js';
import { trpcMutation, trpcQuery } from './support.js';

let s: TestServer;
let clock: ManualClock;
let cookie: string;
let agentId: string;
let live: string;
const dead: Record<string, { key: string; code: string }> = {};

const DAY = 24 * 3600_000;

beforeAll(async () => {
  clock = manualClock();
  s = await startTestServer({ clock });
  ({ cookie } = await signUp(s, 'keys@example.com', 'keys-ws'));
  agentId = (await call(s, 'POST', '/v1/agents', { cookie, body: { name: 'target' } })).body.id;

  const revoked = await createKey(s, cookie, 'revoked');
  expect((await call(s, 'DELETE', `/v1/api-keys/${revoked.id}`, { cookie })).status).toBe(200);

  const expiring = await call(s, 'POST', '/v1/api-keys', { cookie, body: { name: 'expiring', expiresAt: new Date(clock.now().getTime() + DAY).toISOString() } });
  expect(expiring.status).toBe(201);

  const graceful = await createKey(s, cookie, 'rolled-with-grace');
  const rolled = await call(s, 'POST', `/v1/api-keys/${graceful.id}/roll`, { cookie, body: { gracePeriodSeconds: 3600 } });
  expect(rolled.status).toBe(201);
  // Inside its grace the old key still works: what follows is about the end of it.
  expect((await call(s, 'GET', '/v1/agents', { apiKey: graceful.key })).status).toBe(200);

  const abrupt = await createKey(s, cookie, 'rolled-at-once');
  const rolledNow = await call(s, 'POST', `/v1/api-keys/${abrupt.id}/roll`, { cookie, body: { gracePeriodSeconds: 0 } });
  expect(rolledNow.status).toBe(201);

  live = rolled.body.key;
  clock.advance(DAY + 1000);
  dead.revoked = { key: revoked.key, code: 'invalid_api_key' };
  dead.expired = { key: expiring.body.key, code: 'api_key_expired' };
  dead['rolled past its grace'] = { key: graceful.key, code: 'api_key_expired' };
  dead['rolled with no grace'] = { key: abrupt.key, code: 'invalid_api_key' };
});
afterAll(async () => s.close());

type Route = { name: string; send: (apiKey: string, withCookie?: string) => Promise<Reply> };
const opts = (apiKey: string, withCookie?: string) => ({ apiKey, ...(withCookie ? { cookie: withCookie } : {}) });

const routes: Route[] = [
  { name: 'GET /v1/agents', send: (k, c) => call(s, 'GET', '/v1/agents', opts(k, c)) },
  { name: 'POST /v1/agents', send: (k, c) => call(s, 'POST', '/v1/agents', { ...opts(k, c), body: { name: 'made-by-key' } }) },
  { name: 'GET /v1/agents/:id', send: (k, c) => call(s, 'GET', `/v1/agents/${agentId}`, opts(k, c)) },
  { name: 'DELETE /v1/agents/:id', send: (k, c) => call(s, 'DELETE', `/v1/agents/${agentId}`, opts(k, c)) },
  { name: 'tRPC agents.list', send: (k, c) => trpcQuery(s, 'agents.list', undefined, opts(k, c)) },
  { name: 'tRPC agents.create', send: (k, c) => trpcMutation(s, 'agents.create', { name: 'made-by-key' }, opts(k, c)) },
  { name: 'tRPC agents.get', send: (k, c) => trpcQuery(s, 'agents.get', { id: agentId }, opts(k, c)) },
  { name: 'tRPC agents.delete', send: (k, c) => trpcMutation(s, 'agents.delete', { id: agentId }, opts(k, c)) },
];

const codeOf = (r: Reply) => (r.body?.code ?? r.body?.error?.data?.appCode) as string;
const agentNames = async () => ((await call(s, 'GET', '/v1/agents', { cookie })).body as Array<{ name: string }>).map((a) => a.name);

describe('dead API keys on every key-accepting route', () => {
  it.each(['revoked', 'expired', 'rolled past its grace', 'rolled with no grace'])('key %s: 401 on every route, also with a valid session cookie alongside, and changes nothing', async (which) => {
    const { key, code } = dead[which]!;
    for (const route of routes) {
      for (const withCookie of [undefined, cookie]) {
        const res = await route.send(key, withCookie);
        expect({ route: route.name, status: res.status, code: codeOf(res) }).toEqual({ route: route.name, status: 401, code });
      }
    }
    expect(await agentNames()).toEqual(['target']);
  });

  it('the same routes answer a live key (the successor of a roll), so the refusals above are about the keys', async () => {
    for (const route of routes.filter((r) => !r.name.includes('DELETE') && !r.name.includes('delete'))) {
      expect((await route.send(live)).status, route.name).toBeLessThan(300);
    }
    expect(await agentNames()).toContain('made-by-key');
  });

  it('an expired key is recorded once in the audit log, however often it is presented', async () => {
    const audit = await call(s, 'GET', '/v1/audit-logs?action=api_key.expired', { cookie });
    expect(audit.body.data.length).toBe(2); // the expiring key and the one rolled with grace
  });
});
