import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DAY, type Harness, type SignedInUser, aliceWorkspace, closeHarnesses, expectAppError, meta, signUp } from './helpers.js';

let h: Harness;
let alice: SignedInUser;
beforeEach(async () => {
  ({ h, alice } = await aliceWorkspace());
});
afterEach(closeHarnesses);

const at = (ms: number) => new Date(h.clock.now().getTime() + ms).toISOString();
const create = (name: string, expiresAt?: string) => h.core.apiKeys.create(alice.principal, { name, expiresAt }, meta());
const expiredEntries = async () => (await h.core.audit.list(alice.workspaceId, { limit: 100, action: 'api_key.expired' })).data;

describe('expiresAt', () => {
  it('must be in the future and at most 365 days ahead', async () => {
    for (const bad of [at(0), at(-1000), at(365 * DAY + 1)]) {
      const err = await expectAppError(create('k', bad), 'invalid_request');
      expect(err.extra.details).toEqual([{ path: 'expiresAt', message: expect.any(String) }]);
    }
    await expect(create('soon', at(1000))).resolves.toMatchObject({ expiresAt: at(1000) });
    await expect(create('year', at(365 * DAY))).resolves.toMatchObject({ expiresAt: at(365 * DAY) });
    expect((await h.core.apiKeys.list(alice.workspaceId, true)).map((k) => k.name).sort()).toEqual(['soon', 'year']);
  });

  it('is normalised to UTC with milliseconds', async () => {
    const k = await create('k', '2026-03-03T12:00:00+02:00');
    expect(k.expiresAt).toBe('2026-03-03T10:00:00.000Z');
  });

  it('a key past it answers api_key_expired, is inactive, and api_key.expired is audited once', async () => {
    const k = await create('k', at(3600_000));
    await h.core.apiKeys.authenticate(k.key, meta()); // cached while valid
    h.clock.advance(3600_000);
    for (let i = 0; i < 3; i++) {
      const err = await expectAppError(h.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'api_key_expired');
      expect(err.status).toBe(401);
    }
    const entries = await expiredEntries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: { type: 'api_key', id: k.id }, target: { type: 'api_key', id: k.id }, ip: '192.0.2.1' });

    expect(await h.core.apiKeys.get(alice.workspaceId, k.id)).toMatchObject({ isActive: false, expiresAt: '2026-03-02T11:00:00.000Z', revokedAt: null });
    expect(await h.core.apiKeys.list(alice.workspaceId, false)).toEqual([]);
    // Its name is free again.
    await expect(create('k')).resolves.toMatchObject({ name: 'k' });
  });

  it('records the expiry once when several requests present the never-cached expired key at the same time', async () => {
    const k = await create('k', at(1000));
    h.clock.advance(1000);
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => h.core.apiKeys.authenticate(k.key, meta())));
    for (const r of results) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'api_key_expired' } });
    expect(await expiredEntries()).toHaveLength(1);
  });

  it('records the expiry once even for a core that starts with a cold cache', async () => {
    const k = await create('k', at(1000));
    h.clock.advance(1000);
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'api_key_expired');
    const row = await h.handle.db.selectFrom('api_keys').select('expiry_recorded_at').where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(row.expiry_recorded_at).toBe('2026-03-02T10:00:01.000Z');
    // A mutation drops the cached entry; the reload must see the expiry as already recorded.
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, [], meta());
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'api_key_expired');
    expect(await expiredEntries()).toHaveLength(1);
  });
});

describe('roll', () => {
  it('makes a new key with the same name and ranges; the old one works through its grace period, then expires', async () => {
    const old = await create('deploy');
    await h.core.apiKeys.updateIpRestrictions(alice.principal, old.id, ['10.0.0.0/8'], meta());
    await h.core.apiKeys.authenticate(old.key, meta('10.0.0.1')); // cached

    const rolled = await h.core.apiKeys.roll(alice.principal, old.id, 3600, meta());
    expect(rolled).toMatchObject({ name: 'deploy', expiresAt: null, prefix: rolled.key.slice(0, 12) });
    expect(rolled.key).not.toBe(old.key);
    expect(await h.core.apiKeys.get(alice.workspaceId, rolled.id)).toMatchObject({ allowedIpRanges: ['10.0.0.0/8'], isActive: true, expiresAt: null, rolledToId: null });
    expect(await h.core.apiKeys.get(alice.workspaceId, old.id)).toMatchObject({ isActive: true, expiresAt: '2026-03-02T11:00:00.000Z', rolledToId: rolled.id, revokedAt: null });

    await expect(h.core.apiKeys.authenticate(rolled.key, meta('10.0.0.1'))).resolves.toBeDefined();
    await expectAppError(h.core.apiKeys.authenticate(rolled.key, meta('192.0.2.1')), 'ip_not_allowed');
    await expect(h.core.apiKeys.authenticate(old.key, meta('10.0.0.1'))).resolves.toBeDefined();

    h.clock.advance(3600_000);
    await expectAppError(h.core.apiKeys.authenticate(old.key, meta('10.0.0.1')), 'api_key_expired');
    await expect(h.core.apiKeys.authenticate(rolled.key, meta('10.0.0.1'))).resolves.toBeDefined();

    const rolls = (await h.core.audit.list(alice.workspaceId, { limit: 100, action: 'api_key.rolled' })).data;
    expect(rolls).toHaveLength(1);
    expect(rolls[0]).toMatchObject({ target: { type: 'api_key', id: old.id }, metadata: { newKeyId: rolled.id, gracePeriodSeconds: 3600 } });
  });

  it('with grace 0 revokes the old key at once, even when it is cached', async () => {
    const old = await create('deploy');
    await h.core.apiKeys.authenticate(old.key, meta());
    const rolled = await h.core.apiKeys.roll(alice.principal, old.id, 0, meta());
    await expectAppError(h.core.apiKeys.authenticate(old.key, meta()), 'invalid_api_key');
    expect(await h.core.apiKeys.get(alice.workspaceId, old.id)).toMatchObject({ isActive: false, revokedAt: '2026-03-02T10:00:00.000Z', rolledToId: rolled.id });
    await expect(h.core.apiKeys.authenticate(rolled.key, meta())).resolves.toBeDefined();
  });

  it('refuses an already rolled key and a revoked one with 409', async () => {
    const a = await create('a');
    await h.core.apiKeys.roll(alice.principal, a.id, 60, meta());
    const again = await expectAppError(h.core.apiKeys.roll(alice.principal, a.id, 60, meta()), 'api_key_already_rolled');
    expect(again.status).toBe(409);

    const b = await create('b');
    await h.core.apiKeys.revoke(alice.principal, b.id, meta());
    expect((await expectAppError(h.core.apiKeys.roll(alice.principal, b.id, 60, meta()), 'api_key_revoked')).status).toBe(409);

    const bob = await signUp(h, 'bob@example.com', 'bobco');
    const c = await create('c');
    await expectAppError(h.core.apiKeys.roll(bob.principal, c.id, 60, meta()), 'not_found');
  });

  it('of concurrent rolls of one key, exactly one succeeds', async () => {
    const old = await create('deploy');
    const results = await Promise.allSettled([1, 2, 3].map(() => h.core.apiKeys.roll(alice.principal, old.id, 60, meta())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'api_key_already_rolled' });
    expect(await h.core.apiKeys.list(alice.workspaceId, false)).toHaveLength(2);
  });

  it('does not extend a key that expires before the grace period ends', async () => {
    const old = await create('short', at(60_000));
    await h.core.apiKeys.roll(alice.principal, old.id, 86_400, meta());
    expect((await h.core.apiKeys.get(alice.workspaceId, old.id)).expiresAt).toBe(at(60_000));
  });

  it('name uniqueness counts the new key, not the rolled one', async () => {
    const old = await create('deploy');
    await h.core.apiKeys.roll(alice.principal, old.id, 3600, meta());
    await expectAppError(create('deploy'), 'api_key_name_taken');
    expect((await h.core.apiKeys.list(alice.workspaceId, false)).map((k) => k.name)).toEqual(['deploy', 'deploy']);
  });
});
