import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Kysely, Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { acquireServerLock, createDb, createTestDb, isPostgresUrl, isStoreUnavailable, migrateToLatest, redactUrl, sqlitePathFromUrl, uniqueViolation } from '../src/index.js';
import { migrationProvider } from '../src/migrations/index.js';
import { createTestDatabase, testStore } from '../src/testing/index.js';

const onSqlite = testStore() === 'sqlite';
const onPostgres = testStore() === 'postgres';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-db-'));
  dirs.push(dir);
  return dir;
};

describe('DATABASE_URL', () => {
  it('resolves relative and absolute file: URLs, and refuses in-memory databases', () => {
    expect(sqlitePathFromUrl('file:./data/x.db')).toBe(resolve('data/x.db'));
    expect(sqlitePathFromUrl('file:/tmp/x.db')).toBe('/tmp/x.db');
    expect(() => sqlitePathFromUrl('file::memory:')).toThrow(/must name a file/);
  });

  it('takes postgres:// and postgresql:// as PostgreSQL, and never logs a password', () => {
    expect(isPostgresUrl('postgres://u@h/db')).toBe(true);
    expect(isPostgresUrl('postgresql://u@h:5432/db?sslmode=require')).toBe(true);
    expect(isPostgresUrl('file:./data/x.db')).toBe(false);
    expect(redactUrl('postgres://app:s3cret@db.internal:5432/pc?sslmode=require')).toBe('postgres://app:***@db.internal:5432/pc?sslmode=require');
    expect(redactUrl('postgres://app@db.internal/pc')).toBe('postgres://app@db.internal/pc');
  });
});

describe.runIf(onSqlite)('the SQLite store', () => {
  it('opens in WAL mode with foreign keys, NORMAL sync and a busy timeout, creating the directory', async () => {
    const dir = tempDir();
    const handle = createDb(`file:${join(dir, 'nested', 'a.db')}`);
    expect(handle).toMatchObject({ dialect: 'sqlite', path: join(dir, 'nested', 'a.db'), notifications: null });
    const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(handle.db)).rows[0] as object)[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
    await handle.close();
  });

  it('lets one server hold a file: a second is refused with the path and a pointer to PostgreSQL, and the lock goes with the first', () => {
    const path = join(tempDir(), 'a.db');
    const first = acquireServerLock(path);
    expect(() => acquireServerLock(path)).toThrow(new RegExp(`already using the SQLite database ${path}.*DATABASE_URL=postgres://`));
    first.release();
    acquireServerLock(path).release();
  });

  it('0002 keeps existing keys valid: expired names are released and, of names taken twice, the newest keeps it', async () => {
    const handle = createDb(`file:${join(tempDir(), 'old.db')}`);
    const migrator = new Migrator({ db: handle.db as Kysely<any>, provider: migrationProvider });
    expect((await migrator.migrateTo('0001-initial')).error).toBeUndefined();
    const at = (m: number) => new Date(Date.UTC(2026, 0, 1, 0, m)).toISOString();
    await handle.db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', created_at: at(0) }).execute();
    const key = (id: string, name: string, createdAt: string, expiresAt: string | null) => ({
      id, workspace_id: 'ws_1', name, key_hash: `h_${id}`, prefix: 'pc_live_abcd', allowed_ip_ranges: '[]', created_at: createdAt,
      created_by_user_id: null, last_used_at: null, last_used_ip: null, revoked_at: null, expires_at: expiresAt, rolled_to_id: null, expiry_recorded_at: null,
    });
    await (handle.db as Kysely<any>).insertInto('api_keys').values([
      key('key_old', 'deploy', at(1), null),
      key('key_new', 'deploy', at(2), null),
      key('key_expired', 'ci', at(3), at(4)),
      key('key_ci', 'ci', at(5), null),
    ]).execute();
    await migrateToLatest(handle);
    const rows = await handle.db.selectFrom('api_keys').select(['id', 'name_released_at']).orderBy('id').execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.name_released_at !== null]))).toEqual({ key_ci: false, key_expired: true, key_new: false, key_old: true });
    await handle.close();
  });
});

describe.runIf(onPostgres)('the PostgreSQL store', () => {
  it('takes sslmode from the URL: disable connects in the clear, require refuses a server without TLS', async () => {
    const database = await createTestDatabase();
    try {
      const clear = createDb(`${database.url}?sslmode=disable`);
      expect((await sql<{ one: number }>`select 1 as one`.execute(clear.db)).rows).toEqual([{ one: 1 }]);
      expect(clear).toMatchObject({ dialect: 'postgres', path: null });
      await clear.close();
      const tls = createDb(`${database.url}?sslmode=no-verify`);
      await expect(sql`select 1`.execute(tls.db)).rejects.toThrow(/does not support SSL/);
      await tls.close();
    } finally {
      await database.drop();
    }
  });

  it('says a store is unavailable when nothing listens, quickly, and never for a bad query', async () => {
    const handle = createDb('postgres://postgres@127.0.0.1:1/none');
    const started = performance.now();
    const err = await sql`select 1`.execute(handle.db).catch((e: unknown) => e);
    expect(isStoreUnavailable(err)).toBe(true);
    expect(performance.now() - started).toBeLessThan(4000);
    await handle.close();
    const t = await createTestDb();
    expect(isStoreUnavailable(await sql`select * from no_such_table`.execute(t.db).catch((e: unknown) => e))).toBe(false);
    await t.close();
  });

  it('reconnects its listener after the connection is killed, and says so', async () => {
    const t = await createTestDb();
    try {
      const heard: string[] = [];
      let reconnects = 0;
      t.notifications!.listen('pc_test', (p) => heard.push(p));
      t.notifications!.onReconnect(() => reconnects++);
      await t.notifications!.start();
      await sql`select pg_notify('pc_test', 'one')`.execute(t.db);
      await vi.waitFor(() => expect(heard).toEqual(['one']));
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'private-connect-listener' and datname = current_database()`.execute(t.db);
      await vi.waitFor(() => expect(reconnects).toBe(1), { timeout: 5000 });
      await sql`select pg_notify('pc_test', 'two')`.execute(t.db);
      await vi.waitFor(() => expect(heard).toEqual(['one', 'two']));
    } finally {
      await t.close();
    }
  });
});

describe('migrations', () => {
  it('are idempotent: a second start on the same database keeps the data and runs nothing', async () => {
    const database = await createTestDatabase();
    try {
      const first = createDb(database.url);
      await first.db.insertInto('users').values({ id: 'user_1', email: 'a@example.com', created_at: '2026-01-01T00:00:00.000Z' }).execute();
      await first.close();
      const second = createDb(database.url);
      await migrateToLatest(second);
      expect(await second.db.selectFrom('users').select('email').execute()).toEqual([{ email: 'a@example.com' }]);
      const applied = await (second.db as Kysely<any>).selectFrom('kysely_migration').select('name').orderBy('name').execute();
      expect(applied.map((r) => r.name)).toEqual(['0001-initial', '0002-scale-out', '0003-audit-retention', '0004-webhooks-presence', '0005-usage-history', '0006-teams']);
      await second.close();
    } finally {
      await database.drop();
    }
  });

  it.runIf(onPostgres)('run once when several instances start together on an empty PostgreSQL database', async () => {
    const admin = createDb(process.env.PC_TEST_POSTGRES_URL!);
    const name = `fresh_${Date.now()}`;
    await sql.raw(`create database ${name}`).execute(admin.db);
    const url = new URL(process.env.PC_TEST_POSTGRES_URL!);
    url.pathname = `/${name}`;
    const handles = Array.from({ length: 4 }, () => createDb(url.toString()));
    try {
      await Promise.all(handles.map((h) => migrateToLatest(h)));
      const applied = await (handles[0]!.db as Kysely<any>).selectFrom('kysely_migration').select('name').execute();
      expect(applied.map((r) => r.name).sort()).toEqual(['0001-initial', '0002-scale-out', '0003-audit-retention', '0004-webhooks-presence', '0005-usage-history', '0006-teams']);
      expect(await handles[0]!.db.selectFrom('cluster_state').selectAll().execute()).toEqual([{ id: 1, key_seq: 0 }]);
    } finally {
      for (const h of handles) await h.close();
      await sql.raw(`drop database ${name} with (force)`).execute(admin.db);
      await admin.close();
    }
  });
});

describe('schema', () => {
  const at = '2026-01-01T00:00:00.000Z';
  const key = {
    workspace_id: 'ws_1', name: 'k', key_hash: 'h', prefix: 'pc_live_abcd', allowed_ip_ranges: '[]', created_at: at,
    created_by_user_id: null, last_used_at: null, last_used_ip: null, revoked_at: null, expires_at: null,
    rolled_to_id: null, expiry_recorded_at: null, name_released_at: null,
  };
  const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

  it('enforces unique e-mails, workspace names and key hashes, and names each broken constraint the same way on both stores', async () => {
    const t = await createTestDb();
    try {
      await t.db.insertInto('users').values({ id: 'user_1', email: 'a@example.com', created_at: at }).execute();
      expect(uniqueViolation(await failure(t.db.insertInto('users').values({ id: 'user_2', email: 'a@example.com', created_at: at }).execute()))).toBe('users(email)');
      await t.db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', created_at: at }).execute();
      expect(uniqueViolation(await failure(t.db.insertInto('workspaces').values({ id: 'ws_2', name: 'acme', created_at: at }).execute()))).toBe('workspaces(name)');
      await t.db.insertInto('api_keys').values({ id: 'key_1', ...key }).execute();
      expect(uniqueViolation(await failure(t.db.insertInto('api_keys').values({ id: 'key_2', ...key, name: 'other' }).execute()))).toBe('api_keys(key_hash)');
      const fk = await failure(t.db.insertInto('api_keys').values({ id: 'key_3', ...key, key_hash: 'h3', workspace_id: 'ws_missing' }).execute());
      expect(String(fk)).toMatch(/FOREIGN KEY|foreign key/);
      expect(uniqueViolation(fk)).toBeNull();
      await t.db.deleteFrom('workspaces').where('id', '=', 'ws_1').execute();
      expect(await t.db.selectFrom('api_keys').select('id').execute()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('lets one active key hold a name: revoked, rolled and released keys give it up', async () => {
    const t = await createTestDb();
    try {
      await t.db.insertInto('workspaces').values([{ id: 'ws_1', name: 'acme', created_at: at }, { id: 'ws_2', name: 'other', created_at: at }]).execute();
      await t.db.insertInto('api_keys').values({ id: 'key_1', ...key, name: 'deploy', key_hash: 'h1' }).execute();
      const again = (id: string, workspace = 'ws_1') => t.db.insertInto('api_keys').values({ id, ...key, workspace_id: workspace, name: 'deploy', key_hash: `h_${id}` }).execute();
      expect(uniqueViolation(await failure(again('key_2')))).toBe('api_keys(workspace_id, name)');
      await again('key_other_ws', 'ws_2');
      for (const release of [{ revoked_at: at }, { rolled_to_id: 'key_x' }, { name_released_at: at }]) {
        const holder = (await t.db.selectFrom('api_keys').select('id').where('workspace_id', '=', 'ws_1').where('revoked_at', 'is', null).where('rolled_to_id', 'is', null).where('name_released_at', 'is', null).executeTakeFirstOrThrow()).id;
        await t.db.updateTable('api_keys').set(release).where('id', '=', holder).execute();
        await again(`key_after_${Object.keys(release)[0]}`);
      }
    } finally {
      await t.close();
    }
  });

  it('has an index for every hot look-up', async () => {
    const t = await createTestDb();
    try {
      const cases: Array<[string, RegExp]> = [
        [`select * from api_keys where key_hash = 'x'`, /api_keys_key_hash/],
        [`select * from sessions where token_hash = 'x'`, /sessions_token_hash/],
        [`select * from magic_links where token_hash = 'x'`, /magic_links_token_hash/],
        [`select * from api_keys where workspace_id = 'w' order by created_at desc`, /api_keys_workspace_idx/],
        [`select * from agents where workspace_id = 'w' order by created_at desc`, /agents_workspace_idx/],
        [`select * from audit_logs where workspace_id = 'w' and seq < 5 order by seq desc`, /audit_logs_workspace_idx/],
        [`select * from key_invalidations where seq > 5 order by seq`, /key_invalidations_pkey|USING INTEGER PRIMARY KEY|sqlite_autoindex_key_invalidations/],
      ];
      for (const [query, index] of cases) {
        const plan = onPostgres
          ? await t.db.transaction().execute(async (trx) => {
              // Empty tables are scanned whatever the indexes; this asks whether an index exists for the query.
              await sql`set local enable_seqscan = off`.execute(trx);
              return JSON.stringify((await sql.raw(`explain ${query}`).execute(trx)).rows);
            })
          : JSON.stringify((await sql.raw(`explain query plan ${query}`).execute(t.db)).rows);
        expect(plan, query).toMatch(onPostgres ? index : /USING (INDEX|INTEGER PRIMARY KEY)/);
        if (onSqlite && !/key_invalidations/.test(query)) expect(plan, query).toMatch(/USING INDEX/);
      }
    } finally {
      await t.close();
    }
  });
});
