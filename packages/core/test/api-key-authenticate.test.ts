import { statSync } from 'node:fs';
import { apiKeyChecksum } from '@pc/contract';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, type SignedInUser, aliceWorkspace, closeHarnesses, expectAppError, meta, store } from './helpers.js';

let h: Harness;
let alice: SignedInUser;
beforeEach(async () => {
  ({ h, alice } = await aliceWorkspace());
});
afterEach(closeHarnesses);

const create = (name = 'deploy') => h.core.apiKeys.create(alice.principal, { name }, meta());
const totalChanges = async () => Number((await sql<{ n: number }>`select total_changes() as n`.execute(h.handle.db)).rows[0]!.n);
/**
 * Every row version in this database's logged tables: an insert adds one, an update replaces one
 * (new ctid and xmin), a delete removes one. Unlogged tables (leased rate limits, heartbeats) are left out.
 */
const durableRows = async () => {
  const tables = await sql<{ name: string }>`select relname as name from pg_class where relkind = 'r' and relpersistence = 'p' and relnamespace = 'public'::regnamespace order by relname`.execute(h.handle.db);
  const versions = [];
  for (const { name } of tables.rows) versions.push(name, (await sql.raw(`select ctid::text, xmin::text from ${name} order by ctid`).execute(h.handle.db)).rows);
  return JSON.stringify(versions);
};

describe('authenticate', () => {
  it('a good key yields its workspace principal', async () => {
    const k = await create();
    const auth = await h.core.apiKeys.authenticate(k.key, meta('192.0.2.1'));
    expect(auth.principal).toEqual({ kind: 'api_key', keyId: k.id, workspaceId: alice.workspaceId });
  });

  it('a malformed or mistyped key is refused without a database query', async () => {
    const k = await create();
    const flipped = k.key.slice(0, 10) + (k.key[10] === 'a' ? 'b' : 'a') + k.key.slice(11);
    const candidates = ['', 'pc_live_', k.key.slice(0, -1), `${k.key}x`, flipped, k.key.toUpperCase(), 'Bearer x', 'pc_test_' + k.key.slice(8)];
    h.queries.reset();
    for (const c of candidates) {
      const err = await expectAppError(h.core.apiKeys.authenticate(c, meta()), 'invalid_api_key');
      expect(err.status).toBe(401);
    }
    expect(h.queries.count).toBe(0);
  });

  it('a well-formed unknown key costs one query, then is remembered as unknown', async () => {
    const body = `pc_live_${'Z'.repeat(26)}`;
    const unknown = body + apiKeyChecksum(body);
    h.queries.reset();
    await expectAppError(h.core.apiKeys.authenticate(unknown, meta()), 'invalid_api_key');
    expect(h.queries.count).toBe(1);
    for (let i = 0; i < 5; i++) await expectAppError(h.core.apiKeys.authenticate(unknown, meta()), 'invalid_api_key');
    expect(h.queries.count).toBe(1);
  });

  it('a known key is looked up once, then served from memory', async () => {
    const k = await create();
    h.queries.reset();
    for (let i = 0; i < 10; i++) await h.core.apiKeys.authenticate(k.key, meta());
    expect(h.queries.count).toBe(1);
  });

  it.runIf(store === 'postgres')('never writes to a logged table on PostgreSQL, however often it is used', async () => {
    const k = await create();
    await h.core.apiKeys.authenticate(k.key, meta()); // warm the cache and lease a budget
    await h.core.flush();
    const before = await durableRows();
    h.queries.reset();
    for (let i = 0; i < 300; i++) await h.core.apiKeys.authenticate(k.key, meta(`10.0.${i % 250}.1`));
    expect(h.queries.writes).toBe(0);
    expect(await durableRows()).toBe(before);
  });

  it.runIf(store === 'sqlite')('never writes to the database, however often it is used', async () => {
    const k = await create();
    await h.core.apiKeys.authenticate(k.key, meta()); // warm the cache
    const walPath = `${h.handle.path}-wal`;
    const before = { changes: await totalChanges(), wal: statSync(walPath).size, walMtime: statSync(walPath).mtimeMs };
    h.queries.reset();
    for (let i = 0; i < 300; i++) await h.core.apiKeys.authenticate(k.key, meta(`10.0.${i % 250}.1`));
    expect(h.queries.writes).toBe(0);
    expect(await totalChanges()).toBe(before.changes);
    expect(statSync(walPath).size).toBe(before.wal);
    expect(statSync(walPath).mtimeMs).toBe(before.walMtime);
  });

  it('revocation takes effect on the very next request, even when the key is cached', async () => {
    const k = await create();
    await h.core.apiKeys.authenticate(k.key, meta());
    await h.core.apiKeys.authenticate(k.key, meta());
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
  });

  it('a range change takes effect on the very next request, even when the key is cached', async () => {
    const k = await create();
    await h.core.apiKeys.authenticate(k.key, meta('192.0.2.1'));
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta());
    const err = await expectAppError(h.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'ip_not_allowed');
    expect(err.status).toBe(403);
    expect(err.message).toContain('192.0.2.1');
    await expect(h.core.apiKeys.authenticate(k.key, meta('10.20.30.40'))).resolves.toBeDefined();
    await expect(h.core.apiKeys.authenticate(k.key, meta('::ffff:10.20.30.40'))).resolves.toBeDefined();

    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, [], meta());
    await expect(h.core.apiKeys.authenticate(k.key, meta('192.0.2.1'))).resolves.toBeDefined();
  });

  it('names the IP it saw, in the form ranges are written', async () => {
    const k = await create();
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta());
    const err = await expectAppError(h.core.apiKeys.authenticate(k.key, meta('2001:0DB8:0000::0001')), 'ip_not_allowed');
    expect(err.message).toContain('2001:db8::1');
  });

  it('IPv6 ranges admit IPv6 clients', async () => {
    const k = await create();
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['2001:db8::/32'], meta());
    await expect(h.core.apiKeys.authenticate(k.key, meta('2001:db8:1::5'))).resolves.toBeDefined();
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta('2001:db9::5')), 'ip_not_allowed');
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta('10.0.0.1')), 'ip_not_allowed');
  });
});

describe('last use', () => {
  it('is visible through get() and list() right after a use, and reaches the database on flush', async () => {
    const k = await create();
    h.clock.advance(5000);
    await h.core.apiKeys.authenticate(k.key, meta('2001:DB8::7'));
    const readRow = () => h.handle.db.selectFrom('api_keys').select(['last_used_at', 'last_used_ip']).where('id', '=', k.id).executeTakeFirstOrThrow();

    expect(await h.core.apiKeys.get(alice.workspaceId, k.id)).toMatchObject({ lastUsedAt: '2026-03-02T10:00:05.000Z', lastUsedIp: '2001:db8::7' });
    expect((await h.core.apiKeys.list(alice.workspaceId, false))[0]!.lastUsedAt).toBe('2026-03-02T10:00:05.000Z');
    expect(await readRow()).toEqual({ last_used_at: null, last_used_ip: null }); // coalesced, not yet written

    h.clock.advance(1000);
    await h.core.apiKeys.authenticate(k.key, meta('192.0.2.9'));
    await h.core.flush();
    expect(await readRow()).toEqual({ last_used_at: '2026-03-02T10:00:06.000Z', last_used_ip: '192.0.2.9' });
    expect(await h.core.apiKeys.get(alice.workspaceId, k.id)).toMatchObject({ lastUsedAt: '2026-03-02T10:00:06.000Z', lastUsedIp: '192.0.2.9' });
  });

  it('a flush of many keys writes every one, in several short statements with requests served between them', async () => {
    const keys = [];
    for (let i = 0; i < 600; i++) keys.push(await create(`k${i}`));
    for (const k of keys) await h.core.apiKeys.authenticate(k.key, meta('192.0.2.3'));
    h.queries.reset();
    let flushed = false;
    let servedDuringFlush = 0;
    const flushing = h.core.flush().then(() => {
      flushed = true;
    });
    // Requests arriving while the flush runs are answered before it ends. The probe goes round
    // the keys, each with its own budget of 1000 a minute: on a slow PostgreSQL the flush
    // outlasts a thousand cache hits, and one key's budget would run out.
    const probe = (async () => {
      for (let i = 0; !flushed; i++) {
        await new Promise((r) => setImmediate(r));
        await h.core.apiKeys.authenticate(keys[i % keys.length]!.key, meta('192.0.2.3'));
        if (!flushed) servedDuringFlush++;
      }
    })();
    await flushing;
    await probe;
    const statements = h.queries.kinds.filter((k) => k === 'RawNode').length;
    expect(statements).toBeGreaterThan(1);
    expect(servedDuringFlush).toBeGreaterThan(0);
    const written = await h.handle.db.selectFrom('api_keys').select((eb) => eb.fn.countAll<number>().as('n')).where('last_used_ip', '=', '192.0.2.3').executeTakeFirstOrThrow();
    expect(Number(written.n)).toBe(600);
  });

  it('refused requests do not count as a use', async () => {
    const k = await create();
    await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta());
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'ip_not_allowed');
    await h.core.flush();
    expect(await h.core.apiKeys.get(alice.workspaceId, k.id)).toMatchObject({ lastUsedAt: null, lastUsedIp: null });
  });
});
