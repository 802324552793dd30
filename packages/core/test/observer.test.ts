import { afterEach, describe, expect, it } from 'vitest';
import type { CoreObserver, KeyOutcome } from '../src/index.js';
import { MINUTE, closeHarnesses, createHarness, expectAppError, meta, signUp } from './helpers.js';

afterEach(closeHarnesses);

/** Counts what the core tells, as the server's metrics do. */
function recording() {
  const outcomes: KeyOutcome[] = [];
  const lookups: boolean[] = [];
  const flushes: Array<{ what: string; rows: number }> = [];
  const signIns: boolean[] = [];
  const observer: CoreObserver = {
    keyChecked: (o) => outcomes.push(o),
    keyCacheLookup: (hit) => lookups.push(hit),
    usageFlushed: (what, rows) => flushes.push({ what, rows }),
    mail() {},
    signedIn: (isNew) => signIns.push(isNew),
    webhookAttempted() {},
  };
  return { observer, outcomes, lookups, flushes, signIns };
}

describe('what the core tells its observer', () => {
  it('every key check by outcome, cache hits and misses, flushes and sign-ins; never an id or a key', async () => {
    const rec = recording();
    const h = await createHarness({ rateLimitPerMinute: 2, core: { observer: rec.observer } });
    const alice = await signUp(h, 'alice@example.com', 'acme');
    const ok = await h.core.apiKeys.create(alice.principal, { name: 'ok' }, meta());
    const ranged = await h.core.apiKeys.create(alice.principal, { name: 'ranged' }, meta());
    await h.core.apiKeys.updateIpRestrictions(alice.principal, ranged.id, ['10.0.0.0/8'], meta());
    const revoked = await h.core.apiKeys.create(alice.principal, { name: 'revoked' }, meta());
    await h.core.apiKeys.revoke(alice.principal, revoked.id, meta());
    const expiring = await h.core.apiKeys.create(alice.principal, { name: 'expiring', expiresAt: new Date(h.clock.now().getTime() + MINUTE).toISOString() }, meta());

    await h.core.apiKeys.authenticate(ok.key, meta());
    await h.core.apiKeys.authenticate(ok.key, meta());
    await expectAppError(h.core.apiKeys.authenticate(ok.key, meta()), 'rate_limited');
    await expectAppError(h.core.apiKeys.authenticate('pc_live_short', meta()), 'invalid_api_key');
    await expectAppError(h.core.apiKeys.authenticate(`${ok.key.slice(0, -1)}${ok.key.endsWith('a') ? 'b' : 'a'}`, meta()), 'invalid_api_key');
    await expectAppError(h.core.apiKeys.authenticate(ranged.key, meta('192.0.2.1')), 'ip_not_allowed');
    await expectAppError(h.core.apiKeys.authenticate(revoked.key, meta()), 'invalid_api_key');
    h.clock.advance(2 * MINUTE);
    await expectAppError(h.core.apiKeys.authenticate(expiring.key, meta()), 'api_key_expired');
    const unknown = `pc_live_${'Q'.repeat(26)}`;
    const { apiKeyChecksum } = await import('@pc/contract');
    await expectAppError(h.core.apiKeys.authenticate(unknown + apiKeyChecksum(unknown), meta()), 'invalid_api_key');
    await expectAppError(h.core.apiKeys.authenticate(unknown + apiKeyChecksum(unknown), meta()), 'invalid_api_key');

    expect(rec.outcomes).toEqual(['ok', 'ok', 'rate_limited', 'malformed', 'malformed', 'ip_not_allowed', 'revoked', 'expired', 'unknown', 'unknown']);
    // Misses: the first look-up of each key and of the unknown one; the second unknown is a (negative) hit.
    expect(rec.lookups).toEqual([false, true, true, false, false, false, false, true]);
    await h.core.flush();
    // Usage history: one row each for the ok key (ok, rate-limited), the ranged one and the expired one; revoked and unknown keys count for no key.
    expect(rec.flushes).toEqual([{ what: 'api_keys', rows: 1 }, { what: 'api_key_usage', rows: 3 }, { what: 'sessions', rows: 1 }]);
    expect(rec.signIns).toEqual([true]);
  });
});
