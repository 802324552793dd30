import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { type TestServer, call, createKey, manualClock, signUp, startSmtpSink, startTestServer } from '../harness.js';
import { Secrets, exerciseEverything } from './scenario.js';
import { loginToken, trpcMutation, trpcQuery, unknownWellFormedKey } from './support.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

/** The production logger's lines (pino's JSON, access log included), as they would reach stdout. */
function capturedLogger() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', format: 'json', destination: { write: (line) => void lines.push(line) } }) };
}

/** No secret, and nothing shaped like one (a full key, a link token, a cookie), in any line. */
function expectNoSecretIn(lines: string[], secrets: Secrets): void {
  const all = lines.join('\n');
  expect(secrets.foundIn(all)).toEqual([]);
  expect(all).not.toMatch(/pc_live_[0-9A-Za-z]{13,}/);
  expect(all).not.toMatch(/token=[A-Za-z0-9_%-]{16,}/);
  expect(all).not.toMatch(/session=[A-Za-z0-9_-]{16,}/);
}

describe('no secret in any log line (SMTP configured)', () => {
  it('the whole life of a workspace, REST and tRPC, refusals included, logs no token, cookie or key', async () => {
    const { lines, logger } = capturedLogger();
    const clock = manualClock();
    const s = await startTestServer({ clock, logger, env: { RATE_LIMIT_PER_MINUTE: '3', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
    servers.push(s);
    const { secrets } = await exerciseEverything(s, clock);
    await s.stop();
    expectNoSecretIn(lines, secrets);
  });

  it('nor do the error paths: 500s on verify (token in the URL and in a tRPC body), on cookie and key requests, and a failing mail server', async () => {
    const { lines, logger } = capturedLogger();
    const s = await startTestServer({ logger });
    servers.push(s);
    const { cookie } = await signUp(s, 'err@example.com', 'err-ws');
    const key = await createKey(s, cookie);
    const secrets = new Secrets();
    secrets.add('cookie', cookie);
    secrets.add('key', key.key);
    const fresh = unknownWellFormedKey();
    secrets.add('unknown key', fresh);
    const tokens: string[] = [];
    for (let i = 0; i < 2; i++) {
      tokens.push(secrets.add(`token ${i}`, await loginToken(s, 'err@example.com')));
    }

    // Break the database under the server: every request below fails inside it.
    await sql`drop table sessions`.execute(s.handle.db);
    await sql`drop table agents`.execute(s.handle.db);
    const failures = [
      await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(tokens[0]!)}`),
      await trpcMutation(s, 'auth.verify', { token: tokens[1]! }),
      await call(s, 'GET', '/v1/auth/me', { cookie }),
      await trpcQuery(s, 'auth.me', undefined, { cookie }),
      await call(s, 'GET', '/v1/agents', { apiKey: key.key }),
      await trpcQuery(s, 'agents.list', undefined, { apiKey: key.key }),
    ];
    await sql`drop table api_keys`.execute(s.handle.db);
    failures.push(await call(s, 'GET', '/v1/agents', { apiKey: fresh }));
    for (const f of failures) expect(f.status).toBe(500);
    const errorLines = lines.filter((l) => (JSON.parse(l) as { level: string }).level === 'error');
    expect(errorLines.length).toBeGreaterThanOrEqual(failures.length);

    // A mail server that refuses connections: the background job fails and says so.
    const down = await startTestServer({ logger }, { ...(await startSmtpSink()), url: 'smtp://127.0.0.1:1' });
    servers.push(down);
    const before = lines.length;
    expect((await call(down, 'POST', '/v1/auth/register', { body: { email: 'nomail@example.com', workspaceName: 'nomail-ws' } })).status).toBe(200);
    await down.core.queue.idle();
    expect(lines.slice(before).some((l) => l.includes('failed'))).toBe(true);

    expectNoSecretIn(lines, secrets);
  });
});
