import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { ISO_MS, expectError, expectFields, idOf, signIn } from './helpers.js';

const DAY = 24 * 3600_000;
const COOKIE_ATTRS = '; HttpOnly; SameSite=Lax; Path=/; Max-Age=2592000';

let server: TestServer;
let clock: ManualClock;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock });
});
afterAll(async () => server?.close());

const me = (cookie: string) => call(server, 'GET', '/v1/auth/me', { cookie });

describe('session cookie', () => {
  it('is Secure, with HSTS, when PUBLIC_URL is https; links and the Origin check follow PUBLIC_URL', async () => {
    const https = await startTestServer({ env: { PUBLIC_URL: 'https://connect.example.com' } });
    try {
      const reg = await call(https, 'POST', '/v1/auth/register', { body: { email: 'tls@example.com', workspaceName: 'tls' } });
      expect(reg.status).toBe(200);
      await https.core.queue.idle();
      const [mail] = await https.sink.waitFor('tls@example.com');
      expect(mail!.link!.startsWith('https://connect.example.com/auth/verify?token=')).toBe(true);
      const verified = await call(https, 'GET', `/v1/auth/verify?token=${encodeURIComponent(mail!.token!)}`);
      expect(verified.headers.getSetCookie()).toEqual([`session=${verified.cookie}${COOKIE_ATTRS}; Secure`]);
      expect(verified.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      const cookie = verified.cookie!;
      const own = await call(https, 'POST', '/v1/api-keys', { cookie, body: { name: 'k' }, headers: { origin: 'https://connect.example.com' } });
      expect(own.status).toBe(201);
      const plain = await call(https, 'POST', '/v1/api-keys', { cookie, body: { name: 'k2' }, headers: { origin: https.url } });
      expectError(plain, 403, 'cross_site_request');
      const out = await call(https, 'POST', '/v1/auth/logout', { cookie });
      expect(out.headers.getSetCookie()[0]).toMatch(/^session=; .*Max-Age=0.*; Secure$/);
    } finally {
      await https.close();
    }
  });

  it('is not Secure and sends no HSTS on http', async () => {
    const { cookie } = await signUp(server, 'plain@example.com', 'plain-ws');
    const token = cookie;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const res = await me(cookie);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    // Only a hash of the token is stored.
    const rows = await server.handle.db.selectFrom('sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});

describe('sliding sessions', () => {
  it('are extended (and the cookie re-set) once used after half their life', async () => {
    const { cookie } = await signUp(server, 'slide@example.com', 'slide-ws');
    clock.advance(15 * DAY - 60_000);
    const early = await me(cookie);
    expect(early.status).toBe(200);
    expect(early.headers.getSetCookie()).toEqual([]);

    clock.advance(2 * 60_000); // now past half of 30 days
    const renewed = await me(cookie);
    expect(renewed.status).toBe(200);
    expect(renewed.headers.getSetCookie()).toEqual([`session=${cookie}${COOKIE_ATTRS}`]);
    const sessions = await call(server, 'GET', '/v1/auth/sessions', { cookie });
    const current = sessions.body.find((s: { current: boolean }) => s.current);
    expect(current.expiresAt).toBe(new Date(clock.now().getTime() + 30 * DAY).toISOString());

    // Renewed right away again? No: only after half of the new life.
    expect((await me(cookie)).headers.getSetCookie()).toEqual([]);
    // Without the renewal it would have died at day 30; it lives on to day 45.
    clock.advance(29 * DAY);
    expect((await call(server, 'GET', '/v1/api-keys', { cookie })).status).toBe(200);
  });

  it('end after 30 days without use', async () => {
    const { cookie } = await signUp(server, 'idle@example.com', 'idle-ws');
    clock.advance(30 * DAY - 1000);
    // Unused sessions are not renewed by time alone; at 30 days the session is gone.
    clock.advance(1000);
    expectError(await me(cookie), 401, 'authentication_required');
    expectError(await call(server, 'GET', '/v1/agents', { cookie }), 401, 'authentication_required');
  });
});

describe('POST /v1/auth/logout', () => {
  it('deletes the session server-side and clears the cookie', async () => {
    const { cookie } = await signUp(server, 'bye@example.com', 'bye-ws');
    const other = await signIn(server, 'bye@example.com');
    const res = await call(server, 'POST', '/v1/auth/logout', { cookie });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true });
    expect(res.headers.getSetCookie()).toEqual(['session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0']);

    // The token works nowhere any more, REST or tRPC.
    expectError(await me(cookie), 401, 'authentication_required');
    expectError(await call(server, 'GET', '/v1/api-keys', { cookie }), 401, 'authentication_required');
    expectError(await call(server, 'GET', '/v1/agents', { cookie }), 401, 'authentication_required');
    expectError(await call(server, 'POST', '/v1/auth/logout', { cookie }), 401, 'authentication_required');
    const trpc = await call(server, 'GET', '/trpc/auth.me', { cookie });
    expect(trpc.status).toBe(401);
    expect(trpc.body.error.data.appCode).toBe('authentication_required');
    // The user's other session is untouched.
    expect((await me(other)).status).toBe(200);
    const ids = (await call(server, 'GET', '/v1/auth/sessions', { cookie: other })).body.map((s: { id: string }) => s.id);
    expect(ids).toHaveLength(1);
  });

  it('?scope=others ends every other session, ?scope=global all of them', async () => {
    const { cookie: a } = await signUp(server, 'scopes@example.com', 'scopes-ws');
    const b = await signIn(server, 'scopes@example.com');
    const c = await signIn(server, 'scopes@example.com');
    const others = await call(server, 'POST', '/v1/auth/logout?scope=others', { cookie: a });
    expect(others.status).toBe(200);
    expect(others.body).toEqual({ success: true });
    expect(others.headers.getSetCookie().filter((h) => h.startsWith('session=;'))).toEqual([]);
    expect((await me(a)).status).toBe(200);
    expect((await me(b)).status).toBe(401);
    expect((await me(c)).status).toBe(401);

    const d = await signIn(server, 'scopes@example.com');
    const global = await call(server, 'POST', '/v1/auth/logout?scope=global', { cookie: d });
    expect(global.status).toBe(200);
    expect((await me(a)).status).toBe(401);
    expect((await me(d)).status).toBe(401);

    const e = await signIn(server, 'scopes@example.com');
    expectError(await call(server, 'POST', '/v1/auth/logout?scope=everything', { cookie: e }), 400, 'invalid_request');
    expect((await me(e)).status).toBe(200);
    expect((await call(server, 'POST', '/v1/auth/logout?scope=local', { cookie: e })).status).toBe(200);
    expect((await me(e)).status).toBe(401);
  });
});

describe('GET/DELETE /v1/auth/sessions', () => {
  it("lists the user's live sessions, most recently used first, and ends one by id", async () => {
    const { cookie: first } = await signUp(server, 'sess@example.com', 'sess-ws');
    clock.advance(1000);
    const second = await signIn(server, 'sess@example.com');
    clock.advance(1000);
    const third = await signIn(server, 'sess@example.com', { 'user-agent': 'pc-test/1.0' });
    clock.advance(1000);
    await me(first); // first is now used more recently than second
    clock.advance(1000);
    const list = await call(server, 'GET', '/v1/auth/sessions', { cookie: third, headers: { 'user-agent': 'something-else' } });
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(3);
    for (const s of list.body) {
      expectFields(s, ['id', 'createdAt', 'lastUsedAt', 'expiresAt', 'ip', 'userAgent', 'current', 'workspace']);
      expect(s.id).toMatch(/^ses_/);
      expect(s.workspace).toEqual({ id: expect.stringMatching(/^ws_/), name: 'sess-ws' });
      expect(s.createdAt).toMatch(ISO_MS);
      expect(s.expiresAt).toBe(new Date(new Date(s.createdAt).getTime() + 30 * DAY).toISOString());
      expect(s.ip).toBe('127.0.0.1');
    }
    // third (this very request), then first (used a second ago), then second (only its sign-in).
    const t0 = clock.now().getTime();
    expect(list.body.map((s: { current: boolean; lastUsedAt: string }) => [s.current, s.lastUsedAt])).toEqual([
      [true, new Date(t0).toISOString()],
      [false, new Date(t0 - 1000).toISOString()],
      [false, new Date(t0 - 3000).toISOString()],
    ]);
    expect(list.body[2].createdAt).toBe(list.body[2].lastUsedAt);
    // ip and userAgent are those of the sign-in.
    expect(list.body[0].userAgent).toBe('pc-test/1.0');
    expect(list.body[1].userAgent).not.toBe('pc-test/1.0');
    const older = list.body[1];
    const del = await call(server, 'DELETE', `/v1/auth/sessions/${older.id}`, { cookie: third });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ success: true });
    expect((await me(first)).status).toBe(401);
    expect((await me(second)).status).toBe(200);
    expect((await me(third)).status).toBe(200);
    expectError(await call(server, 'DELETE', `/v1/auth/sessions/${older.id}`, { cookie: third }), 404, 'not_found');
    expectError(await call(server, 'DELETE', '/v1/auth/sessions/ses_doesnotexist0000000', { cookie: third }), 404, 'not_found');
  });

  it("another user's session id is 404 and stays alive", async () => {
    const a = await signUp(server, 'sess-a@example.com', 'sess-a');
    const b = await signUp(server, 'sess-b@example.com', 'sess-b');
    const aSession = (await call(server, 'GET', '/v1/auth/sessions', { cookie: a.cookie })).body[0].id;
    const bList = (await call(server, 'GET', '/v1/auth/sessions', { cookie: b.cookie })).body;
    expect(bList.map((s: { id: string }) => s.id)).not.toContain(aSession);
    expectError(await call(server, 'DELETE', `/v1/auth/sessions/${aSession}`, { cookie: b.cookie }), 404, 'not_found');
    expect((await me(a.cookie)).status).toBe(200);
  });
});

describe('session-only routes', () => {
  it('answer 403 session_required to an x-api-key, even with a valid cookie alongside', async () => {
    const { cookie } = await signUp(server, 'keyonly@example.com', 'keyonly-ws');
    const key = await createKey(server, cookie);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/v1/auth/me'],
      ['POST', '/v1/auth/logout'],
      ['GET', '/v1/auth/sessions'],
      ['DELETE', '/v1/auth/sessions/ses_x'],
      ['GET', '/v1/api-keys'],
      ['POST', '/v1/api-keys', { name: 'via-key' }],
      ['GET', `/v1/api-keys/${key.id}`],
      ['PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { allowedIpRanges: ['10.0.0.0/8'] }],
      ['POST', `/v1/api-keys/${key.id}/roll`, {}],
      ['DELETE', `/v1/api-keys/${key.id}`],
      ['GET', '/v1/audit-logs'],
    ];
    for (const [method, path, body] of routes) {
      const withKey = await call(server, method, path, { apiKey: key.key, ...(body === undefined ? {} : { body }) });
      expect(withKey.status, `${method} ${path}`).toBe(403);
      expectError(withKey, 403, 'session_required');
      const both = await call(server, method, path, { apiKey: key.key, cookie, ...(body === undefined ? {} : { body }) });
      expectError(both, 403, 'session_required');
    }
    // Nothing changed: the key is active, unrestricted and not rolled; the session lives.
    const detail = await call(server, 'GET', `/v1/api-keys/${key.id}`, { cookie });
    expect(detail.body).toMatchObject({ isActive: true, allowedIpRanges: [], rolledToId: null });
    expect((await me(cookie)).status).toBe(200);
    expect((await call(server, 'GET', '/v1/api-keys', { cookie })).body).toHaveLength(1);
  });
});

describe('cross-site requests', () => {
  it('cookie-made state changes with a foreign or null Origin are 403 cross_site_request and change nothing', async () => {
    const { cookie } = await signUp(server, 'csrf@example.com', 'csrf-ws');
    const key = await createKey(server, cookie, 'csrf-key');
    const agent = (await call(server, 'POST', '/v1/agents', { cookie, body: { name: 'csrf-agent' } })).body;
    const own = server.config.publicUrl;
    const foreign = ['https://evil.example', 'null', own.replace('127.0.0.1', 'localhost'), `${own.replace(/:\d+$/, '')}:1`, `${own}.evil.example`];
    const writes: Array<[string, string, unknown?]> = [
      ['POST', '/v1/api-keys', { name: 'csrf-new' }],
      ['PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { allowedIpRanges: ['10.0.0.0/8'] }],
      ['POST', `/v1/api-keys/${key.id}/roll`, {}],
      ['DELETE', `/v1/api-keys/${key.id}`],
      ['POST', '/v1/agents', { name: 'csrf-agent-2' }],
      ['DELETE', `/v1/agents/${agent.id}`],
      ['POST', '/v1/auth/logout'],
    ];
    for (const origin of foreign) {
      for (const [method, path, body] of writes) {
        const res = await call(server, method, path, { cookie, headers: { origin }, ...(body === undefined ? {} : { body }) });
        expect(res.status, `${origin} ${method} ${path}`).toBe(403);
        expectError(res, 403, 'cross_site_request');
      }
    }
    expect((await call(server, 'GET', '/v1/api-keys', { cookie })).body.map((k: { id: string }) => k.id)).toEqual([key.id]);
    expect((await call(server, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body).toMatchObject({ isActive: true, allowedIpRanges: [], rolledToId: null });
    expect((await call(server, 'GET', '/v1/agents', { cookie })).body.map((a: { id: string }) => a.id)).toEqual([agent.id]);
    expect((await me(cookie)).status).toBe(200);

    // Reads are not state changes; our own origin and no Origin at all pass.
    expect((await call(server, 'GET', '/v1/api-keys', { cookie, headers: { origin: 'https://evil.example' } })).status).toBe(200);
    expect((await call(server, 'POST', '/v1/agents', { cookie, body: { name: 'own-origin' }, headers: { origin: own } })).status).toBe(201);
    expect((await call(server, 'POST', '/v1/agents', { cookie, body: { name: 'no-origin' } })).status).toBe(201);
    // An API key is not a cookie: a script with a stray Origin still works.
    const viaKey = await call(server, 'POST', '/v1/agents', { apiKey: key.key, body: { name: 'key-agent' }, headers: { origin: 'https://evil.example' } });
    expect(viaKey.status).toBe(201);
  });

  it('ids are opaque and prefixed', async () => {
    const { user, workspace, cookie } = await signUp(server, 'ids@example.com', 'ids-ws');
    expect(user.id).toMatch(idOf('user'));
    expect(workspace.id).toMatch(idOf('ws'));
    const key = await createKey(server, cookie);
    expect(key.id).toMatch(idOf('key'));
    const agent = await call(server, 'POST', '/v1/agents', { cookie, body: { name: 'a' } });
    expect(agent.body.id).toMatch(idOf('agt'));
  });
});
