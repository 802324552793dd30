import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, type TestServer, call, startTestServer } from '../harness.js';
import { type Tenant, replyText, snapshot, tenant, trpcMutation, trpcQuery } from './support.js';

let s: TestServer;
let alice: Tenant;
let mallory: Tenant;
let aliceBefore: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  s = await startTestServer();
  alice = await tenant(s, 'alice', ['127.0.0.0/8', '10.9.0.0/16']);
  mallory = await tenant(s, 'mallory');
  aliceBefore = await snapshot(s, alice);
});
afterAll(async () => s.close());

type Cred = { cookie?: string; apiKey?: string };
interface Probe {
  name: string;
  /** The attack with one id: Alice's, or one that never existed. */
  send: (id: string, cred: Cred) => Promise<Reply>;
  /** Which of Alice's ids it targets. */
  aliceId: () => string;
  /** Credentials Mallory can use on it. */
  creds: () => Array<[string, Cred]>;
}

const session = (): Array<[string, Cred]> => [['session', { cookie: mallory.cookie }]];
const keyOrSession = (): Array<[string, Cred]> => [...session(), ['api key', { apiKey: mallory.key.key }]];
const keyId = () => alice.key.id;
const agentId = () => alice.agent.id;
const sessionId = () => alice.sessionId;

const rest: Probe[] = [
  { name: 'GET /v1/api-keys/:id', send: (id, c) => call(s, 'GET', `/v1/api-keys/${id}`, c), aliceId: keyId, creds: session },
  {
    name: 'PUT /v1/api-keys/:id/ip-restrictions',
    send: (id, c) => call(s, 'PUT', `/v1/api-keys/${id}/ip-restrictions`, { ...c, body: { allowedIpRanges: ['0.0.0.0/0'] } }),
    aliceId: keyId,
    creds: session,
  },
  { name: 'POST /v1/api-keys/:id/roll', send: (id, c) => call(s, 'POST', `/v1/api-keys/${id}/roll`, { ...c, body: { gracePeriodSeconds: 0 } }), aliceId: keyId, creds: session },
  { name: 'DELETE /v1/api-keys/:id', send: (id, c) => call(s, 'DELETE', `/v1/api-keys/${id}`, c), aliceId: keyId, creds: session },
  { name: 'GET /v1/agents/:id', send: (id, c) => call(s, 'GET', `/v1/agents/${id}`, c), aliceId: agentId, creds: keyOrSession },
  { name: 'DELETE /v1/agents/:id', send: (id, c) => call(s, 'DELETE', `/v1/agents/${id}`, c), aliceId: agentId, creds: keyOrSession },
  { name: 'DELETE /v1/auth/sessions/:id', send: (id, c) => call(s, 'DELETE', `/v1/auth/sessions/${id}`, c), aliceId: sessionId, creds: session },
];

const trpc: Probe[] = [
  { name: 'apiKeys.get', send: (id, c) => trpcQuery(s, 'apiKeys.get', { id }, c), aliceId: keyId, creds: session },
  {
    name: 'apiKeys.updateIpRestrictions',
    send: (id, c) => trpcMutation(s, 'apiKeys.updateIpRestrictions', { id, allowedIpRanges: ['0.0.0.0/0'] }, c),
    aliceId: keyId,
    creds: session,
  },
  { name: 'apiKeys.roll', send: (id, c) => trpcMutation(s, 'apiKeys.roll', { id, gracePeriodSeconds: 0 }, c), aliceId: keyId, creds: session },
  { name: 'apiKeys.revoke', send: (id, c) => trpcMutation(s, 'apiKeys.revoke', { id }, c), aliceId: keyId, creds: session },
  { name: 'agents.get', send: (id, c) => trpcQuery(s, 'agents.get', { id }, c), aliceId: agentId, creds: keyOrSession },
  { name: 'agents.delete', send: (id, c) => trpcMutation(s, 'agents.delete', { id }, c), aliceId: agentId, creds: keyOrSession },
  { name: 'auth.revokeSession', send: (id, c) => trpcMutation(s, 'auth.revokeSession', { id }, c), aliceId: sessionId, creds: session },
];

/** The reply minus what differs between any two requests. */
const comparable = (r: Reply) => ({ status: r.status, body: JSON.stringify(r.body).replace(/req_[0-9a-f]{32}/g, 'req_*') });

/** Nothing of Alice's in a reply: not her ids' data, names, e-mail, prefix or ranges. */
function expectNothingOfAlice(res: Reply): void {
  const text = replyText(res);
  for (const secret of [alice.user.email, alice.workspace.name, alice.key.name, alice.key.prefix, alice.agent.name, 'alice label', '10.9.0.0/16']) {
    expect(text).not.toContain(secret);
  }
}

describe.each([
  ['REST', rest],
  ['tRPC', trpc],
])("another tenant's ids over %s", (transport, probes) => {
  it.each(probes.map((p) => [p.name, p] as const))('%s: 404 not_found, never 403, never data, same as an id that never existed', async (_name, probe) => {
    for (const [credName, cred] of probe.creds()) {
      const theirs = await probe.send(probe.aliceId(), cred);
      const never = await probe.send(probe.aliceId().replace(/_.*/, '_0000000000000000000Z'), cred);
      expect(theirs.status, `${credName}: ${JSON.stringify(theirs.body)}`).toBe(404);
      const code = transport === 'REST' ? theirs.body.code : theirs.body.error.data.appCode;
      expect(code).toBe('not_found');
      expect(comparable(theirs)).toEqual(comparable(never));
      expectNothingOfAlice(theirs);
    }
    expect(await snapshot(s, alice)).toEqual(aliceBefore);
  });
});

describe('lists and the audit log are per workspace', () => {
  it("Mallory's lists, by session and by key, hold none of Alice's rows; Alice's audit cursor shows Mallory only her own", async () => {
    for (const res of [
      await call(s, 'GET', '/v1/api-keys?includeRevoked=true', { cookie: mallory.cookie }),
      await call(s, 'GET', '/v1/agents', { cookie: mallory.cookie }),
      await call(s, 'GET', '/v1/agents', { apiKey: mallory.key.key }),
      await call(s, 'GET', '/v1/auth/sessions', { cookie: mallory.cookie }),
      await call(s, 'GET', '/v1/audit-logs?limit=100', { cookie: mallory.cookie }),
      await trpcQuery(s, 'agents.list', undefined, { apiKey: mallory.key.key }),
      await trpcQuery(s, 'apiKeys.list', { includeRevoked: true }, { cookie: mallory.cookie }),
      await trpcQuery(s, 'auditLogs.list', { limit: 100 }, { cookie: mallory.cookie }),
    ]) {
      expect(res.status).toBe(200);
      expectNothingOfAlice(res);
      expect(replyText(res)).not.toContain(alice.key.id);
    }
    const alicePage = await call(s, 'GET', '/v1/audit-logs?limit=1', { cookie: alice.cookie });
    expect(alicePage.body.nextCursor).toEqual(expect.any(String));
    const withHerCursor = await call(s, 'GET', `/v1/audit-logs?limit=100&cursor=${alicePage.body.nextCursor}`, { cookie: mallory.cookie });
    expect(withHerCursor.status).toBe(200);
    expectNothingOfAlice(withHerCursor);
    for (const e of withHerCursor.body.data) expect([mallory.user.id, mallory.key.id]).toContain(e.actor.id);
  });
});
