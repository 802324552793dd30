import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from '../harness.js';
import { expectRestError, linkToken } from './support.js';

let s: TestServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function restrictedKey(server: TestServer, ranges: string[]) {
  const { cookie } = await signUp(server, 'ip@example.com', 'ip-ws');
  const key = await createKey(server, cookie);
  expect((await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ranges } })).status).toBe(200);
  return { cookie, key };
}

const asClient = (server: TestServer, key: string, xff?: string) =>
  call(server, 'GET', '/v1/agents', { apiKey: key, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } });

/** Everything the server remembers about where requests came from, as the owner can read it. */
async function recordedIps(server: TestServer, cookie: string, keyId: string): Promise<string> {
  await server.core.flush();
  const key = await call(server, 'GET', `/v1/api-keys/${keyId}`, { cookie });
  const sessions = await call(server, 'GET', '/v1/auth/sessions', { cookie });
  const audit = await call(server, 'GET', '/v1/audit-logs?limit=100', { cookie });
  return JSON.stringify([key.body.lastUsedIp, sessions.body, audit.body]);
}

describe('X-Forwarded-For spoofing without TRUST_PROXY', () => {
  it('a forged X-Forwarded-For neither passes an IP range nor is recorded anywhere', async () => {
    s = await startTestServer();
    const { cookie, key } = await restrictedKey(s, ['10.0.0.0/8']);
    for (const xff of ['10.1.2.3', '10.1.2.3, 10.0.0.1', '::ffff:10.1.2.3']) {
      const res = await asClient(s, key.key, xff);
      expectRestError(res, 403, 'ip_not_allowed');
      expect(res.body.message).toContain('127.0.0.1');
    }
    expect(await recordedIps(s, cookie, key.id)).not.toMatch(/10\.1\.2\.3/);
  });

  it('rotating X-Forwarded-For does not escape the per-IP login limit', async () => {
    s = await startTestServer({ authLimits: { loginPerIpPerMinute: 3 } });
    for (let i = 0; i < 3; i++) {
      expect((await call(s, 'POST', '/v1/auth/login', { body: { email: `u${i}@example.com` }, headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status).toBe(200);
    }
    const fourth = await call(s, 'POST', '/v1/auth/login', { body: { email: 'u9@example.com' }, headers: { 'x-forwarded-for': '198.51.100.77' } });
    expectRestError(fourth, 429, 'rate_limited');
  });
});

describe('X-Forwarded-For with TRUST_PROXY', () => {
  it('with a hop count of 1, only the entry the proxy appended counts: a forged left-hand entry is ignored', async () => {
    s = await startTestServer({ env: { TRUST_PROXY: '1' } });
    const { key } = await restrictedKey(s, ['10.0.0.0/8']);
    // The client sent "X-Forwarded-For: 10.1.2.3"; the proxy appended the address it saw.
    const forged = await asClient(s, key.key, '10.1.2.3, 203.0.113.9');
    expectRestError(forged, 403, 'ip_not_allowed');
    expect(forged.body.message).toContain('203.0.113.9');
    expect((await asClient(s, key.key, '203.0.113.9, 10.1.2.3')).status).toBe(200);
  });

  it('a forwarded value that is not an IP address is not believed: the socket address stands, nothing odd is stored or echoed', async () => {
    s = await startTestServer({ env: { TRUST_PROXY: 'true' } });
    const { cookie, key } = await restrictedKey(s, ['10.0.0.0/8']);
    const junk = ["' OR 1=1 --", 'unknown', '10.1.2.3.4', '10.1.2.3/8', `x${'9'.repeat(4000)}`, 'fe80::1%eth0'];
    for (const xff of junk) {
      const res = await asClient(s, key.key, xff);
      expectRestError(res, 403, 'ip_not_allowed');
      expect(res.body.message).toBe('The IP address 127.0.0.1 is not allowed to use this API key.');
    }
    // A sign-in through such a proxy records the socket address too.
    const server = s;
    const token = await linkToken(server, 'ip@example.com', () => call(server, 'POST', '/v1/auth/login', { body: { email: 'ip@example.com' }, headers: { 'x-forwarded-for': junk[0]! } }));
    const signedIn = await call(s, 'GET', `/v1/auth/verify?token=${encodeURIComponent(token)}`, { headers: { 'x-forwarded-for': junk[4]! } });
    expect(signedIn.status).toBe(200);
    const recorded = await recordedIps(s, cookie, key.id);
    for (const j of junk) expect(recorded).not.toContain(j.slice(0, 12));
    const ips = (await call(s, 'GET', '/v1/auth/sessions', { cookie })).body.map((x: { ip: string }) => x.ip);
    expect(ips).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});

describe('IPv4-mapped IPv6 clients against IPv4 ranges', () => {
  it('through TRUST_PROXY: ::ffff:10.1.2.3 is 10.1.2.3 for a 10.0.0.0/8 range and outside 192.168.0.0/16', async () => {
    s = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    const { cookie, key } = await restrictedKey(s, ['10.0.0.0/8']);
    expect((await asClient(s, key.key, '::ffff:10.1.2.3')).status).toBe(200);
    expect((await asClient(s, key.key, '::FFFF:10.1.2.3')).status).toBe(200);
    expect((await asClient(s, key.key, '0:0:0:0:0:ffff:0a01:0203')).status).toBe(200);
    expect((await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['192.168.0.0/16'] } })).status).toBe(200);
    const outside = await asClient(s, key.key, '::ffff:10.1.2.3');
    expectRestError(outside, 403, 'ip_not_allowed');
    expect(outside.body.message).toContain('::ffff:10.1.2.3');
  });

  it('on a dual-stack socket: a server bound to :: sees 127.0.0.1 as ::ffff:127.0.0.1 and still matches 127.0.0.0/8', async (ctx) => {
    const v6 = await new Promise<boolean>((resolve) => {
      const probe = createConnection({ host: '::1', port: 9 });
      probe.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
      probe.on('connect', () => {
        probe.destroy();
        resolve(true);
      });
    });
    if (!v6) ctx.skip();
    s = await startTestServer({ host: '::' });
    const { cookie, key } = await restrictedKey(s, ['127.0.0.0/8']);
    expect((await asClient(s, key.key)).status).toBe(200);
    await s.core.flush();
    expect((await call(s, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body.lastUsedIp).toBe('::ffff:127.0.0.1');

    expect((await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } })).status).toBe(200);
    const outside = await asClient(s, key.key);
    expectRestError(outside, 403, 'ip_not_allowed');
    expect(outside.body.message).toContain('::ffff:127.0.0.1');
  });
});
