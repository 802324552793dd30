import { afterEach, describe, expect, it } from 'vitest';
import { type Reply, type TestServer, call, manualClock, signUp, startSmtpSink, startTestServer } from '../harness.js';
import { trpcMutation } from './support.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const KNOWN = 'known@example.com';
const UNKNOWN = 'nobody@example.com';

/** Everything a client sees, minus the request id (unique by design) and Date (the wall clock). */
function observable(r: Reply) {
  const headers = Object.fromEntries([...r.headers.entries()].filter(([k]) => k !== 'x-request-id' && k !== 'date'));
  return { status: r.status, body: r.body, headers };
}

type Ask = (server: TestServer, email: string) => Promise<Reply>;
const asks: Array<[string, Ask]> = [
  ['REST register', (server, email) => call(server, 'POST', '/v1/auth/register', { body: { email, workspaceName: 'fresh-name' } })],
  ['REST login', (server, email) => call(server, 'POST', '/v1/auth/login', { body: { email } })],
  ['tRPC auth.register', (server, email) => trpcMutation(server, 'auth.register', { email, workspaceName: 'fresh-name' })],
  ['tRPC auth.login', (server, email) => trpcMutation(server, 'auth.login', { email })],
];

describe('account enumeration', () => {
  it.each(asks)('%s: identical status, body and headers for an e-mail with and without an account', async (_name, ask) => {
    s = await startTestServer();
    await signUp(s, KNOWN, 'known-ws');
    const known = await ask(s, KNOWN);
    const unknown = await ask(s, UNKNOWN);
    expect(known.status).toBe(200);
    expect(observable(known)).toEqual(observable(unknown));
    // The server did treat them differently, out of band: only the account holder got a sign-in link.
    await s.core.queue.idle();
    const mails = s.sink.messages.map((m) => m.to);
    expect(mails.filter((to) => to === KNOWN).length).toBe(2);
  });

  it('a taken workspace name answers the same 409 whoever registers', async () => {
    s = await startTestServer();
    await signUp(s, KNOWN, 'taken-ws');
    const reg = (email: string) => call(s!, 'POST', '/v1/auth/register', { body: { email, workspaceName: 'taken-ws' } });
    const known = await reg(KNOWN);
    expect(known.status).toBe(409);
    expect(observable(known)).toEqual(observable(await reg(UNKNOWN)));
  });

  it('the per-e-mail limit answers the same 429 (and Retry-After) whether or not the account exists', async () => {
    s = await startTestServer({ clock: manualClock(), authLimits: { perEmailPer15Minutes: 2 } });
    await signUp(s, KNOWN, 'known-ws');
    // signUp spent one of the known address's two; even the count.
    await call(s, 'POST', '/v1/auth/login', { body: { email: UNKNOWN } });
    const known: Reply[] = [];
    const unknown: Reply[] = [];
    for (let i = 0; i < 3; i++) {
      known.push(await call(s, 'POST', '/v1/auth/login', { body: { email: KNOWN } }));
      unknown.push(await call(s, 'POST', '/v1/auth/login', { body: { email: UNKNOWN } }));
    }
    expect(known.map((r) => r.status)).toEqual([200, 429, 429]);
    for (let i = 0; i < 3; i++) expect(observable(known[i]!)).toEqual(observable(unknown[i]!));
    expect(known[1]!.headers.get('retry-after')).toBeTruthy();
  });

  it.each(asks)('%s: comparable timing (medians over 15 alternating runs within a factor of 3; a mail server that takes 40 ms changes nothing)', async (_name, ask) => {
    // A mail server that answers slowly, as real ones do: were the mail on the request path, the
    // account holder's answers would take 40 ms longer than the others'.
    s = await startTestServer({}, await startSmtpSink({ replyDelayMs: 40 }));
    await signUp(s, KNOWN, 'known-ws');
    const server = s;
    const timed = async (email: string) => {
      await server.core.queue.idle();
      const t0 = performance.now();
      const res = await ask(server, email);
      const ms = performance.now() - t0;
      expect(res.status).toBe(200);
      return ms;
    };
    // Warm both paths (JIT, statement cache) before measuring.
    for (let i = 0; i < 4; i++) await timed(i % 2 ? KNOWN : UNKNOWN);
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 15; i++) {
      if (i % 2 === 0) {
        known.push(await timed(KNOWN));
        unknown.push(await timed(UNKNOWN));
      } else {
        unknown.push(await timed(UNKNOWN));
        known.push(await timed(KNOWN));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ratio = median(known) / median(unknown);
    expect(ratio, `known ${median(known).toFixed(2)} ms, unknown ${median(unknown).toFixed(2)} ms`).toBeGreaterThan(1 / 3);
    expect(ratio, `known ${median(known).toFixed(2)} ms, unknown ${median(unknown).toFixed(2)} ms`).toBeLessThan(3);
  }, 30_000);
});
