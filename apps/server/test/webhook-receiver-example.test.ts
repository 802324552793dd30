import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, signUp, startTestServer } from './harness.js';
import { waitForOutput } from './instances.js';

// The receiver docs/WEBHOOKS.md shows, run as it is written, against a real server.
const RECEIVER = fileURLToPath(new URL('../../../docs/examples/webhook-receiver/receiver.mjs', import.meta.url));

let server: TestServer;
let child: ChildProcess;
let out = '';
let receiverUrl: string;
let secret: string;
let cookie: string;

beforeAll(async () => {
  server = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  ({ cookie } = await signUp(server, 'receiver@example.com', 'receiver-ws'));
  // The secret is known once the webhook exists, the receiver's port once it listens: create, start, point.
  const hook = (await call(server, 'POST', '/v1/webhooks', { cookie, body: { url: 'http://127.0.0.1:9/placeholder', events: ['agent.created', 'agent.deleted'] } })).body;
  secret = hook.secret;
  child = spawn(process.execPath, [RECEIVER], { env: { PATH: process.env.PATH ?? '', WEBHOOK_SECRET: secret, PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const port = (await waitForOutput(() => out, /"listening":(\d+)/))[1];
  receiverUrl = `http://127.0.0.1:${port}/`;
  expect((await call(server, 'PATCH', `/v1/webhooks/${hook.id}`, { cookie, body: { url: receiverUrl } })).status).toBe(200);
});
afterAll(async () => {
  child?.kill('SIGTERM');
  await server?.close();
});

const post = (body: string, headers: Record<string, string>) => fetch(receiverUrl, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('docs/examples/webhook-receiver', () => {
  it('verifies and handles what the server delivers', async () => {
    const agent = (await call(server, 'POST', '/v1/agents', { cookie, body: { name: 'seen-by-receiver' } })).body;
    await call(server, 'DELETE', `/v1/agents/${agent.id}`, { cookie });
    await waitForOutput(() => out, /"received":"agent.deleted"/);
    expect(out).toContain(`{"received":"agent.created","data":{"id":"${agent.id}","name":"seen-by-receiver","label":null,"createdAt"`);
    expect(out).not.toContain('refused');
  });

  it('refuses a forged or altered body, and a delivery replayed after 5 minutes; a retry is handled once', async () => {
    const wh = new Webhook(secret);
    const body = JSON.stringify({ type: 'agent.deleted', timestamp: new Date().toISOString(), data: { id: 'agt_replayed', name: 'x', label: null } });
    const now = new Date();
    const headers = { 'webhook-id': 'msg_test_retry', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': wh.sign('msg_test_retry', now, body) };
    expect((await post(body, headers)).status).toBe(204);
    expect((await post(body, headers)).status).toBe(204); // the same webhook-id again: a retry
    expect(out.match(/agt_replayed/g)).toHaveLength(1);

    expect((await post(body.replace('agt_replayed', 'agt_altered'), headers)).status).toBe(400);
    expect((await post(body, { ...headers, 'webhook-signature': new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).sign('msg_test_retry', now, body) })).status).toBe(400);
    const old = new Date(now.getTime() - 6 * 60_000);
    expect((await post(body, { 'webhook-id': 'msg_old', 'webhook-timestamp': String(Math.floor(old.getTime() / 1000)), 'webhook-signature': wh.sign('msg_old', old, body) })).status).toBe(400);
    expect(out).not.toContain('agt_altered');
    expect(out.match(/"refused"/g)).toHaveLength(3);
  });
});
