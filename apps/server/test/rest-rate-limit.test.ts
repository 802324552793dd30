import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ManualClock, type Reply, type TestServer, call, createKey, manualClock, signUp, startTestServer } from './harness.js';
import { expectError } from './helpers.js';

let server: TestServer;
let clock: ManualClock;
let cookie: string;

beforeAll(async () => {
  clock = manualClock(new Date('2026-03-02T10:00:00.000Z'));
  server = await startTestServer({ clock, env: { RATE_LIMIT_PER_MINUTE: '3' } });
  ({ cookie } = await signUp(server, 'limits@example.com', 'limits-ws'));
});
afterAll(async () => server?.close());

const headers = (r: Reply) => ({
  limit: r.headers.get('x-ratelimit-limit'),
  remaining: r.headers.get('x-ratelimit-remaining'),
  reset: r.headers.get('x-ratelimit-reset'),
});

describe('per-key rate limit', () => {
  it('counts down in the headers, then answers 429 rate_limited with Retry-After until the window resets', async () => {
    const key = await createKey(server, cookie, 'counted');
    const start = clock.now().getTime();
    const replies: Reply[] = [];
    for (let i = 0; i < 3; i++) {
      replies.push(await call(server, 'GET', '/v1/agents', { apiKey: key.key }));
      clock.advance(10_000);
    }
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(replies.map(headers)).toEqual([
      { limit: '3', remaining: '2', reset: '60' },
      { limit: '3', remaining: '1', reset: '50' },
      { limit: '3', remaining: '0', reset: '40' },
    ]);

    const limited = await call(server, 'POST', '/v1/agents', { apiKey: key.key, body: { name: 'over' } });
    expectError(limited, 429, 'rate_limited');
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.body.retryAfter).toBe(30);
    expect(headers(limited)).toEqual({ limit: '3', remaining: '0', reset: '30' });
    // The refused POST did nothing.
    expect((await call(server, 'GET', '/v1/agents', { cookie })).body).toEqual([]);

    clock.set(new Date(start + 60_000 - 1));
    const stillLimited = await call(server, 'GET', '/v1/agents', { apiKey: key.key });
    expectError(stillLimited, 429, 'rate_limited');
    expect(Number(stillLimited.headers.get('retry-after'))).toBe(1);

    clock.set(new Date(start + 60_000));
    const fresh = await call(server, 'GET', '/v1/agents', { apiKey: key.key });
    expect(fresh.status).toBe(200);
    expect(headers(fresh)).toEqual({ limit: '3', remaining: '2', reset: '60' });
  });

  it('is per key: another key of the same workspace has its own budget', async () => {
    const one = await createKey(server, cookie, 'one');
    const two = await createKey(server, cookie, 'two');
    for (let i = 0; i < 3; i++) await call(server, 'GET', '/v1/agents', { apiKey: one.key });
    expectError(await call(server, 'GET', '/v1/agents', { apiKey: one.key }), 429, 'rate_limited');
    const other = await call(server, 'GET', '/v1/agents', { apiKey: two.key });
    expect(other.status).toBe(200);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('2');
    // Sessions are not rate limited per key.
    for (let i = 0; i < 5; i++) expect((await call(server, 'GET', '/v1/agents', { cookie })).status).toBe(200);
    clock.advance(60_000);
  });

  it('a request refused by its IP range does not spend the budget', async () => {
    const key = await createKey(server, cookie, 'ip-refused');
    await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } });
    for (let i = 0; i < 6; i++) {
      const res = await call(server, 'GET', '/v1/agents', { apiKey: key.key });
      expectError(res, 403, 'ip_not_allowed');
      expect(res.body.message).toContain('127.0.0.1');
    }
    await call(server, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [] } });
    const remaining = [];
    for (let i = 0; i < 3; i++) {
      const res = await call(server, 'GET', '/v1/agents', { apiKey: key.key });
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    expectError(await call(server, 'GET', '/v1/agents', { apiKey: key.key }), 429, 'rate_limited');
  });

  it('invalid keys never reach the limiter and revoked keys are refused before it', async () => {
    const key = await createKey(server, cookie, 'revoked-limit');
    for (let i = 0; i < 3; i++) await call(server, 'GET', '/v1/agents', { apiKey: key.key });
    await call(server, 'DELETE', `/v1/api-keys/${key.id}`, { cookie });
    // Known-and-active is checked before the rate limit: a revoked key is 401, not 429.
    expectError(await call(server, 'GET', '/v1/agents', { apiKey: key.key }), 401, 'invalid_api_key');
  });
});
