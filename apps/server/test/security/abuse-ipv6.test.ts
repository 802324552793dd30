import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/env.js';
import { type TestServer, call, manualClock, startTestServer } from '../harness.js';

// Per-IP abuse limits against a client that holds a whole IPv6 /64 (one home connection, one cloud
// machine): behind a proxy (TRUST_PROXY=1) each request names another address of its network.
const LIMITS = { registerPerIpPerMinute: 5, loginPerIpPerMinute: 5, perEmailPer15Minutes: 1000, verifyPerIpPerMinute: 5 };
let server: TestServer | undefined;
afterEach(async () => server?.close());

const login = (from: string, n: number) => call(server!, 'POST', '/v1/auth/login', { headers: { 'x-forwarded-for': from }, body: { email: `probe${n}@example.com` } });
const verify = (from: string) => call(server!, 'GET', '/v1/auth/verify?token=not-a-real-token', { headers: { 'x-forwarded-for': from } });

describe('per-IP abuse limits group IPv6 clients by network', () => {
  it('seven logins from seven addresses of one /64: the sixth and seventh are 429; another /64 is not affected', async () => {
    server = await startTestServer({ clock: manualClock(), authLimits: LIMITS, env: { TRUST_PROXY: '1' } });
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i++) statuses.push((await login(`2001:db8:1:2::${i.toString(16)}`, i)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect((await login('2001:db8:1:2:ffff:ffff:ffff:ffff', 8)).status).toBe(429);
    expect((await login('2001:db8:1:3::1', 9)).status).toBe(200);
  });

  it('verifies too: the limit counts the /64, whatever the address', async () => {
    server = await startTestServer({ clock: manualClock(), authLimits: LIMITS, env: { TRUST_PROXY: '1' } });
    const statuses: number[] = [];
    for (let i = 1; i <= 7; i++) statuses.push((await verify(`2001:db8:aa:bb:${i}::1`)).status);
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
  });

  it('IPv4 counts per address, and ::ffff:a.b.c.d is a.b.c.d', async () => {
    server = await startTestServer({ clock: manualClock(), authLimits: LIMITS, env: { TRUST_PROXY: '1' } });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await login(i % 2 ? '198.51.100.7' : '::ffff:198.51.100.7', i)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect((await login('198.51.100.8', 7)).status).toBe(200);
  });

  it('ABUSE_IPV6_PREFIX sets the network size (here /48: two /64s of one /48 share a budget)', async () => {
    expect(loadConfig({ ABUSE_IPV6_PREFIX: '48' }, '/nowhere').authLimits.ipv6Prefix).toBe(48);
    expect(loadConfig({}, '/nowhere').authLimits.ipv6Prefix).toBe(64);
    expect(() => loadConfig({ ABUSE_IPV6_PREFIX: '129' }, '/nowhere')).toThrow(/ABUSE_IPV6_PREFIX/);
    server = await startTestServer({ clock: manualClock(), authLimits: { ...LIMITS, ipv6Prefix: 48 }, env: { TRUST_PROXY: '1' } });
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i++) statuses.push((await login(`2001:db8:1:${i}::1`, i)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });
});
