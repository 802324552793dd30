import { isWellFormedApiKey, updateIpRestrictionsInput } from '@pc/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/index.js';
import { type Harness, MINUTE, type SignedInUser, aliceWorkspace, closeHarnesses, databaseBytes, expectAppError, meta, signUp } from './helpers.js';

let h: Harness;
let alice: SignedInUser;
beforeEach(async () => {
  ({ h, alice } = await aliceWorkspace());
});
afterEach(closeHarnesses);

const create = (name: string, who = alice) => h.core.apiKeys.create(who.principal, { name }, meta());

describe('create', () => {
  it('returns the full key once, in our format, and stores only its SHA-256', async () => {
    const created = await create('deploy');
    expect(created).toEqual({
      id: expect.stringMatching(/^key_[0-9A-Za-z]{16,}$/),
      name: 'deploy',
      key: expect.stringMatching(/^pc_live_[0-9A-Za-z]{32}$/),
      prefix: created.key.slice(0, 12),
      createdAt: '2026-03-02T10:00:00.000Z',
      expiresAt: null,
    });
    expect(isWellFormedApiKey(created.key)).toBe(true);

    const row = await h.handle.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(sha256Hex(created.key));
    expect(row.prefix).toBe(created.prefix);
    const bytes = await databaseBytes(h);
    expect(bytes).not.toContain(created.key);
    expect(bytes).toContain(row.key_hash);

    const detail = await h.core.apiKeys.get(alice.workspaceId, created.id);
    expect(JSON.stringify(detail)).not.toContain(created.key);
  });

  it('of concurrent creates with one name, exactly one succeeds', async () => {
    const results = await Promise.allSettled([create('race'), create('race'), create('race')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'api_key_name_taken' });
    expect((await h.core.apiKeys.list(alice.workspaceId, true)).filter((k) => k.name === 'race')).toHaveLength(1);
  });

  it('two keys never share a secret', async () => {
    const keys = await Promise.all(['a', 'b', 'c', 'd'].map((n) => create(n)));
    expect(new Set(keys.map((k) => k.key)).size).toBe(4);
  });

  it('refuses the name of an active key with 409, but not of a revoked one or of another workspace', async () => {
    const first = await create('deploy');
    const err = await expectAppError(create('deploy'), 'api_key_name_taken');
    expect(err.status).toBe(409);

    const bob = await signUp(h, 'bob@example.com', 'bobco');
    await expect(create('deploy', bob)).resolves.toMatchObject({ name: 'deploy' });

    await h.core.apiKeys.revoke(alice.principal, first.id, meta());
    await expect(create('deploy')).resolves.toMatchObject({ name: 'deploy' });
  });
});

describe('list and get', () => {
  it('lists newest first, active keys only unless revoked ones are asked for', async () => {
    const a = await create('a');
    h.clock.advance(MINUTE);
    const b = await create('b');
    h.clock.advance(MINUTE);
    const c = await create('c');
    await h.core.apiKeys.revoke(alice.principal, b.id, meta());

    const active = await h.core.apiKeys.list(alice.workspaceId, false);
    expect(active.map((k) => k.id)).toEqual([c.id, a.id]);
    expect(active[0]).toEqual({
      id: c.id,
      name: 'c',
      prefix: c.prefix,
      lastUsedAt: null,
      createdAt: '2026-03-02T10:02:00.000Z',
      isActive: true,
      expiresAt: null,
      allowedIpRangeCount: 0,
      rolledToId: null,
    });

    const all = await h.core.apiKeys.list(alice.workspaceId, true);
    expect(all.map((k) => [k.name, k.isActive])).toEqual([
      ['c', true],
      ['b', false],
      ['a', true],
    ]);
  });

  it('lists only the caller’s workspace', async () => {
    await create('mine');
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    await create('his', bob);
    expect((await h.core.apiKeys.list(alice.workspaceId, true)).map((k) => k.name)).toEqual(['mine']);
  });

  it('gets a key’s detail; another workspace’s id is not_found', async () => {
    const k = await create('deploy');
    expect(await h.core.apiKeys.get(alice.workspaceId, k.id)).toEqual({
      id: k.id,
      name: 'deploy',
      prefix: k.prefix,
      allowedIpRanges: [],
      lastUsedAt: null,
      lastUsedIp: null,
      createdAt: k.createdAt,
      isActive: true,
      revokedAt: null,
      expiresAt: null,
      rolledToId: null,
      createdBy: { userId: alice.userId, email: 'alice@example.com' },
    });
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    const err = await expectAppError(h.core.apiKeys.get(bob.workspaceId, k.id), 'not_found');
    expect(err.status).toBe(404);
    await expectAppError(h.core.apiKeys.get(alice.workspaceId, 'key_doesnotexist000000'), 'not_found');
  });
});

describe('updateIpRestrictions', () => {
  it('stores the normalised, de-duplicated ranges and shows them', async () => {
    const k = await create('deploy');
    const { allowedIpRanges } = updateIpRestrictionsInput.parse({ allowedIpRanges: ['10.1.2.3/8', '2001:DB8:0::1/32', '10.0.0.0/8', '192.0.2.1'] });
    const updated = await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, allowedIpRanges, meta());
    expect(updated.allowedIpRanges).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1/32']);
    expect((await h.core.apiKeys.get(alice.workspaceId, k.id)).allowedIpRanges).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1/32']);
    const row = await h.handle.db.selectFrom('api_keys').select('allowed_ip_ranges').where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(JSON.parse(row.allowed_ip_ranges)).toEqual(['10.0.0.0/8', '2001:db8::/32', '192.0.2.1/32']);
    expect((await h.core.apiKeys.list(alice.workspaceId, false))[0]!.allowedIpRangeCount).toBe(3);

    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, [], meta());
    expect((await h.core.apiKeys.get(alice.workspaceId, k.id)).allowedIpRanges).toEqual([]);
  });

  it('refuses a revoked key with api_key_revoked and another workspace’s key with not_found', async () => {
    const k = await create('deploy');
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    const err = await expectAppError(h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta()), 'api_key_revoked');
    expect(err.status).toBe(409);
    expect((await h.core.apiKeys.get(alice.workspaceId, k.id)).allowedIpRanges).toEqual([]);

    const bob = await signUp(h, 'bob@example.com', 'bobco');
    const live = await create('live');
    await expectAppError(h.core.apiKeys.updateIpRestrictions(bob.principal, live.id, ['10.0.0.0/8'], meta()), 'not_found');
    expect((await h.core.apiKeys.get(alice.workspaceId, live.id)).allowedIpRanges).toEqual([]);
  });
});

describe('revoke', () => {
  it('is irreversible and idempotent: a second revoke answers the same and changes nothing', async () => {
    const k = await create('deploy');
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    const first = await h.core.apiKeys.get(alice.workspaceId, k.id);
    expect(first).toMatchObject({ isActive: false, revokedAt: '2026-03-02T10:00:00.000Z' });
    h.clock.advance(MINUTE);
    await expect(h.core.apiKeys.revoke(alice.principal, k.id, meta())).resolves.toBeUndefined();
    expect(await h.core.apiKeys.get(alice.workspaceId, k.id)).toEqual(first);
    const revocations = await h.core.audit.list(alice.workspaceId, { limit: 100, action: 'api_key.revoked' });
    expect(revocations.data).toHaveLength(1);
  });

  it('another workspace cannot revoke the key', async () => {
    const k = await create('deploy');
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    await expectAppError(h.core.apiKeys.revoke(bob.principal, k.id, meta()), 'not_found');
    expect((await h.core.apiKeys.get(alice.workspaceId, k.id)).isActive).toBe(true);
    await expect(h.core.apiKeys.authenticate(k.key, meta())).resolves.toBeDefined();
  });
});
