import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type TestDatabase, createTestDatabase, testStore } from '@pc/db/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, call, startSmtpSink } from './harness.js';
import { type Instance, loginToken, signUpAt, startInstance, waitForOutput } from './instances.js';

// A real server process killed with SIGKILL after a change committed and before its webhook was
// delivered (the receiver holds the first attempt open): the restarted server delivers it.
let sink: SmtpSink;
let database: TestDatabase;
const running: Instance[] = [];
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
let hang = true;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    if (hang) return; // never answered: the server dies waiting
    res.writeHead(204).end();
  });
});

beforeAll(async () => {
  sink = await startSmtpSink();
  database = await createTestDatabase();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  for (const i of running) if (i.child.exitCode === null) await i.stop();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  await sink.close();
  await database.drop();
});

const env = () => ({ DATABASE_URL: database.url, SMTP_URL: sink.url, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' });

describe(`kill -9 between a change and its delivery (${testStore()})`, () => {
  it('the event survives in the outbox and the restarted server delivers it, with the same webhook-id', { timeout: 60_000 }, async () => {
    const first = await startInstance(env());
    running.push(first);
    const cookie = await signUpAt(first, sink, 'crash@example.com', 'crash-ws');
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = (await call(first, 'POST', '/v1/webhooks', { cookie, body: { url: hookUrl, events: ['api_key.created'] } })).body;
    expect(hook.secret).toMatch(/^whsec_/);

    const key = await call(first, 'POST', '/v1/api-keys', { cookie, body: { name: 'after-crash' } });
    expect(key.status).toBe(201); // acknowledged: the change and its event are committed
    const deadline = Date.now() + 10_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(received).toHaveLength(1); // the first attempt is under way…
    first.child.kill('SIGKILL'); // …and the server dies before any answer
    await first.exited;

    hang = false;
    const second = await startInstance(env());
    running.push(second);
    await waitForOutput(() => String(received.length), /^[2-9]/, 30_000);
    const [attempt1, attempt2] = received as [(typeof received)[0], (typeof received)[0]];
    expect(attempt2.headers['webhook-id']).toBe(attempt1.headers['webhook-id']);
    const event = new Webhook(hook.secret).verify(attempt2.body, attempt2.headers as Record<string, string>) as { type: string; data: { id: string } };
    expect(event).toMatchObject({ type: 'api_key.created', data: { id: key.body.id, name: 'after-crash' } });
    // The log says so too (the attempt that died with the first server was never recorded).
    const token = await loginToken(second, sink, 'crash@example.com');
    const again = (await call(second, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`)).cookie;
    let log = await call(second, 'GET', `/v1/webhooks/${hook.id}/deliveries`, { cookie: again });
    for (let i = 0; i < 100 && log.body.data[0]?.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = await call(second, 'GET', `/v1/webhooks/${hook.id}/deliveries`, { cookie: again });
    }
    expect(log.body.data).toEqual([expect.objectContaining({ eventType: 'api_key.created', status: 'succeeded', responseStatus: 204 })]);
    await second.stop();
  });
});
