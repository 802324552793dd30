import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { type ManualClock, type Reply, type TestServer, call, manualClock, signUp, startTestServer } from '../harness.js';
import { loginToken, sha256, trpcMutation } from './support.js';

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

const viaRest = (server: TestServer, token: string) => call(server, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`);
const viaTrpc = (server: TestServer, token: string) => trpcMutation(server, 'auth.verify', { token });
const transports = [
  ['REST', viaRest],
  ['tRPC', viaTrpc],
] as const;

/** Refused as a bad link, with no cookie and no new session. */
function expectRefused(res: Reply): void {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body.code ?? res.body.error?.data?.appCode).toBe('invalid_token');
  expect(res.cookie).toBeNull();
  expect(res.headers.getSetCookie()).toEqual([]);
}

const sessionRows = async (server: TestServer) => Number((await server.handle.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

describe.each(transports)('magic-link tokens over %s', (_name, verify) => {
  it('a replayed token is 400 invalid_token, on the same transport and on the other one', async () => {
    const server = await start();
    await signUp(server, 'replay@example.com', 'replay-ws');
    const token = await loginToken(server, 'replay@example.com');
    expect((await verify(server, token)).status).toBe(200);
    const sessions = await sessionRows(server);
    expectRefused(await verify(server, token));
    expectRefused(await viaRest(server, token));
    expectRefused(await viaTrpc(server, token));
    expect(await sessionRows(server)).toBe(sessions);
  });

  it('an expired token (injected clock: 15 minutes) is refused; one millisecond earlier it works', async () => {
    const server = await start();
    await signUp(server, 'late@example.com', 'late-ws');
    const stale = await loginToken(server, 'late@example.com');
    clock.advance(15 * 60_000);
    expectRefused(await verify(server, stale));

    const fresh = await loginToken(server, 'late@example.com');
    clock.advance(15 * 60_000 - 1);
    expect((await verify(server, fresh)).status).toBe(200);
  });

  it('forged tokens are refused and create nothing: random, one character changed, truncated, extended, the stored hash, SQL', async () => {
    const server = await start();
    await signUp(server, 'forge@example.com', 'forge-ws');
    const real = await loginToken(server, 'forge@example.com');
    // Only the SHA-256 is at rest: the hash is in the table, the token is not.
    const stored = await server.handle.db.selectFrom('magic_links').select('token_hash').execute();
    expect(stored.map((r) => r.token_hash)).toContain(sha256(real));
    expect(JSON.stringify(stored)).not.toContain(real);

    const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    const forged = [
      randomBytes(32).toString('base64url'),
      flip(real, 0),
      flip(real, real.length - 1),
      real.slice(0, -1),
      `${real}A`,
      real.toUpperCase(),
      sha256(real),
      `' OR '1'='1' -- ${'x'.repeat(32)}`,
      'A'.repeat(5000),
      '',
    ];
    const before = await sessionRows(server);
    for (const token of forged) {
      const res = await verify(server, token);
      expect(res.status, token.slice(0, 20)).toBe(400);
      expect(res.cookie).toBeNull();
    }
    expect(await sessionRows(server)).toBe(before);
    // The real one still works: forgeries did not burn it.
    expect((await verify(server, real)).status).toBe(200);
  });

  it("an older link is void once a newer one is used, and another person's link is not", async () => {
    const server = await start();
    await signUp(server, 'old@example.com', 'old-ws');
    await signUp(server, 'other@example.com', 'other-ws');
    const older = await loginToken(server, 'old@example.com');
    const others = await loginToken(server, 'other@example.com');
    const newer = await loginToken(server, 'old@example.com');
    expect((await verify(server, newer)).status).toBe(200);
    expectRefused(await verify(server, older));
    expect((await verify(server, others)).status).toBe(200);
  });
});
