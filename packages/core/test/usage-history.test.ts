import { afterEach, describe, expect, it } from 'vitest';
import { DAY, type Harness, type SignedInUser, aliceWorkspace, closeHarnesses, expectAppError, meta, peerOf, signUp, store } from './helpers.js';

afterEach(closeHarnesses);

const HOUR = 3600_000;
const INSIDE = '10.1.2.3';
const OUTSIDE = '192.0.2.9';

/** A key allowed from 10/8, used `ok` times from inside and `denied` times from outside. */
async function usedKey(h: Harness, alice: SignedInUser, name: string, ok: number, denied: number) {
  const key = await h.core.apiKeys.create(alice.principal, { name }, meta());
  await h.core.apiKeys.updateIpRestrictions(alice.principal, key.id, ['10.0.0.0/8'], meta());
  for (let i = 0; i < ok; i++) await h.core.apiKeys.authenticate(key.key, meta(INSIDE));
  for (let i = 0; i < denied; i++) await expectAppError(h.core.apiKeys.authenticate(key.key, meta(OUTSIDE)), 'ip_not_allowed');
  return key;
}

const hourOf = (h: Harness) => new Date(h.clock.now().getTime() - (h.clock.now().getTime() % HOUR)).toISOString();

describe('usage history', () => {
  it('counts each request of a known key by hour and outcome, exact before the flush and after it, with no write per request', async () => {
    const { h, alice } = await aliceWorkspace({ rateLimitPerMinute: 5 });
    const key = await h.core.apiKeys.create(alice.principal, { name: 'ci' }, meta());
    await h.core.apiKeys.updateIpRestrictions(alice.principal, key.id, ['10.0.0.0/8'], meta());
    h.queries.reset();
    for (let i = 0; i < 5; i++) await h.core.apiKeys.authenticate(key.key, meta(INSIDE));
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta(INSIDE)), 'rate_limited');
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta(OUTSIDE)), 'ip_not_allowed');
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta(OUTSIDE)), 'ip_not_allowed');
    // Malformed and unknown keys count for nobody.
    await expectAppError(h.core.apiKeys.authenticate('pc_live_nope', meta()), 'invalid_api_key');
    await h.core.flush();
    const usage = await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' });
    expect(usage.data).toHaveLength(24);
    expect(usage.data.at(-1)).toEqual({ start: hourOf(h), ok: 5, ipNotAllowed: 2, rateLimited: 1, expired: 0 });
    expect(usage.data.slice(0, -1).every((b) => b.ok + b.ipNotAllowed + b.rateLimited + b.expired === 0)).toBe(true);
    const rows = await h.db.selectFrom('api_key_usage').selectAll().execute();
    expect(rows).toEqual([{ key_id: key.id, hour_start: hourOf(h), workspace_id: alice.workspaceId, ok: 5, ip_not_allowed: 2, rate_limited: 1, expired: 0 }]);

    // Not yet flushed: read from memory, added to what is stored.
    h.clock.advance(61_000);
    h.queries.reset();
    for (let i = 0; i < 3; i++) await h.core.apiKeys.authenticate(key.key, meta(INSIDE));
    expect(h.queries.writes).toBe(0);
    expect((await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' })).data.at(-1)).toMatchObject({ ok: 8 });
    await h.core.flush();
    expect((await h.db.selectFrom('api_key_usage').select('ok').executeTakeFirstOrThrow()).ok).toBe(8);
    expect((await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' })).data.at(-1)).toMatchObject({ ok: 8 });
  });

  it('counts an expired key against itself', async () => {
    const { h, alice } = await aliceWorkspace();
    const key = await h.core.apiKeys.create(alice.principal, { name: 'short', expiresAt: new Date(h.clock.now().getTime() + HOUR).toISOString() }, meta());
    await h.core.apiKeys.authenticate(key.key, meta());
    h.clock.advance(HOUR);
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta()), 'api_key_expired');
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta()), 'api_key_expired');
    const last = (await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' })).data.slice(-2);
    expect(last.map((b) => [b.ok, b.expired])).toEqual([
      [1, 0],
      [0, 2],
    ]);
  });

  it('by day: 30 UTC days ending today; a range can be given, and is bounded', async () => {
    const { h, alice } = await aliceWorkspace();
    const key = await usedKey(h, alice, 'ci', 2, 0);
    h.clock.advance(DAY);
    await h.core.apiKeys.authenticate(key.key, meta(INSIDE));
    await h.core.flush();
    h.clock.advance(2 * HOUR);
    await h.core.apiKeys.authenticate(key.key, meta(INSIDE));
    const days = await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'day' });
    expect(days.data).toHaveLength(30);
    expect(days.data.at(-1)!.start).toBe(`${h.clock.now().toISOString().slice(0, 10)}T00:00:00.000Z`);
    expect(days.data.slice(-2).map((b) => b.ok)).toEqual([2, 2]);

    const from = new Date(h.clock.now().getTime() - 3 * HOUR).toISOString();
    const some = await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour', from, to: h.clock.now().toISOString() });
    expect(some.data).toHaveLength(4);
    expect(some.data.reduce((n, b) => n + b.ok, 0)).toBe(2);
    await expectAppError(h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour', from: h.clock.now().toISOString(), to: from }), 'invalid_request');
    const tooLong = new Date(h.clock.now().getTime() - 32 * DAY).toISOString();
    await expectAppError(h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour', from: tooLong }), 'invalid_request');
    expect((await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'day', from: tooLong })).data).toHaveLength(33);
  });

  it("the workspace's keys by total, most first; another workspace's keys and usage are not there", async () => {
    const { h, alice } = await aliceWorkspace();
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    const busy = await usedKey(h, alice, 'busy', 5, 2);
    const quiet = await usedKey(h, alice, 'quiet', 1, 0);
    await h.core.apiKeys.create(alice.principal, { name: 'unused' }, meta());
    const bobs = await h.core.apiKeys.create(bob.principal, { name: 'bobs' }, meta());
    await h.core.apiKeys.authenticate(bobs.key, meta());
    await h.core.flush();
    await h.core.apiKeys.authenticate(quiet.key, meta(INSIDE)); // pending, and counted
    const w = await h.core.usage.workspace(alice.workspaceId, {});
    expect(w.data).toEqual([
      { keyId: busy.id, name: 'busy', prefix: busy.prefix, isActive: true, total: 7, ok: 5, ipNotAllowed: 2, rateLimited: 0, expired: 0 },
      { keyId: quiet.id, name: 'quiet', prefix: quiet.prefix, isActive: true, total: 2, ok: 2, ipNotAllowed: 0, rateLimited: 0, expired: 0 },
    ]);
    await expectAppError(h.core.apiKeys.usage(alice.workspaceId, bobs.id, { granularity: 'hour' }), 'not_found');
  });

  it('survives a restart; the sweep keeps 90 days', async () => {
    const { h, alice } = await aliceWorkspace();
    const key = await usedKey(h, alice, 'ci', 3, 1);
    await h.core.stop(); // SIGTERM writes what is pending
    const next = await peerOf(h);
    expect((await next.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' })).data.at(-1)).toMatchObject({ ok: 3, ipNotAllowed: 1 });
    next.clock.advance(90 * DAY + HOUR);
    await next.core.auth.sweepExpired();
    expect(await next.db.selectFrom('api_key_usage').selectAll().execute()).toEqual([]);
  });

  it('a day ahead and a week ahead: one mail each to the owner, and api_key.expiring each time', async () => {
    const { h, alice } = await aliceWorkspace();
    const expiresAt = new Date(h.clock.now().getTime() + 3 * DAY).toISOString();
    const key = await h.core.apiKeys.create(alice.principal, { name: 'deploy', expiresAt }, meta());
    const mails = () => h.mailer.to('alice@example.com').filter((m) => m.subject.startsWith('API key'));
    await h.core.jobs.runDue();
    expect(mails().map((m) => m.subject)).toEqual(['API key "deploy" expires in 3 days']);
    expect(mails()[0]!.link).toBe(`http://localhost:3000/keys/${key.id}`);
    expect(mails()[0]!.text).not.toContain('pc_live_' + key.key.slice(8, 20));
    h.clock.advance(DAY);
    await h.core.jobs.runDue();
    expect(mails()).toHaveLength(1);
    h.clock.advance(DAY + HOUR);
    await h.core.jobs.runDue();
    h.clock.advance(HOUR);
    await h.core.jobs.runDue();
    expect(mails().map((m) => m.subject)).toEqual(['API key "deploy" expires in 3 days', 'API key "deploy" expires in 23 hours']);
    const events = await h.db.selectFrom('webhook_events').selectAll().execute();
    expect(events).toEqual([]); // nobody subscribed: nothing kept
    // A key first seen within a day gets the day-ahead notice only; a rolled or revoked key none.
    await h.core.apiKeys.create(alice.principal, { name: 'soon', expiresAt: new Date(h.clock.now().getTime() + 5 * HOUR).toISOString() }, meta());
    const rolled = await h.core.apiKeys.create(alice.principal, { name: 'rolled', expiresAt: new Date(h.clock.now().getTime() + 5 * HOUR).toISOString() }, meta());
    await h.core.apiKeys.roll(alice.principal, rolled.id, 3600, meta());
    h.clock.advance(61_000);
    await h.core.jobs.runDue();
    expect(mails().map((m) => m.subject).slice(2)).toEqual(['API key "soon" expires in 5 hours']);
  });
});

describe('USAGE_HISTORY=off', () => {
  it('counts nothing: no row is written and the reads answer zeros', async () => {
    const { h, alice } = await aliceWorkspace({ core: { usageHistory: false } });
    const key = await usedKey(h, alice, 'ci', 3, 1);
    await h.core.flush();
    expect(await h.db.selectFrom('api_key_usage').selectAll().execute()).toEqual([]);
    expect((await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' })).data.at(-1)).toMatchObject({ ok: 0, ipNotAllowed: 0 });
    expect((await h.core.apiKeys.get(alice.workspaceId, key.id)).lastUsedIp).toBe(INSIDE); // last use is still kept
  });
});

describe.runIf(store === 'postgres')('usage across instances', () => {
  it('two instances counting one key in one hour add up exactly', async () => {
    const { h, alice } = await aliceWorkspace();
    const peer = await peerOf(h);
    const key = await h.core.apiKeys.create(alice.principal, { name: 'shared' }, meta());
    for (let i = 0; i < 7; i++) await h.core.apiKeys.authenticate(key.key, meta());
    for (let i = 0; i < 5; i++) await peer.core.apiKeys.authenticate(key.key, meta());
    await Promise.all([h.core.flush(), peer.core.flush()]);
    for (let i = 0; i < 2; i++) await peer.core.apiKeys.authenticate(key.key, meta());
    await Promise.all([h.core.flush(), peer.core.flush()]);
    expect((await h.core.apiKeys.usage(alice.workspaceId, key.id, { granularity: 'hour' })).data.at(-1)!.ok).toBe(14);
    expect((await peer.core.usage.workspace(alice.workspaceId, {})).data[0]!.total).toBe(14);
  });
});
