import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManualClock, type Reply, type TestServer, call, manualClock, signUp, startTestServer } from '../harness.js';
import { loginToken, sha256, trpcMutation, trpcQuery } from './support.js';

let s: TestServer | undefined;
let clock: ManualClock;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function start() {
  clock = manualClock();
  s = await startTestServer({ clock });
  return s;
}

async function signIn(server: TestServer, email: string): Promise<string> {
  const res = await call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(await loginToken(server, email))}`);
  expect(res.status).toBe(200);
  return res.cookie!;
}

/** Who a cookie signs in as, over REST and over tRPC; null when it signs in as no one. */
async function whoIs(server: TestServer, cookie: string): Promise<string | null> {
  const rest = await call(server, 'GET', '/v1/auth/me', { cookie });
  const trpc = await trpcQuery(server, 'auth.me', undefined, { cookie });
  const viaRest = rest.status === 200 ? (rest.body.user.email as string) : null;
  const viaTrpc = trpc.status === 200 ? (trpc.body.result.data.user.email as string) : null;
  expect(viaTrpc).toBe(viaRest);
  if (viaRest === null) {
    expect(rest.status).toBe(401);
    expect(rest.body.code).toBe('authentication_required');
    expect(trpc.status).toBe(401);
  }
  return viaRest;
}


describe('replayed session cookies', () => {
  it('after logout (REST or tRPC) the cookie is dead everywhere, even presented again', async () => {
    const server = await start();
    const { cookie } = await signUp(server, 'out@example.com', 'out-ws');
    expect((await call(server, 'POST', '/v1/auth/logout', { cookie })).status).toBe(200);
    expect(await whoIs(server, cookie)).toBeNull();
    const second = await signIn(server, 'out@example.com');
    expect((await trpcMutation(server, 'auth.logout', {}, { cookie: second })).status).toBe(200);
    expect(await whoIs(server, second)).toBeNull();
    // Nor can a dead cookie change anything.
    expect((await call(server, 'POST', '/v1/api-keys', { cookie: second, body: { name: 'late' } })).status).toBe(401);
  });

  it('a session revoked from another device, or ended by "others"/"global", is dead on its next request', async () => {
    const server = await start();
    const { cookie: laptop } = await signUp(server, 'multi@example.com', 'multi-ws');
    const phone = await signIn(server, 'multi@example.com');
    const tablet = await signIn(server, 'multi@example.com');
    const sessions = (await call(server, 'GET', '/v1/auth/sessions', { cookie: laptop })).body as Array<{ id: string; current: boolean }>;
    const phoneId = (await call(server, 'GET', '/v1/auth/sessions', { cookie: phone })).body.find((x: { current: boolean }) => x.current).id;
    expect(sessions.map((x) => x.id)).toContain(phoneId);
    expect((await call(server, 'DELETE', `/v1/auth/sessions/${phoneId}`, { cookie: laptop })).status).toBe(200);
    expect(await whoIs(server, phone)).toBeNull();

    expect((await call(server, 'POST', '/v1/auth/logout?scope=others', { cookie: laptop })).status).toBe(200);
    expect(await whoIs(server, tablet)).toBeNull();
    expect(await whoIs(server, laptop)).toBe('multi@example.com');

    const another = await signIn(server, 'multi@example.com');
    expect((await call(server, 'POST', '/v1/auth/logout?scope=global', { cookie: another })).status).toBe(200);
    expect(await whoIs(server, laptop)).toBeNull();
    expect(await whoIs(server, another)).toBeNull();
  });
});

describe('expired session cookies', () => {
  it('a session unused for 30 days (injected clock) is refused; used within, it slides', async () => {
    const server = await start();
    const { cookie: idle } = await signUp(server, 'idle@example.com', 'idle-ws');
    const busy = await signIn(server, 'idle@example.com');
    clock.advance(29 * 24 * 3600_000);
    expect(await whoIs(server, busy)).toBe('idle@example.com');
    clock.advance(24 * 3600_000);
    expect(await whoIs(server, idle)).toBeNull();
    expect(await whoIs(server, busy)).toBe('idle@example.com');
  });
});

describe('forged session cookies', () => {
  it('random, one character changed, truncated, extended, the stored hash, SQL, oversized: all 401', async () => {
    const server = await start();
    const { cookie } = await signUp(server, 'victim@example.com', 'victim-ws');
    const rows = await server.handle.db.selectFrom('sessions').select('token_hash').execute();
    expect(rows.map((r) => r.token_hash)).toEqual([sha256(cookie)]);

    const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    const forged = [
      randomBytes(32).toString('base64url'),
      flip(cookie, 0),
      flip(cookie, cookie.length - 1),
      cookie.slice(0, -1),
      `${cookie}A`,
      sha256(cookie),
      "x' OR '1'='1",
      'A'.repeat(4000),
    ];
    for (const value of forged) expect(await whoIs(server, value), value.slice(0, 20)).toBeNull();
    expect(await whoIs(server, cookie)).toBe('victim@example.com');
  });
});

describe('session fixation', () => {
  const verifiers = [
    ['REST', (server: TestServer, token: string, cookie: string) => call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { cookie })],
    ['tRPC', (server: TestServer, token: string, cookie: string) => trpcMutation(server, 'auth.verify', { token }, { cookie })],
  ] as const;

  it.each(verifiers)('over %s, a cookie value chosen before sign-in is never promoted: verify issues a fresh one', async (_n, verify) => {
    const server = await start();
    await signUp(server, 'fix@example.com', 'fix-ws');
    const planted = randomBytes(32).toString('base64url');
    const res: Reply = await verify(server, await loginToken(server, 'fix@example.com'), planted);
    expect(res.status).toBe(200);
    expect(res.cookie).not.toBeNull();
    expect(res.cookie).not.toBe(planted);
    expect(await whoIs(server, planted)).toBeNull();
    expect(await whoIs(server, res.cookie!)).toBe('fix@example.com');
  });

  it.each(verifiers)("over %s, an attacker's live session planted in the victim's browser stays the attacker's", async (_n, verify) => {
    const server = await start();
    const { cookie: attackers } = await signUp(server, 'attacker@example.com', 'attacker-ws');
    await signUp(server, 'target@example.com', 'target-ws');
    const res: Reply = await verify(server, await loginToken(server, 'target@example.com'), attackers);
    expect(res.status).toBe(200);
    expect(res.cookie).not.toBe(attackers);
    expect(await whoIs(server, attackers)).toBe('attacker@example.com');
    expect(await whoIs(server, res.cookie!)).toBe('target@example.com');
    // The attacker's session sees none of the victim's sessions.
    const seen = await call(server, 'GET', '/v1/auth/sessions', { cookie: attackers });
    expect(seen.body).toHaveLength(1);
  });
});
