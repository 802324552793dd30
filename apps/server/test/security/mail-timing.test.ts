import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, type TestServer, call, signUp, startSmtpSink, startTestServer } from '../harness.js';

// Someone who receives mail probes an address (its mail, if it has an account, goes first) and then
// asks for a link of their own: if mail left one at a time, their link would come one SMTP round
// trip later exactly when the probed address has an account.
const RELAY_MS = 400;
let slow: SmtpSink;
let server: TestServer;
beforeAll(async () => {
  slow = await startSmtpSink({ replyDelayMs: RELAY_MS });
  server = await startTestServer({}, slow);
  await signUp(server, 'victim@example.com', 'victim-ws');
  await signUp(server, 'attacker@example.com', 'attacker-ws');
});
afterAll(async () => server?.close());

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** From the attacker's login request to their link reaching the relay, after `probe` (if any) was asked for first. */
async function timeToOwnLink(probe: string | null): Promise<number> {
  const mine = slow.messages.filter((m) => m.to === 'attacker@example.com').length;
  if (probe) expect((await call(server, 'POST', '/v1/auth/login', { body: { email: probe } })).status).toBe(200);
  const started = performance.now();
  expect((await call(server, 'POST', '/v1/auth/login', { body: { email: 'attacker@example.com' } })).status).toBe(200);
  await slow.waitFor('attacker@example.com', mine + 1);
  const ms = performance.now() - started;
  await server.core.queue.idle(); // every transaction acknowledged before the next round
  return ms;
}

describe('mail for one recipient never waits behind mail for another', () => {
  it(`with a relay that takes ${RELAY_MS} ms a message, the attacker's link leaves as soon after a probe of an account as after none`, { timeout: 30_000 }, async () => {
    const alone: number[] = [];
    const afterAccount: number[] = [];
    const afterNobody: number[] = [];
    for (let i = 0; i < 5; i++) {
      alone.push(await timeToOwnLink(null));
      afterAccount.push(await timeToOwnLink('victim@example.com'));
      afterNobody.push(await timeToOwnLink(`nobody${i}@example.com`));
      await pause(50);
    }
    // One message going out first would add a whole relay round trip (400 ms) to the attacker's.
    expect(median(afterAccount)).toBeLessThan(median(alone) + RELAY_MS / 2);
    expect(Math.abs(median(afterAccount) - median(afterNobody))).toBeLessThan(RELAY_MS / 2);
  });
});
