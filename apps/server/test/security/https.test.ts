import { afterEach, describe, expect, it } from 'vitest';
import { type Reply, type TestServer, call, manualClock, startTestServer } from '../harness.js';
import { linkToken, loginToken, trpcMutation, trpcQuery } from './support.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const DAY = 24 * 3600_000;

/** A sign-up (with `register`) or sign-in link's token. */
const linkFor = (server: TestServer, email: string, register = false) =>
  register ? linkToken(server, email, () => call(server, 'POST', '/v1/auth/register', { body: { email, workspaceName: 'tls-ws' } })) : loginToken(server, email);

/** Every session Set-Cookie a reply carries. */
const sessionCookies = (r: Reply) => r.headers.getSetCookie().filter((c) => c.startsWith('session='));

/** One of each kind of response: JSON success and error, tRPC, HTML, health, 404, 413. */
async function everyKindOfResponse(server: TestServer, cookie: string): Promise<Array<[string, Reply]>> {
  return [
    ['GET /health', await call(server, 'GET', '/health')],
    ['GET /v1/auth/me', await call(server, 'GET', '/v1/auth/me', { cookie })],
    ['GET /v1/auth/me (401)', await call(server, 'GET', '/v1/auth/me')],
    ['GET /v1/agents', await call(server, 'GET', '/v1/agents', { cookie })],
    ['GET /v1/openapi.json', await call(server, 'GET', '/v1/openapi.json')],
    ['GET /v1/nope (404)', await call(server, 'GET', '/v1/nope')],
    ['POST /v1/agents (413)', await call(server, 'POST', '/v1/agents', { cookie, body: { name: 'x', pad: 'p'.repeat(70_000) } })],
    ['POST /v1/agents (415)', await call(server, 'POST', '/v1/agents', { cookie, rawBody: 'name=x', headers: { 'content-type': 'text/plain' } })],
    ['GET /v1/auth/verify (400)', await call(server, 'GET', '/v1/auth/verify?token=nope')],
    ['GET / (HTML)', await call(server, 'GET', '/')],
    ['GET /auth/verify (HTML)', await call(server, 'GET', '/auth/verify?token=abc')],
    ['tRPC config', await trpcQuery(server, 'config')],
    ['tRPC auth.me (401)', await trpcQuery(server, 'auth.me')],
  ];
}

describe('PUBLIC_URL is https', () => {
  it('every kind of response carries Strict-Transport-Security (at least a year)', async () => {
    s = await startTestServer({ env: { PUBLIC_URL: 'https://pc.example.com' } });
    const token = await linkFor(s, 'tls@example.com', true);
    expect(s.sink.messages.at(-1)!.link).toMatch(/^https:\/\/pc\.example\.com\/auth\/verify\?token=/);
    const cookie = (await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`)).cookie!;
    for (const [name, res] of await everyKindOfResponse(s, cookie)) {
      const hsts = res.headers.get('strict-transport-security');
      expect(hsts, name).toMatch(/max-age=\d+/);
      expect(Number(/max-age=(\d+)/.exec(hsts!)![1]), name).toBeGreaterThanOrEqual(365 * 24 * 3600);
    }
  });

  it('every session cookie the server sets is Secure, HttpOnly and SameSite=Lax: sign-in, sliding renewal and sign-out, REST and tRPC', async () => {
    const clock = manualClock();
    s = await startTestServer({ clock, env: { PUBLIC_URL: 'https://pc.example.com' } });
    const server = s;
    await linkFor(server, 'tls@example.com', true).then((t) => call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(t)}`));
    const origin = { origin: 'https://pc.example.com' };

    const restIn = await call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(await linkFor(server, 'tls@example.com'))}`);
    const trpcIn = await trpcMutation(server, 'auth.verify', { token: await linkFor(server, 'tls@example.com') }, { headers: origin });
    clock.advance(16 * DAY);
    const restRenew = await call(server, 'GET', '/v1/auth/me', { cookie: restIn.cookie });
    const trpcRenew = await trpcQuery(server, 'auth.me', undefined, { cookie: trpcIn.cookie });
    const restOut = await call(server, 'POST', '/v1/auth/logout', { cookie: restIn.cookie, headers: origin });
    const trpcOut = await trpcMutation(server, 'auth.logout', {}, { cookie: trpcIn.cookie, headers: origin });

    for (const [name, res] of Object.entries({ restIn, trpcIn, restRenew, trpcRenew, restOut, trpcOut })) {
      expect(res.status, name).toBe(200);
      const cookies = sessionCookies(res);
      expect(cookies, name).toHaveLength(1);
      const attrs = cookies[0]!.split(';').map((a) => a.trim().toLowerCase());
      expect(attrs, name).toEqual(expect.arrayContaining(['secure', 'httponly', 'samesite=lax', 'path=/']));
    }
  });

  it('the Origin check follows PUBLIC_URL: the https origin passes, the plain-http one of the same host does not', async () => {
    s = await startTestServer({ env: { PUBLIC_URL: 'https://pc.example.com' } });
    const cookie = (await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(await linkFor(s, 'tls@example.com', true))}`)).cookie;
    expect((await call(s, 'POST', '/v1/agents', { cookie, headers: { origin: 'https://pc.example.com' }, body: { name: 'ok' } })).status).toBe(201);
    expect((await call(s, 'POST', '/v1/agents', { cookie, headers: { origin: 'http://pc.example.com' }, body: { name: 'downgraded' } })).status).toBe(403);
  });
});

describe('PUBLIC_URL is plain http', () => {
  it('no HSTS (it would lock browsers out of a plain-http deployment) and no Secure flag', async () => {
    s = await startTestServer();
    const res = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(await linkFor(s, 'plain@example.com', true))}`);
    for (const [name, r] of [['verify', res] as [string, Reply], ...(await everyKindOfResponse(s, res.cookie!))]) {
      expect(r.headers.get('strict-transport-security'), name).toBeNull();
    }
    expect(sessionCookies(res)[0]!.toLowerCase()).not.toContain('secure');
  });
});
