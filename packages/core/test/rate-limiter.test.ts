import { afterEach, describe, expect, it } from 'vitest';
import { FixedWindowLimiter } from '../src/index.js';
import { MINUTE, TestClock, closeHarnesses, createHarness, expectAppError, meta, signUp } from './helpers.js';

afterEach(closeHarnesses);

describe('FixedWindowLimiter', () => {
  it('allows `limit` per window with a falling remaining count, then refuses until the window ends', () => {
    const clock = new TestClock();
    const limiter = new FixedWindowLimiter(clock, MINUTE);
    expect([1, 2, 3].map(() => limiter.consume('k', 3).remaining)).toEqual([2, 1, 0]);
    clock.advance(45_000);
    expect(limiter.consume('k', 3)).toEqual({ allowed: false, limit: 3, remaining: 0, resetSeconds: 15, retryAfter: 15 });
    clock.advance(14_999);
    expect(limiter.consume('k', 3)).toMatchObject({ allowed: false, resetSeconds: 1 });
    clock.advance(1);
    expect(limiter.consume('k', 3)).toEqual({ allowed: true, limit: 3, remaining: 2, resetSeconds: 60, retryAfter: 0 });
  });

  it('keeps keys apart and forgets idle windows', () => {
    const clock = new TestClock();
    const limiter = new FixedWindowLimiter(clock, MINUTE);
    limiter.consume('a', 1);
    expect(limiter.consume('a', 1).allowed).toBe(false);
    expect(limiter.consume('b', 1).allowed).toBe(true);
    expect(limiter.size).toBe(2);
    clock.advance(MINUTE);
    limiter.consume('c', 1);
    expect(limiter.size).toBe(1);
  });
});

describe('per-key rate limit', () => {
  async function keyed(rateLimitPerMinute: number) {
    const h = await createHarness({ rateLimitPerMinute });
    const alice = await signUp(h, 'alice@example.com', 'acme');
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    return { h, alice, k };
  }

  it('reports limit, remaining and reset; over the limit is 429 with retryAfter; the next window recovers', async () => {
    const { h, k } = await keyed(3);
    const states = [];
    for (let i = 0; i < 3; i++) {
      states.push((await h.core.apiKeys.authenticate(k.key, meta())).rateLimit);
      h.clock.advance(10_000);
    }
    expect(states).toEqual([
      { limit: 3, remaining: 2, resetSeconds: 60 },
      { limit: 3, remaining: 1, resetSeconds: 50 },
      { limit: 3, remaining: 0, resetSeconds: 40 },
    ]);
    const err = await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'rate_limited');
    expect(err.status).toBe(429);
    expect(err.extra).toEqual({ retryAfter: 30, rateLimit: { limit: 3, remaining: 0, resetSeconds: 30 } });

    h.clock.advance(29_999);
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'rate_limited');
    h.clock.advance(1);
    expect((await h.core.apiKeys.authenticate(k.key, meta())).rateLimit).toEqual({ limit: 3, remaining: 2, resetSeconds: 60 });
  });

  it('each key has its own budget', async () => {
    const { h, alice, k } = await keyed(1);
    const other = await h.core.apiKeys.create(alice.principal, { name: 'other' }, meta());
    await h.core.apiKeys.authenticate(k.key, meta());
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'rate_limited');
    await expect(h.core.apiKeys.authenticate(other.key, meta())).resolves.toMatchObject({ rateLimit: { remaining: 0 } });
  });

  it('a request refused by its IP range does not spend the budget', async () => {
    const { h, alice, k } = await keyed(2);
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta());
    for (let i = 0; i < 10; i++) await expectAppError(h.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'ip_not_allowed');
    expect((await h.core.apiKeys.authenticate(k.key, meta('10.0.0.1'))).rateLimit.remaining).toBe(1);
    expect((await h.core.apiKeys.authenticate(k.key, meta('10.0.0.1'))).rateLimit.remaining).toBe(0);
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta('10.0.0.1')), 'rate_limited');
  });

  it('an unknown or revoked key is refused before the rate limit', async () => {
    const { h, alice, k } = await keyed(1);
    await h.core.apiKeys.authenticate(k.key, meta());
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
  });
});
