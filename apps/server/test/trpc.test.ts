import type { AppRouter } from '@pc/api';
import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, startTestServer } from './harness.js';
import { KEY_FORMAT, expectFields, idOf, mailsTo } from './helpers.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

interface ClientOptions {
  apiKey?: string;
  origin?: string;
  batch?: boolean;
}

/** A typed tRPC client over real HTTP with a one-cookie jar, as a browser would keep it. */
function trpcClient(opts: ClientOptions = {}) {
  const jar = { session: null as string | null, lastSetCookie: [] as string[], lastHeaders: null as Headers | null };
  const fetchWithJar: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (jar.session) headers.set('cookie', `session=${jar.session}`);
    const res = await fetch(input, { ...init, headers });
    jar.lastHeaders = res.headers;
    jar.lastSetCookie = res.headers.getSetCookie();
    for (const c of jar.lastSetCookie) {
      const value = /^session=([^;]*)/.exec(c)?.[1];
      if (value !== undefined) jar.session = value === '' ? null : value;
    }
    return res;
  };
  const headers = () => ({
    ...(opts.apiKey ? { 'x-api-key': opts.apiKey } : {}),
    ...(opts.origin ? { origin: opts.origin } : {}),
  });
  const url = `${server.url}/trpc`;
  const link = opts.batch === false ? httpLink({ url, headers, fetch: fetchWithJar }) : httpBatchLink({ url, headers, fetch: fetchWithJar });
  return { trpc: createTRPCClient<AppRouter>({ links: [link] }), jar };
}

/** The rejection of `p` as a tRPC client error. */
async function failure(p: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TRPCClientError);
    return e as TRPCClientError<AppRouter>;
  }
  throw new Error('expected the call to fail');
}

async function expectAppError(p: Promise<unknown>, appCode: string, httpStatus: number) {
  const err = await failure(p);
  expect({ appCode: err.data?.appCode, httpStatus: err.data?.httpStatus }, err.message).toEqual({ appCode, httpStatus });
  expect(JSON.stringify(err.shape)).not.toMatch(/\.ts:\d|node_modules/);
  return err;
}

/** Registers and verifies through tRPC; the client's jar holds the session afterwards. */
async function signUpViaTrpc(email: string, workspaceName: string, opts: ClientOptions = {}) {
  const client = trpcClient(opts);
  expect(await client.trpc.auth.register.mutate({ email, workspaceName })).toEqual({ success: true, message: 'Verification email sent' });
  const token = (await mailsTo(server, email)).at(-1)!.token!;
  const verified = await client.trpc.auth.verify.mutate({ token });
  return { ...client, verified };
}

describe('tRPC over HTTP', () => {
  it('signs in: register, verify sets the session cookie, me and config', async () => {
    const { trpc, jar, verified } = await signUpViaTrpc('trpc@example.com', 'trpc-ws');
    expectFields(verified, ['success', 'user', 'workspace', 'isNewUser']);
    expect(verified).toMatchObject({ success: true, isNewUser: true, user: { email: 'trpc@example.com' }, workspace: { name: 'trpc-ws' } });
    expect(verified.user.id).toMatch(idOf('user'));
    expect(jar.session).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(jar.lastSetCookie).toEqual([`session=${jar.session}; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000`]);
    expect(jar.lastHeaders!.get('x-request-id')).toBeTruthy();
    expect(jar.lastHeaders!.get('cache-control')).toBe('no-store');

    const me = await trpc.auth.me.query();
    expect(me.user).toMatchObject({ id: verified.user.id, email: 'trpc@example.com' });
    expect(me.workspace).toMatchObject({ id: verified.workspace.id, name: 'trpc-ws' });
    // The cookie works for REST too: one session, two transports.
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: jar.session })).body).toEqual(me);

    expect(await trpc.config.query()).toEqual({ mailConfigured: true, publicUrl: server.config.publicUrl, signup: { open: true, emailDomains: [] }, agentOfflineAfterSeconds: 90 });

    // Login answers the same for unknown addresses; only known ones get mail.
    expect(await trpc.auth.login.mutate({ email: 'trpc@example.com' })).toEqual({ success: true, message: 'Login link sent to your email' });
    expect(await trpc.auth.login.mutate({ email: 'trpc-nobody@example.com' })).toEqual({ success: true, message: 'Login link sent to your email' });
    expect(await mailsTo(server, 'trpc-nobody@example.com')).toHaveLength(0);
    const again = trpcClient();
    const token = (await mailsTo(server, 'trpc@example.com')).at(-1)!.token!;
    expect((await again.trpc.auth.verify.mutate({ token })).isNewUser).toBe(false);
    await expectAppError(again.trpc.auth.verify.mutate({ token }), 'invalid_token', 400);
  });

  it('creates, lists, restricts and revokes API keys; revocation holds on the next request', async () => {
    const { trpc } = await signUpViaTrpc('trpc-keys@example.com', 'trpc-keys');
    const created = await trpc.apiKeys.create.mutate({ name: 'from-trpc' });
    expect(created.key).toMatch(KEY_FORMAT);
    expect(created.prefix).toBe(created.key.slice(0, 12));
    await expectAppError(trpc.apiKeys.create.mutate({ name: 'from-trpc' }), 'api_key_name_taken', 409);

    const listed = await trpc.apiKeys.list.query();
    expect(listed.map((k) => k.id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(await trpc.apiKeys.get.query({ id: created.id })).toMatchObject({ id: created.id, isActive: true, allowedIpRanges: [] });

    const restricted = await trpc.apiKeys.updateIpRestrictions.mutate({ id: created.id, allowedIpRanges: ['127.0.0.9/8', '2001:DB8::1/32'] });
    expect(restricted.allowedIpRanges).toEqual(['127.0.0.0/8', '2001:db8::/32']);
    const bad = await expectAppError(trpc.apiKeys.updateIpRestrictions.mutate({ id: created.id, allowedIpRanges: ['10.0.0.0/8', 'nope'] }), 'invalid_request', 400);
    expect(bad.data?.details?.map((d) => d.path)).toContain('allowedIpRanges.1');

    const agents = trpcClient({ apiKey: created.key });
    expect(await agents.trpc.agents.list.query()).toEqual({ data: [], nextCursor: null });
    expect(await trpc.apiKeys.revoke.mutate({ id: created.id })).toEqual({ success: true });
    await expectAppError(agents.trpc.agents.list.query(), 'invalid_api_key', 401);
    expect((await call(server, 'GET', '/v1/agents', { apiKey: created.key })).status).toBe(401);

    expect(await trpc.apiKeys.list.query()).toEqual([]);
    const all = await trpc.apiKeys.list.query({ includeRevoked: true });
    expect(all.map((k) => [k.id, k.isActive])).toEqual([[created.id, false]]);
    await expectAppError(trpc.apiKeys.updateIpRestrictions.mutate({ id: created.id, allowedIpRanges: [] }), 'api_key_revoked', 409);
    await expectAppError(trpc.apiKeys.get.query({ id: 'key_doesnotexist00000000' }), 'not_found', 404);
  });

  it('serves agents to an x-api-key header, with rate-limit headers', async () => {
    const { trpc } = await signUpViaTrpc('trpc-agents@example.com', 'trpc-agents');
    const key = await trpc.apiKeys.create.mutate({ name: 'agent-key' });
    const { trpc: viaKey, jar } = trpcClient({ apiKey: key.key, batch: false });
    const agent = await viaKey.agents.create.mutate({ name: 'edge', label: 'rack 1' });
    expect(agent).toMatchObject({ name: 'edge', label: 'rack 1', lastSeenAt: null });
    expect(agent.id).toMatch(idOf('agt'));
    expect(jar.lastHeaders!.get('x-ratelimit-limit')).toBe('1000');
    expect(jar.lastHeaders!.get('x-ratelimit-remaining')).toBe('999');
    expect(await viaKey.agents.get.query({ id: agent.id })).toEqual(agent);
    expect((await viaKey.agents.list.query()).data).toEqual([agent]);
    expect((await trpc.agents.list.query()).data).toEqual([agent]); // the session sees the same workspace
    expect(await viaKey.agents.delete.mutate({ id: agent.id })).toEqual({ success: true });
    await expectAppError(viaKey.agents.get.query({ id: agent.id }), 'not_found', 404);
    // Session-only procedures refuse the key.
    await expectAppError(viaKey.apiKeys.list.query(), 'session_required', 403);
    await expectAppError(viaKey.auth.me.query(), 'session_required', 403);
    // A second tenant's key sees none of it.
    const other = await signUpViaTrpc('trpc-agents-2@example.com', 'trpc-agents-2');
    const mine = await viaKey.agents.create.mutate({ name: 'mine' });
    await expectAppError(other.trpc.agents.get.query({ id: mine.id }), 'not_found', 404);
    await expectAppError(other.trpc.agents.delete.mutate({ id: mine.id }), 'not_found', 404);
    await expectAppError(other.trpc.apiKeys.revoke.mutate({ id: key.id }), 'not_found', 404);
    expect(await viaKey.agents.get.query({ id: mine.id })).toEqual(mine);
  });

  it('auth.session answers a signed-out probe with 200 {signedIn: false}, a signed-in one with who; REST /v1/auth/me keeps its 401', async () => {
    const probe = (opts: { cookie?: string | null; apiKey?: string } = {}) => call(server, 'GET', '/trpc/auth.session', opts);
    for (const signedOut of [probe(), probe({ cookie: 'x'.repeat(43) }), probe({ apiKey: 'pc_live_nope' })]) {
      const res = await signedOut;
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { result: { data: { signedIn: false } } } });
    }
    expect((await call(server, 'GET', '/v1/auth/me')).status).toBe(401);

    const { trpc, jar } = await signUpViaTrpc('trpc-session@example.com', 'trpc-session');
    expect(await trpc.auth.session.query()).toEqual({ signedIn: true, ...(await trpc.auth.me.query()) });
    expect((await probe({ cookie: jar.session })).status).toBe(200);
    await trpc.auth.logout.mutate({});
    expect(await trpcClient().trpc.auth.session.query()).toEqual({ signedIn: false });
  });

  it('errors carry data.appCode (and details for validation)', async () => {
    const anonymous = trpcClient();
    await expectAppError(anonymous.trpc.auth.me.query(), 'authentication_required', 401);
    await expectAppError(anonymous.trpc.apiKeys.list.query(), 'authentication_required', 401);
    await expectAppError(anonymous.trpc.agents.list.query(), 'authentication_required', 401);
    await expectAppError(trpcClient({ apiKey: 'pc_live_nope' }).trpc.agents.list.query(), 'invalid_api_key', 401);
    const invalid = await expectAppError(anonymous.trpc.auth.register.mutate({ email: 'nope', workspaceName: 'admin' }), 'invalid_request', 400);
    expect(invalid.data?.details?.map((d) => d.path).sort()).toEqual(['email', 'workspaceName']);
    await expectAppError(anonymous.trpc.auth.verify.mutate({ token: 'x'.repeat(43) }), 'invalid_token', 400);
    await signUpViaTrpc('trpc-errors@example.com', 'trpc-errors');
    await expectAppError(anonymous.trpc.auth.register.mutate({ email: 'taken-trpc@example.com', workspaceName: 'trpc-errors' }), 'workspace_name_taken', 409);
  });

  it('failures of the body itself carry the codes REST uses: invalid_json, payload_too_large, unsupported_media_type, not_found', async () => {
    const { jar } = await signUpViaTrpc('trpc-bodies@example.com', 'trpc-bodies');
    const post = (rawBody: string, contentType = 'application/json') =>
      call(server, 'POST', '/trpc/agents.create', { cookie: jar.session, rawBody, headers: { 'content-type': contentType } });
    const cases: Array<[Promise<{ status: number; body: any }>, number, string]> = [
      [post('{"name":'), 400, 'invalid_json'],
      [post(JSON.stringify({ name: 'x'.repeat(70_000) })), 413, 'payload_too_large'],
      [post('{"name":"a"}', 'text/plain'), 415, 'unsupported_media_type'],
      [call(server, 'GET', '/trpc/agents.nope', { cookie: jar.session }), 404, 'not_found'],
    ];
    for (const [reply, status, appCode] of cases) {
      const res = await reply;
      expect({ status: res.status, appCode: res.body.error.data.appCode }).toEqual({ status, appCode });
    }
    expect((await call(server, 'GET', '/v1/agents', { cookie: jar.session })).body).toEqual([]);
  });

  it('refuses a cookie-made mutation from another origin (cross_site_request); queries and our origin pass', async () => {
    const { trpc, jar } = await signUpViaTrpc('trpc-csrf@example.com', 'trpc-csrf');
    const key = await trpc.apiKeys.create.mutate({ name: 'csrf' });
    for (const origin of ['https://evil.example', 'null']) {
      const evil = trpcClient({ origin });
      evil.jar.session = jar.session;
      await expectAppError(evil.trpc.apiKeys.revoke.mutate({ id: key.id }), 'cross_site_request', 403);
      await expectAppError(evil.trpc.apiKeys.create.mutate({ name: 'evil' }), 'cross_site_request', 403);
      await expectAppError(evil.trpc.auth.logout.mutate({}), 'cross_site_request', 403);
      expect((await evil.trpc.auth.me.query()).user.email).toBe('trpc-csrf@example.com');
    }
    expect((await trpc.apiKeys.list.query()).map((k) => [k.name, k.isActive])).toEqual([['csrf', true]]);
    const own = trpcClient({ origin: server.config.publicUrl });
    own.jar.session = jar.session;
    expect((await own.trpc.agents.create.mutate({ name: 'same-origin' })).name).toBe('same-origin');
  });

  it('logout clears the cookie and ends the session everywhere', async () => {
    const { trpc, jar } = await signUpViaTrpc('trpc-out@example.com', 'trpc-out');
    const token = jar.session!;
    expect(await trpc.auth.logout.mutate({})).toEqual({ success: true });
    expect(jar.lastSetCookie).toEqual(['session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0']);
    expect(jar.session).toBeNull();
    await expectAppError(trpc.auth.me.query(), 'authentication_required', 401);
    expect((await call(server, 'GET', '/v1/auth/me', { cookie: token })).status).toBe(401);
  });

  it('batches: each call in a batch succeeds or fails on its own', async () => {
    const { trpc } = await signUpViaTrpc('trpc-batch@example.com', 'trpc-batch');
    const [me, missing, keys] = await Promise.allSettled([
      trpc.auth.me.query(),
      trpc.apiKeys.get.query({ id: 'key_doesnotexist00000000' }),
      trpc.apiKeys.list.query(),
    ]);
    expect(me.status).toBe('fulfilled');
    expect(keys).toEqual({ status: 'fulfilled', value: [] });
    expect(missing.status).toBe('rejected');
    expect(((missing as PromiseRejectedResult).reason as TRPCClientError<AppRouter>).data?.appCode).toBe('not_found');
  });
});
