import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, call, signUp, startTestServer } from '../harness.js';
import { expectRestError, expectTrpcError, trpcMutation } from './support.js';

// Webhooks make the server send requests where a user says: server-side request forgery.
let strict: TestServer;
let open: TestServer;
let strictCookie: string;
let openCookie: string;
const hits: Array<{ url: string | undefined; headers: IncomingHttpHeaders }> = [];
const receiver = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    hits.push({ url: req.url, headers: req.headers });
    if (req.url === '/redirect') return res.writeHead(302, { location: '/internal-only' }).end();
    res.writeHead(200).end();
  });
});
let base: string;

beforeAll(async () => {
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  strict = await startTestServer();
  open = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' } });
  ({ cookie: strictCookie } = await signUp(strict, 'ssrf@example.com', 'ssrf-ws'));
  ({ cookie: openCookie } = await signUp(open, 'redirect@example.com', 'redirect-ws'));
});
afterAll(async () => {
  await strict?.close();
  await open?.close();
  await new Promise<void>((r) => receiver.close(() => r()));
});

// Spellings of internal addresses that a naive string check would let through; Node's URL parser
// normalises the IPv4 ones (2130706433, 0x7f.1, 127.1 → 127.0.0.1) before the address check sees them.
const INTERNAL = [
  'https://127.0.0.1/',
  'https://2130706433/',
  'https://0x7f.1/',
  'https://127.1/',
  'https://localhost/',
  'https://[::1]/',
  'https://[::ffff:7f00:1]/',
  'https://[::ffff:169.254.169.254]/',
  'https://169.254.169.254/latest/meta-data/iam/',
  'https://[fd00:ec2::254]/',
  'https://100.100.100.200/',
  'https://10.0.0.1/',
  'https://172.16.0.1/',
  'https://192.168.1.1/',
  'https://0.0.0.0/',
  'https://[::]/',
  'https://[64:ff9b::a00:1]/',
];

describe('webhook targets', () => {
  it.each(INTERNAL)('%s is refused over REST and tRPC, and nothing is created', async (url) => {
    const rest = await call(strict, 'POST', '/v1/webhooks', { cookie: strictCookie, body: { url, events: ['*'] } });
    expectRestError(rest, 400, 'invalid_request');
    expect(rest.body.details).toEqual([{ path: 'url', message: expect.stringMatching(/address; webhooks go to public addresses only|does not resolve/) }]);
    expectTrpcError(await trpcMutation(strict, 'webhooks.create', { url, events: ['*'] }, { cookie: strictCookie, headers: { origin: strict.url } }), 400, 'invalid_request');
    expect((await call(strict, 'GET', '/v1/webhooks', { cookie: strictCookie })).body).toEqual([]);
  });

  it('plain http is refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS is set', async () => {
    const res = await call(strict, 'POST', '/v1/webhooks', { cookie: strictCookie, body: { url: 'http://example.com/hook', events: ['*'] } });
    expectRestError(res, 400, 'invalid_request');
    expect(res.body.details[0].message).toBe('Must be an https URL.');
  });

  it('a redirect is not followed: the attempt fails with the 3xx and nothing reaches the redirect target', async () => {
    const hook = (await call(open, 'POST', '/v1/webhooks', { cookie: openCookie, body: { url: `${base}/redirect`, events: ['*'] } })).body;
    await call(open, 'POST', `/v1/webhooks/${hook.id}/test`, { cookie: openCookie });
    let log = await call(open, 'GET', `/v1/webhooks/${hook.id}/deliveries`, { cookie: openCookie });
    for (let i = 0; i < 100 && log.body.data[0].attempt === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      log = await call(open, 'GET', `/v1/webhooks/${hook.id}/deliveries`, { cookie: openCookie });
    }
    expect(log.body.data[0]).toMatchObject({ status: 'pending', attempt: 1, responseStatus: 302, error: 'The receiver answered 302.' });
    expect(hits.map((h) => h.url)).toEqual(['/redirect']);
    // What the receiver is told: the signature headers, never a cookie or a key.
    expect(Object.keys(hits[0]!.headers).sort()).toEqual(['connection', 'content-length', 'content-type', 'host', 'user-agent', 'webhook-id', 'webhook-signature', 'webhook-timestamp']);
  });
});
