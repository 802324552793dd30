import { afterEach, describe, expect, it } from 'vitest';
import { type TestServer, call, createKey, signUp, startTestServer } from './harness.js';
import { eventually, expectError, mailsTo, verifyPath } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

let n = 0;
async function keyWithRanges(s: TestServer, ranges: string[]) {
  const email = `ip-${++n}@example.com`;
  const { cookie } = await signUp(s, email, `ip-ws-${n}`);
  const key = await createKey(s, cookie);
  const put = await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ranges } });
  expect(put.status).toBe(200);
  return { cookie, key, email };
}

const lastUsedIp = async (s: TestServer, cookie: string, id: string) =>
  (await call(s, 'GET', `/v1/api-keys/${id}`, { cookie })).body.lastUsedIp as string | null;

describe('client IP without TRUST_PROXY', () => {
  it('ignores X-Forwarded-For: the socket address is the client', async () => {
    server = await startTestServer();
    const s = server;
    const { cookie, key, email } = await keyWithRanges(s, ['10.0.0.0/8']);
    const spoofed = await call(s, 'GET', '/v1/agents', { apiKey: key.key, headers: { 'x-forwarded-for': '10.1.2.3' } });
    expectError(spoofed, 403, 'ip_not_allowed');
    expect(spoofed.body.message).toContain('127.0.0.1');
    expect(spoofed.body.message).not.toContain('10.1.2.3');

    await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['127.0.0.1'] } });
    expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key, headers: { 'x-forwarded-for': '10.9.9.9' } })).status).toBe(200);
    await eventually(async () => expect(await lastUsedIp(s, cookie, key.id)).toBe('127.0.0.1'));

    // The sign-in records the socket address too.
    await call(s, 'POST', '/v1/auth/login', { body: { email } });
    const mails = await mailsTo(s, email);
    const signedIn = await call(s, 'GET', verifyPath(mails.at(-1)!.token!), { headers: { 'x-forwarded-for': '198.51.100.4' } });
    const sessions = (await call(s, 'GET', '/v1/auth/sessions', { cookie: signedIn.cookie })).body;
    expect(sessions.map((x: { ip: string }) => x.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});

describe('client IP with TRUST_PROXY=loopback', () => {
  it('believes X-Forwarded-For from the local proxy, for ranges, last use and sign-ins', async () => {
    server = await startTestServer({ env: { TRUST_PROXY: 'loopback' } });
    const s = server;
    const { cookie, key, email } = await keyWithRanges(s, ['10.0.0.0/8', '2001:db8::/32']);
    const use = (xff: string) => call(s, 'GET', '/v1/agents', { apiKey: key.key, headers: { 'x-forwarded-for': xff } });

    expect((await use('10.1.2.3')).status).toBe(200);
    await eventually(async () => expect(await lastUsedIp(s, cookie, key.id)).toBe('10.1.2.3'));

    const outside = await use('192.0.2.7');
    expectError(outside, 403, 'ip_not_allowed');
    expect(outside.body.message).toContain('192.0.2.7');

    // The nearest untrusted hop is the client.
    expect((await use('203.0.113.9, 10.4.4.4')).status).toBe(200);
    expectError(await use('10.4.4.4, 203.0.113.9'), 403, 'ip_not_allowed');

    // IPv6 clients, normalised; IPv4-mapped IPv6 clients match IPv4 ranges.
    expect((await use('2001:DB8:0:0::5')).status).toBe(200);
    await eventually(async () => expect(await lastUsedIp(s, cookie, key.id)).toBe('2001:db8::5'));
    expect((await use('::ffff:10.1.2.3')).status).toBe(200);
    await eventually(async () => expect(await lastUsedIp(s, cookie, key.id)).toBe('::ffff:10.1.2.3'));
    const v6Outside = await use('2002:0DB8:0000::0009');
    expectError(v6Outside, 403, 'ip_not_allowed');
    expect(v6Outside.body.message).toContain('2002:db8::9');
    const mappedOutside = await use('::ffff:192.0.2.1');
    expectError(mappedOutside, 403, 'ip_not_allowed');
    expect(mappedOutside.body.message).toContain('::ffff:192.0.2.1');

    await call(s, 'POST', '/v1/auth/login', { body: { email } });
    const mails = await mailsTo(s, email);
    const signedIn = await call(s, 'GET', verifyPath(mails.at(-1)!.token!), { headers: { 'x-forwarded-for': '198.51.100.4' } });
    const sessions = (await call(s, 'GET', '/v1/auth/sessions', { cookie: signedIn.cookie })).body;
    expect(sessions.find((x: { current: boolean }) => x.current).ip).toBe('198.51.100.4');
  });
});

describe('IPv6 sockets', () => {
  it('an IPv4 client seen as IPv4-mapped IPv6 matches IPv4 ranges; ::1 matches ::1/128', async () => {
    server = await startTestServer({ host: '::' });
    const s = server;
    const port = new URL(s.url).port;
    const { cookie, key } = await keyWithRanges(s, ['127.0.0.0/8']);
    // Through the dual-stack socket, 127.0.0.1 arrives as ::ffff:127.0.0.1.
    expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    await eventually(async () => expect(await lastUsedIp(s, cookie, key.id)).toBe('::ffff:127.0.0.1'));

    await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } });
    const denied = await call(s, 'GET', '/v1/agents', { apiKey: key.key });
    expectError(denied, 403, 'ip_not_allowed');
    expect(denied.body.message).toContain('::ffff:127.0.0.1');

    const v6 = { url: `http://[::1]:${port}` };
    expectError(await call(v6, 'GET', '/v1/agents', { apiKey: key.key }), 403, 'ip_not_allowed');
    await call(s, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['0:0:0:0:0:0:0:1'] } });
    expect((await call(v6, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    await eventually(async () => expect(await lastUsedIp(s, cookie, key.id)).toBe('::1'));
    expect((await call(s, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body.allowedIpRanges).toEqual(['::1/128']);
  });
});
