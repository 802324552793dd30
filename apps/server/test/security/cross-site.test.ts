import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, type TestServer, call, startTestServer } from '../harness.js';
import { type Tenant, loginToken, snapshot, tenant, trpcMutation, trpcQuery } from './support.js';

let s: TestServer;
let t: Tenant;
let otherSessionId: string;

beforeAll(async () => {
  s = await startTestServer();
  t = await tenant(s, 'csrf');
  // A second session of the same user, for the revoke-one routes.
  const token = await loginToken(s, t.user.email);
  const second = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
  otherSessionId = (await call(s, 'GET', '/v1/auth/sessions', { cookie: second.cookie })).body.find((x: { current: boolean }) => x.current).id;
});
afterAll(async () => s.close());

const port = () => new URL(s.url).port;
const foreignOrigins = () => [
  'https://evil.example',
  'null',
  `${s.url}.evil.example`,
  `http://127.0.0.1:${Number(port()) + 1}`,
  `http://localhost:${port()}`,
  `https://127.0.0.1:${port()}`,
  `${s.url}/`,
];

type Mutation = { name: string; send: (headers: Record<string, string>) => Promise<Reply> };
const c = (headers: Record<string, string>) => ({ cookie: t.cookie, headers });

const restMutations = (): Mutation[] => [
  { name: 'POST /v1/auth/logout', send: (h) => call(s, 'POST', '/v1/auth/logout', c(h)) },
  { name: 'POST /v1/auth/logout?scope=others', send: (h) => call(s, 'POST', '/v1/auth/logout?scope=others', c(h)) },
  { name: 'POST /v1/auth/logout?scope=global', send: (h) => call(s, 'POST', '/v1/auth/logout?scope=global', c(h)) },
  { name: 'DELETE /v1/auth/sessions/:id', send: (h) => call(s, 'DELETE', `/v1/auth/sessions/${otherSessionId}`, c(h)) },
  { name: 'POST /v1/api-keys', send: (h) => call(s, 'POST', '/v1/api-keys', { ...c(h), body: { name: 'csrf-made' } }) },
  { name: 'PUT /v1/api-keys/:id/ip-restrictions', send: (h) => call(s, 'PUT', `/v1/api-keys/${t.key.id}/ip-restrictions`, { ...c(h), body: { allowedIpRanges: [] } }) },
  { name: 'POST /v1/api-keys/:id/roll', send: (h) => call(s, 'POST', `/v1/api-keys/${t.key.id}/roll`, { ...c(h), body: {} }) },
  { name: 'DELETE /v1/api-keys/:id', send: (h) => call(s, 'DELETE', `/v1/api-keys/${t.key.id}`, c(h)) },
  { name: 'POST /v1/agents', send: (h) => call(s, 'POST', '/v1/agents', { ...c(h), body: { name: 'csrf-made' } }) },
  { name: 'DELETE /v1/agents/:id', send: (h) => call(s, 'DELETE', `/v1/agents/${t.agent.id}`, c(h)) },
];

const trpcMutations = (): Mutation[] => [
  { name: 'auth.logout', send: (h) => trpcMutation(s, 'auth.logout', { scope: 'global' }, c(h)) },
  { name: 'auth.revokeSession', send: (h) => trpcMutation(s, 'auth.revokeSession', { id: otherSessionId }, c(h)) },
  { name: 'apiKeys.create', send: (h) => trpcMutation(s, 'apiKeys.create', { name: 'csrf-made' }, c(h)) },
  { name: 'apiKeys.updateIpRestrictions', send: (h) => trpcMutation(s, 'apiKeys.updateIpRestrictions', { id: t.key.id, allowedIpRanges: [] }, c(h)) },
  { name: 'apiKeys.roll', send: (h) => trpcMutation(s, 'apiKeys.roll', { id: t.key.id }, c(h)) },
  { name: 'apiKeys.revoke', send: (h) => trpcMutation(s, 'apiKeys.revoke', { id: t.key.id }, c(h)) },
  { name: 'agents.create', send: (h) => trpcMutation(s, 'agents.create', { name: 'csrf-made' }, c(h)) },
  { name: 'agents.delete', send: (h) => trpcMutation(s, 'agents.delete', { id: t.agent.id }, c(h)) },
  { name: 'auth.login', send: (h) => trpcMutation(s, 'auth.login', { email: t.user.email }, c(h)) },
  { name: 'auth.register', send: (h) => trpcMutation(s, 'auth.register', { email: 'csrf-new@example.com', workspaceName: 'csrf-new' }, c(h)) },
];

const codeOf = (r: Reply) => (r.body?.code ?? r.body?.error?.data?.appCode) as string;

describe.each([
  ['REST', restMutations],
  ['tRPC', trpcMutations],
])('cross-site cookie mutations over %s', (_transport, mutations) => {
  it.each(mutations().map((m) => [m.name] as const))('%s: every foreign Origin is 403 cross_site_request and changes nothing', async (name) => {
    const m = mutations().find((x) => x.name === name)!;
    const before = await snapshot(s, t);
    const mailsBefore = s.sink.messages.length;
    for (const origin of foreignOrigins()) {
      const res = await m.send({ origin });
      expect({ origin, status: res.status, code: codeOf(res) }).toEqual({ origin, status: 403, code: 'cross_site_request' });
      expect(res.cookie).toBeNull();
    }
    await s.core.queue.idle();
    expect(s.sink.messages.length).toBe(mailsBefore);
    expect(await snapshot(s, t)).toEqual(before);
    expect((await call(s, 'GET', '/v1/auth/me', { cookie: t.cookie })).status).toBe(200);
  });
});

describe('cross-site sign-in (login CSRF) over tRPC', () => {
  it("auth.verify from a foreign Origin is refused and does not burn the link; from our own Origin it works", async () => {
    const token = await loginToken(s, t.user.email);
    const refused = await trpcMutation(s, 'auth.verify', { token }, { headers: { origin: 'https://evil.example' } });
    expect(refused.status).toBe(403);
    expect(refused.cookie).toBeNull();
    const ours = await trpcMutation(s, 'auth.verify', { token }, { headers: { origin: s.url } });
    expect(ours.status).toBe(200);
    expect(ours.cookie).not.toBeNull();
  });
});

describe('cross-site sign-in (login CSRF) over the REST GET link', () => {
  it('a navigation from another site to /v1/auth/verify is refused and does not burn the link; direct and same-origin ones work', async () => {
    for (const site of ['cross-site', 'same-site']) {
      const token = await loginToken(s, t.user.email);
      const refused = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { headers: { 'sec-fetch-site': site } });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('cross_site_request');
      expect(refused.cookie).toBeNull();
      const direct = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { headers: { 'sec-fetch-site': site === 'cross-site' ? 'none' : 'same-origin' } });
      expect(direct.status).toBe(200);
      expect(direct.cookie).not.toBeNull();
    }
  });
});

describe('around the Origin check', () => {
  it('our own Origin, and no Origin at all (curl), pass', async () => {
    const own = await call(s, 'POST', '/v1/agents', { cookie: t.cookie, headers: { origin: s.url }, body: { name: 'same-origin' } });
    expect(own.status).toBe(201);
    const curl = await trpcMutation(s, 'agents.create', { name: 'no-origin' }, { cookie: t.cookie });
    expect(curl.status).toBe(200);
    for (const id of [own.body.id, curl.body.result.data.id]) expect((await call(s, 'DELETE', `/v1/agents/${id}`, { cookie: t.cookie })).status).toBe(200);
  });

  it('a tRPC mutation cannot be sent as a GET (an <img> or link cannot change state)', async () => {
    const before = await snapshot(s, t);
    for (const [path, input] of [
      ['apiKeys.revoke', { id: t.key.id }],
      ['agents.delete', { id: t.agent.id }],
      ['auth.logout', { scope: 'global' }],
    ] as const) {
      const res = await trpcQuery(s, path, input, { cookie: t.cookie, headers: { origin: 'https://evil.example' } });
      expect(res.status, path).not.toBe(200);
      const plain = await trpcQuery(s, path, input, { cookie: t.cookie });
      expect(plain.status, path).not.toBe(200);
    }
    expect(await snapshot(s, t)).toEqual(before);
  });

  it('an empty x-api-key header does not switch the Origin check off for the cookie beside it', async () => {
    const before = await snapshot(s, t);
    const evil = { cookie: t.cookie, headers: { origin: 'https://evil.example', 'x-api-key': '' } };
    expect((await call(s, 'POST', '/v1/agents', { ...evil, body: { name: 'sneaky' } })).status).toBe(401);
    expect((await call(s, 'DELETE', `/v1/api-keys/${t.key.id}`, evil)).status).toBe(403);
    expect((await trpcMutation(s, 'agents.create', { name: 'sneaky' }, evil)).status).toBe(401);
    expect((await trpcMutation(s, 'apiKeys.revoke', { id: t.key.id }, evil)).status).toBe(403);
    expect(await snapshot(s, t)).toEqual(before);
  });

  it('no response grants CORS: no Access-Control-Allow-* to a foreign Origin, preflights included', async () => {
    const origin = 'https://evil.example';
    const replies = [
      await call(s, 'GET', '/v1/api-keys', { cookie: t.cookie, headers: { origin } }),
      await call(s, 'GET', '/v1/agents', { apiKey: t.key.key, headers: { origin } }),
      await trpcQuery(s, 'auth.me', undefined, { cookie: t.cookie, headers: { origin } }),
      await call(s, 'OPTIONS', '/v1/api-keys', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
      await call(s, 'OPTIONS', '/trpc/apiKeys.create', { headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }),
      await call(s, 'OPTIONS', '/v1/agents', { headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-api-key' } }),
    ];
    for (const r of replies) {
      for (const [name] of r.headers.entries()) expect(name).not.toMatch(/^access-control-allow-/);
    }
  });
});
