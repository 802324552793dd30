import { apiKeyChecksum } from '@pc/contract';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyCache } from '../src/index.js';
import type { CachedKey } from '../src/api-keys/key-cache.js';
import { MINUTE, aliceWorkspace, closeHarnesses, expectAppError, meta } from './helpers.js';

afterEach(closeHarnesses);

/** The n-th well-formed key that nobody issued (its checksum holds). */
function unknownKey(n: number): string {
  const body = `pc_live_unknown${String(n).padStart(19, '0')}`;
  return body + apiKeyChecksum(body);
}

const NEGATIVE_MAX = 10_000;

describe('the key cache never answers for a key whose rules changed', () => {
  it('a rate limit applies on the request after the budget is spent, with the key served from memory', async () => {
    const { h, alice } = await aliceWorkspace({ rateLimitPerMinute: 2 });
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    h.queries.reset();
    expect((await h.core.apiKeys.authenticate(k.key, meta())).rateLimit.remaining).toBe(1);
    expect((await h.core.apiKeys.authenticate(k.key, meta())).rateLimit.remaining).toBe(0);
    const refused = await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'rate_limited');
    expect(refused.extra).toMatchObject({ retryAfter: 60, rateLimit: { limit: 2, remaining: 0, resetSeconds: 60 } });
    for (let i = 0; i < 5; i++) await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'rate_limited');
    // One look-up and one audit entry for the denials (recorded once a minute, off the request
    // path): counting is in memory, or in leased chunks of an unlogged table on PostgreSQL.
    await vi.waitFor(() => expect(h.queries.writes).toBe(1));
    expect(h.queries.count).toBe(2);
    h.clock.advance(MINUTE);
    expect((await h.core.apiKeys.authenticate(k.key, meta())).rateLimit.remaining).toBe(1);
    expect(h.queries.count).toBe(2);
  });

  it('a revocation that lands while a look-up is in flight applies to the next request', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    // Cold cache: this look-up reads the row before the revocation commits.
    const inFlight = h.core.apiKeys.authenticate(k.key, meta()).catch((e: unknown) => e);
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    await inFlight;
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
  });

  it('a range change that lands while a look-up is in flight applies to the next request', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    const inFlight = h.core.apiKeys.authenticate(k.key, meta('192.0.2.1')).catch((e: unknown) => e);
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta());
    await inFlight;
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'ip_not_allowed');
    await expect(h.core.apiKeys.authenticate(k.key, meta('10.1.2.3'))).resolves.toBeDefined();
  });

  it('ranges allow and refuse the same clients cached as fresh (IPv4, IPv4-mapped, IPv6)', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8', '2001:db8::/32', '127.0.0.1'], meta());
    const cases: Array<[string, boolean]> = [
      ['10.9.8.7', true],
      ['127.0.0.1', true],
      ['127.0.0.2', false],
      ['::ffff:10.9.8.7', true],
      ['::ffff:127.0.0.1', true],
      ['2001:db8::1', true],
      ['2001:db9::1', false],
      ['11.0.0.1', false],
    ];
    for (let pass = 0; pass < 2; pass++) {
      for (const [ip, allowed] of cases) {
        const result = h.core.apiKeys.authenticate(k.key, meta(ip));
        if (allowed) await expect(result).resolves.toBeDefined();
        else await expectAppError(result, 'ip_not_allowed');
      }
    }
  });
});

describe('floods of bad keys', () => {
  it('malformed keys cost no query and leave both caches as they were', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await h.core.apiKeys.authenticate(k.key, meta());
    const sizes = h.core.apiKeys.stats().cache;
    h.queries.reset();
    for (let i = 0; i < 2000; i++) {
      const good = unknownKey(i);
      const bad = i % 2 === 0 ? `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}` : good.slice(0, 20 + (i % 15));
      await expectAppError(h.core.apiKeys.authenticate(bad, meta()), 'invalid_api_key');
    }
    expect(h.queries.count).toBe(0);
    expect(h.core.apiKeys.stats().cache).toEqual(sizes);
  });

  it('distinct unknown keys cost one indexed read each, and the negative cache stays bounded', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await h.core.apiKeys.authenticate(k.key, meta());
    const flood = NEGATIVE_MAX + 2500;
    h.queries.reset();
    for (let i = 0; i < flood; i++) await expectAppError(h.core.apiKeys.authenticate(unknownKey(i), meta()), 'invalid_api_key');
    expect(h.queries.count).toBe(flood);
    expect(h.queries.writes).toBe(0);
    expect(h.core.apiKeys.stats().cache).toEqual({ positive: 1, negative: NEGATIVE_MAX });
    // The newest unknown keys are still remembered; the real key is still served from memory.
    h.queries.reset();
    await expectAppError(h.core.apiKeys.authenticate(unknownKey(flood - 1), meta()), 'invalid_api_key');
    await h.core.apiKeys.authenticate(k.key, meta());
    expect(h.queries.count).toBe(0);
  }, 30_000); // 12,500 sequential look-ups: ~3.5 s on PostgreSQL here, more on a busy machine
});

describe('KeyCache', () => {
  const key = (id: string): CachedKey => ({
    id,
    workspaceId: 'ws_1',
    revoked: false,
    expiresAt: null,
    expiryRecorded: false,
    ranges: [],
    allowsIp: () => true,
  });

  it('keeps at most its bound of each kind, evicting the oldest', () => {
    const cache = new KeyCache(2, 2, 10_000);
    for (const h of ['a', 'b', 'c']) cache.set(h, key(h), cache.version);
    for (const h of ['x', 'y', 'z']) cache.setUnknown(h, 0, cache.version);
    expect(cache.sizes).toEqual({ positive: 2, negative: 2 });
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('c', 0)).toMatchObject({ id: 'c' });
    expect(cache.get('x', 0)).toBeUndefined();
    expect(cache.get('z', 0)).toBe('unknown');
  });

  it('forgets an unknown key after its TTL, and at once when that hash is invalidated', () => {
    const cache = new KeyCache(10, 10, 1000);
    cache.setUnknown('h', 0, cache.version);
    expect(cache.get('h', 999)).toBe('unknown');
    expect(cache.get('h', 1000)).toBeUndefined();
    cache.setUnknown('h', 0, cache.version);
    cache.invalidate('h');
    expect(cache.get('h', 1)).toBeUndefined();
  });

  it('does not cache a look-up that raced an invalidation', () => {
    const cache = new KeyCache();
    const version = cache.version;
    cache.invalidate('other');
    cache.set('h', key('k'), version);
    cache.setUnknown('u', 0, version);
    expect(cache.sizes).toEqual({ positive: 0, negative: 0 });
  });
});
