import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ManualClock, type Reply, type TestServer, call, manualClock, signUp, startTestServer } from './harness.js';
import { expectError, mailsTo, verifyPath } from './helpers.js';

const DEFAULT_LIMITS = { registerPerIpPerMinute: 5, loginPerIpPerMinute: 5, perEmailPer15Minutes: 3, verifyPerIpPerMinute: 20, ipv6Prefix: 64 };

let server: TestServer;
let clock: ManualClock;
let n = 0;

beforeAll(async () => {
  clock = manualClock();
  server = await startTestServer({ clock, authLimits: DEFAULT_LIMITS });
});
afterAll(async () => server?.close());
// Every test starts with fresh windows.
beforeEach(() => clock.advance(16 * 60_000));

const register = (email: string, headers: Record<string, string> = {}) =>
  call(server, 'POST', '/v1/auth/register', { body: { email, workspaceName: `lim-${++n}` }, headers });
const login = (email: string, headers: Record<string, string> = {}) => call(server, 'POST', '/v1/auth/login', { body: { email }, headers });

function expectLimited(res: Reply, maxSeconds: number): number {
  expectError(res, 429, 'rate_limited');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  expect(res.body.retryAfter).toBe(retryAfter);
  return retryAfter;
}

describe('auth abuse limits (defaults)', () => {
  it('register: 5 a minute per client IP; X-Forwarded-For does not dodge it', async () => {
    for (let i = 0; i < 5; i++) expect((await register(`reg-ip-${n}-${i}@example.com`)).status).toBe(200);
    expectLimited(await register('reg-ip-6@example.com'), 60);
    expectLimited(await register('reg-ip-7@example.com', { 'x-forwarded-for': '203.0.113.50' }), 60);
    await server.core.queue.idle();
    expect(server.sink.messages.filter((m) => m.to === 'reg-ip-6@example.com')).toHaveLength(0);
    // Login has its own budget.
    expect((await login('reg-ip-other@example.com')).status).toBe(200);
    clock.advance(60_000);
    expect((await register('reg-ip-8@example.com')).status).toBe(200);
  });

  it('login: 5 a minute per client IP', async () => {
    for (let i = 0; i < 5; i++) expect((await login(`login-ip-${i}@example.com`)).status).toBe(200);
    clock.advance(30_000);
    const retryAfter = expectLimited(await login('login-ip-5@example.com'), 60);
    expect(retryAfter).toBe(30);
    clock.advance(30_000);
    expect((await login('login-ip-5@example.com')).status).toBe(200);
  });

  it('3 per 15 minutes per e-mail across register and login, the same for known and unknown addresses', async () => {
    const known = 'known-limit@example.com';
    await signUp(server, known, `known-limit-${++n}`); // 1 of 3 for `known`
    clock.advance(60_000); // new per-IP windows; the per-e-mail window keeps counting
    expect((await login(known)).status).toBe(200);
    expect((await login(known.toUpperCase())).status).toBe(200);
    const knownLimited = await login(` ${known} `);

    const unknown = 'unknown-limit@example.com';
    expect((await login(unknown)).status).toBe(200);
    expect((await register(unknown)).status).toBe(200);
    expect((await login('Unknown-Limit@example.com')).status).toBe(200);
    const unknownLimited = await register(unknown);

    for (const r of [knownLimited, unknownLimited]) expectLimited(r, 15 * 60);
    expect(Number(knownLimited.headers.get('retry-after'))).toBeGreaterThan(60);
    expect({ ...knownLimited.body, retryAfter: 0 }).toEqual({ ...unknownLimited.body, retryAfter: 0 });
    expect([...knownLimited.headers.keys()].sort()).toEqual([...unknownLimited.headers.keys()].sort());
    // Only what was allowed was mailed: the sign-up link and two sign-in links.
    expect(await mailsTo(server, known)).toHaveLength(3);

    // Another address is unaffected (in a new per-IP minute); after 15 minutes the address may ask again.
    clock.advance(60_000);
    expect((await login('bystander-limit@example.com')).status).toBe(200);
    clock.advance(15 * 60_000);
    expect((await login(known)).status).toBe(200);
  });

  it('verify: 20 a minute per client IP, after which even a good link waits', async () => {
    const email = 'verify-limit@example.com';
    await signUp(server, email, `verify-limit-${++n}`); // one verify
    clock.advance(60_000);
    expect((await login(email)).status).toBe(200);
    const token = (await mailsTo(server, email)).at(-1)!.token!;
    for (let i = 0; i < 20; i++) expectError(await call(server, 'GET', verifyPath(`bad-token-${i}`.padEnd(43, 'x'))), 400, 'invalid_token');
    expectLimited(await call(server, 'GET', verifyPath(token)), 60);
    clock.advance(60_000);
    const ok = await call(server, 'GET', verifyPath(token));
    expect(ok.status).toBe(200);
    expect(ok.body.isNewUser).toBe(false);
  });
});

describe('auth abuse limits behind a trusted proxy', () => {
  it('count each forwarded client separately', async () => {
    const proxied = await startTestServer({ authLimits: DEFAULT_LIMITS, env: { TRUST_PROXY: 'loopback' } });
    try {
      const from = (ip: string, i: number) => call(proxied, 'POST', '/v1/auth/login', { body: { email: `p-${ip}-${i}@example.com` }, headers: { 'x-forwarded-for': ip } });
      for (let i = 0; i < 5; i++) expect((await from('198.51.100.1', i)).status).toBe(200);
      expectError(await from('198.51.100.1', 5), 429, 'rate_limited');
      expect((await from('198.51.100.2', 0)).status).toBe(200);
    } finally {
      await proxied.close();
    }
  });
});
