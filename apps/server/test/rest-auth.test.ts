import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type TestServer, call, manualClock, signUp, startTestServer } from './harness.js';
import { ISO_MS, expectError, expectFields, idOf, mailsTo, requestLoginToken, verifyPath } from './helpers.js';

let server: TestServer;
let clock: ManualClock;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock });
});
afterAll(async () => server?.close());

const COOKIE = /^session=([A-Za-z0-9_-]{43,}); HttpOnly; SameSite=Lax; Path=\/; Max-Age=2592000$/;

async function register(email: string, workspaceName: string) {
  return call(server, 'POST', '/v1/auth/register', { body: { email, workspaceName } });
}

async function lastToken(email: string, count = 1): Promise<string> {
  await server.core.queue.idle();
  const mails = await server.sink.waitFor(email, count);
  return mails[mails.length - 1]!.token!;
}

describe('POST /v1/auth/register', () => {
  it('answers the documented body and mails a link to the SPA verify page; verify creates user and workspace', async () => {
    const res = await register('new@example.com', 'my-workspace');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, message: 'Verification email sent' });

    const [mail] = await server.sink.waitFor('new@example.com');
    expect(mail!.raw).toMatch(/^From: Private Connect <no-reply@localhost>$/m);
    expect(mail!.raw).toMatch(/^To: new@example.com$/m);
    expect(mail!.link!.startsWith(`${server.config.publicUrl}/auth/verify?token=`)).toBe(true);
    expect(mail!.token).toMatch(/^[A-Za-z0-9_-]{43,}$/); // ≥ 32 random bytes, base64url
    // Nothing exists until the link is verified.
    expect(await server.handle.db.selectFrom('users').select('id').where('email', '=', 'new@example.com').executeTakeFirst()).toBeUndefined();

    const verified = await call(server, 'GET', verifyPath(mail!.token!));
    expect(verified.status).toBe(200);
    expectFields(verified.body, ['success', 'user', 'workspace', 'isNewUser']);
    expectFields(verified.body.user, ['id', 'email']);
    expectFields(verified.body.workspace, ['id', 'name']);
    expect(verified.body).toMatchObject({ success: true, isNewUser: true, user: { email: 'new@example.com' }, workspace: { name: 'my-workspace' } });
    expect(verified.body.user.id).toMatch(idOf('user'));
    expect(verified.body.workspace.id).toMatch(idOf('ws'));
    const setCookie = verified.headers.getSetCookie();
    expect(setCookie).toHaveLength(1);
    expect(setCookie[0]).toMatch(COOKIE);
    expect(verified.cookie).toBe(COOKIE.exec(setCookie[0]!)![1]);

    const me = await call(server, 'GET', '/v1/auth/me', { cookie: verified.cookie });
    expect(me.status).toBe(200);
    expectFields(me.body, ['user', 'workspace', 'role']);
    expectFields(me.body.user, ['id', 'email', 'createdAt']);
    expectFields(me.body.workspace, ['id', 'name', 'createdAt']);
    expect(me.body).toEqual({
      user: { id: verified.body.user.id, email: 'new@example.com', createdAt: clock.now().toISOString() },
      workspace: { id: verified.body.workspace.id, name: 'my-workspace', createdAt: clock.now().toISOString() },
      role: 'owner',
    });
    expect(me.body.user.createdAt).toMatch(ISO_MS);
  });

  it('trims and lower-cases the e-mail', async () => {
    const res = await register('  Mixed.Case@Example.COM ', 'mixed-case');
    expect(res.status).toBe(200);
    const token = await lastToken('mixed.case@example.com');
    const verified = await call(server, 'GET', verifyPath(token));
    expect(verified.body.user.email).toBe('mixed.case@example.com');
    // Signing in later with another spelling reaches the same account.
    const again = await call(server, 'POST', '/v1/auth/login', { body: { email: 'MIXED.case@example.com' } });
    expect(again.status).toBe(200);
    const second = await call(server, 'GET', verifyPath(await lastToken('mixed.case@example.com', 2)));
    expect(second.body).toMatchObject({ isNewUser: false, user: { id: verified.body.user.id } });
  });

  it.each([
    [{ email: 'not-an-email', workspaceName: 'valid-name' }, 'email'],
    [{ email: '', workspaceName: 'valid-name' }, 'email'],
    [{ email: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(58)}.com`, workspaceName: 'valid-name' }, 'email'],
    [{ workspaceName: 'valid-name' }, 'email'],
    [{ email: 42, workspaceName: 'valid-name' }, 'email'],
    [{ email: 'v@example.com', workspaceName: 'a' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'a'.repeat(51) }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'Upper-Case' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: '-leading' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'has space' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'under_score' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'admin' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'api' }, 'workspaceName'],
    [{ email: 'v@example.com', workspaceName: 'www' }, 'workspaceName'],
    [{ email: 'v@example.com' }, 'workspaceName'],
  ])('refuses %j with 400 invalid_request naming %s', async (body, path) => {
    const res = await call(server, 'POST', '/v1/auth/register', { body });
    expectError(res, 400, 'invalid_request');
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain(path);
    await server.core.queue.idle();
    expect(server.sink.messages.filter((m) => m.to === 'v@example.com')).toHaveLength(0);
  });

  it('accepts the boundaries: a 254-character e-mail, 2- and 50-character workspace names', async () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    expect(email).toHaveLength(254);
    expect((await register(email, 'z9')).status).toBe(200);
    expect((await register('fifty@example.com', `a${'-'.repeat(48)}9`)).status).toBe(200);
    expect((await register('digit@example.com', '0-day')).status).toBe(200);
  });

  it('a taken workspace name is 409 workspace_name_taken at register', async () => {
    await signUp(server, 'first-owner@example.com', 'taken-name');
    expectError(await register('second@example.com', 'taken-name'), 409, 'workspace_name_taken');
    expectError(await register('second@example.com', '  taken-name '), 409, 'workspace_name_taken');
    await server.core.queue.idle();
    expect(server.sink.messages.filter((m) => m.to === 'second@example.com')).toHaveLength(0);
  });

  it('when another sign-up takes the name first, verify answers 409 workspace_name_taken', async () => {
    expect((await register('racer-a@example.com', 'race-name')).status).toBe(200);
    expect((await register('racer-b@example.com', 'race-name')).status).toBe(200);
    const tokenA = await lastToken('racer-a@example.com');
    const tokenB = await lastToken('racer-b@example.com');
    const b = await call(server, 'GET', verifyPath(tokenB));
    expect(b.status).toBe(200);
    expect(b.body.workspace.name).toBe('race-name');
    const a = await call(server, 'GET', verifyPath(tokenA));
    expectError(a, 409, 'workspace_name_taken');
    expect(a.cookie).toBeNull();
    expect(await server.handle.db.selectFrom('users').select('id').where('email', '=', 'racer-a@example.com').executeTakeFirst()).toBeUndefined();
  });

  it('an e-mail that has an account gets the same answer and a sign-in link instead', async () => {
    const owner = await signUp(server, 'existing@example.com', 'existing-ws');
    const fresh = await register('nobody-yet@example.com', 'unused-name-1');
    const known = await register('existing@example.com', 'unused-name-2');
    expect(known.status).toBe(fresh.status);
    expect(known.body).toEqual(fresh.body);
    expect([...known.headers.keys()].sort()).toEqual([...fresh.headers.keys()].sort());

    const mails = await mailsTo(server, 'existing@example.com');
    expect(mails).toHaveLength(2);
    expect(mails[1]!.raw).toMatch(/Subject: Your Private Connect sign-in link/);
    expect(mails[1]!.raw).not.toMatch(/unused-name-2/);
    const verified = await call(server, 'GET', verifyPath(mails[1]!.token!));
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ success: true, user: owner.user, workspace: owner.workspace, isNewUser: false });
    // No second workspace was made; the name asked for is still free.
    expect((await register('someone-else@example.com', 'unused-name-2')).status).toBe(200);
  });
});

describe('POST /v1/auth/login', () => {
  it('mails a link when the account exists, nothing when it does not, and answers the same', async () => {
    const owner = await signUp(server, 'login-known@example.com', 'login-known');
    const known = await call(server, 'POST', '/v1/auth/login', { body: { email: 'login-known@example.com' } });
    const unknown = await call(server, 'POST', '/v1/auth/login', { body: { email: 'login-unknown@example.com' } });
    for (const r of [known, unknown]) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ success: true, message: 'Login link sent to your email' });
      expect(r.cookie).toBeNull();
    }
    expect([...known.headers.keys()].sort()).toEqual([...unknown.headers.keys()].sort());

    expect(await mailsTo(server, 'login-unknown@example.com')).toHaveLength(0);
    const mails = await mailsTo(server, 'login-known@example.com');
    expect(mails).toHaveLength(2);
    const verified = await call(server, 'GET', verifyPath(mails[1]!.token!));
    expect(verified.body).toEqual({ success: true, user: owner.user, workspace: owner.workspace, isNewUser: false });
  });

  it('an e-mail with only a pending sign-up has no account yet: login mails nothing', async () => {
    expect((await register('pending-only@example.com', 'pending-only')).status).toBe(200);
    expect(await mailsTo(server, 'pending-only@example.com')).toHaveLength(1);
    expect((await call(server, 'POST', '/v1/auth/login', { body: { email: 'pending-only@example.com' } })).status).toBe(200);
    expect(await mailsTo(server, 'pending-only@example.com')).toHaveLength(1);
  });

  it('refuses a malformed e-mail with 400 invalid_request', async () => {
    const res = await call(server, 'POST', '/v1/auth/login', { body: { email: 'nope' } });
    expectError(res, 400, 'invalid_request');
    expect(res.body.details[0].path).toBe('email');
  });
});

describe('GET /v1/auth/verify', () => {
  it('a link works once', async () => {
    await signUp(server, 'once@example.com', 'once-ws');
    const token = await requestLoginToken(server, 'once@example.com');
    expect((await call(server, 'GET', verifyPath(token))).status).toBe(200);
    const again = await call(server, 'GET', verifyPath(token));
    expectError(again, 400, 'invalid_token');
    expect(again.cookie).toBeNull();
  });

  it('a link expires after 15 minutes', async () => {
    await signUp(server, 'expiry@example.com', 'expiry-ws');
    const early = await requestLoginToken(server, 'expiry@example.com');
    clock.advance(15 * 60_000 - 1000);
    expect((await call(server, 'GET', verifyPath(early))).status).toBe(200);

    const late = await requestLoginToken(server, 'expiry@example.com');
    clock.advance(15 * 60_000);
    expectError(await call(server, 'GET', verifyPath(late)), 400, 'invalid_token');
  });

  it('a registration link expires after 15 minutes too', async () => {
    expect((await register('late-signup@example.com', 'late-signup')).status).toBe(200);
    const token = await lastToken('late-signup@example.com');
    clock.advance(15 * 60_000 + 1);
    expectError(await call(server, 'GET', verifyPath(token)), 400, 'invalid_token');
  });

  it("using one link voids the e-mail's other outstanding links, not other people's", async () => {
    await signUp(server, 'many@example.com', 'many-ws');
    await signUp(server, 'bystander@example.com', 'bystander-ws');
    const t1 = await requestLoginToken(server, 'many@example.com');
    const t2 = await requestLoginToken(server, 'many@example.com');
    const t3 = await requestLoginToken(server, 'many@example.com');
    const other = await requestLoginToken(server, 'bystander@example.com');
    expect((await call(server, 'GET', verifyPath(t2))).status).toBe(200);
    expectError(await call(server, 'GET', verifyPath(t1)), 400, 'invalid_token');
    expectError(await call(server, 'GET', verifyPath(t3)), 400, 'invalid_token');
    expect((await call(server, 'GET', verifyPath(other))).status).toBe(200);
  });

  it('a made-up or mangled token is 400 invalid_token; a missing one is 400', async () => {
    await signUp(server, 'mangle@example.com', 'mangle-ws');
    const token = await requestLoginToken(server, 'mangle@example.com');
    for (const bad of ['x', 'A'.repeat(43), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, token.slice(0, 40)]) {
      expectError(await call(server, 'GET', verifyPath(bad)), 400, 'invalid_token');
    }
    const missing = await call(server, 'GET', '/v1/auth/verify');
    expect(missing.status).toBe(400);
    expect(['invalid_request', 'invalid_token']).toContain(missing.body.code);
    // The real link still works after all that.
    expect((await call(server, 'GET', verifyPath(token))).status).toBe(200);
  });
});
