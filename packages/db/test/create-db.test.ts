import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createDb, createTestDb, migrateToLatest, sqlitePathFromUrl } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('sqlitePathFromUrl', () => {
  it('resolves relative and absolute file: URLs', () => {
    expect(sqlitePathFromUrl('file:./data/x.db')).toBe(resolve('data/x.db'));
    expect(sqlitePathFromUrl('file:/tmp/x.db')).toBe('/tmp/x.db');
  });
  it('refuses in-memory and postgres URLs with a clear message', () => {
    expect(() => sqlitePathFromUrl('file::memory:')).toThrow(/must name a file/);
    expect(() => sqlitePathFromUrl('postgres://u@h/db')).toThrow(/PostgreSQL is not supported yet/);
  });
});

describe('createDb', () => {
  it('opens SQLite in WAL mode with foreign keys, NORMAL sync and a busy timeout, creating the directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-db-'));
    dirs.push(dir);
    const { db, path, close } = createDb(`file:${join(dir, 'nested', 'a.db')}`);
    expect(path).toBe(join(dir, 'nested', 'a.db'));
    const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(5000);
    await close();
  });

  it('migrates once and is idempotent on a second start, keeping data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-db-'));
    dirs.push(dir);
    const url = `file:${join(dir, 'a.db')}`;
    const first = createDb(url);
    await migrateToLatest(first.db);
    await first.db.insertInto('users').values({ id: 'user_1', email: 'a@example.com', created_at: '2026-01-01T00:00:00.000Z' }).execute();
    await first.close();
    const second = createDb(url);
    await migrateToLatest(second.db);
    expect(await second.db.selectFrom('users').select('email').execute()).toEqual([{ email: 'a@example.com' }]);
    await second.close();
  });
});

describe('schema', () => {
  it('enforces unique e-mails, unique key hashes and cascades workspace deletion', async () => {
    const t = await createTestDb();
    try {
      const at = '2026-01-01T00:00:00.000Z';
      await t.db.insertInto('users').values({ id: 'user_1', email: 'a@example.com', created_at: at }).execute();
      await expect(t.db.insertInto('users').values({ id: 'user_2', email: 'a@example.com', created_at: at }).execute()).rejects.toThrow(/UNIQUE/);
      await t.db.insertInto('workspaces').values({ id: 'ws_1', name: 'acme', created_at: at }).execute();
      const key = {
        workspace_id: 'ws_1', name: 'k', key_hash: 'h', prefix: 'pc_live_abcd', allowed_ip_ranges: '[]', created_at: at,
        created_by_user_id: 'user_1', last_used_at: null, last_used_ip: null, revoked_at: null, expires_at: null,
        rolled_to_id: null, expiry_recorded_at: null,
      };
      await t.db.insertInto('api_keys').values({ id: 'key_1', ...key }).execute();
      await expect(t.db.insertInto('api_keys').values({ id: 'key_2', ...key }).execute()).rejects.toThrow(/UNIQUE/);
      await expect(t.db.insertInto('api_keys').values({ id: 'key_3', ...key, key_hash: 'h3', workspace_id: 'ws_missing' }).execute()).rejects.toThrow(/FOREIGN KEY/);
      await t.db.deleteFrom('workspaces').where('id', '=', 'ws_1').execute();
      expect(await t.db.selectFrom('api_keys').select('id').execute()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('has an index for every hot look-up', async () => {
    const t = await createTestDb();
    try {
      const plan = async (q: string) => JSON.stringify((await sql.raw(`explain query plan ${q}`).execute(t.db)).rows);
      expect(await plan(`select * from api_keys where key_hash = 'x'`)).toMatch(/USING INDEX/);
      expect(await plan(`select * from sessions where token_hash = 'x'`)).toMatch(/USING INDEX/);
      expect(await plan(`select * from magic_links where token_hash = 'x'`)).toMatch(/USING INDEX/);
      expect(await plan(`select * from api_keys where workspace_id = 'w' order by created_at desc`)).toMatch(/USING INDEX api_keys_workspace_idx/);
      expect(await plan(`select * from agents where workspace_id = 'w' order by created_at desc`)).toMatch(/USING INDEX agents_workspace_idx/);
      expect(await plan(`select * from audit_logs where workspace_id = 'w' and seq < 5 order by seq desc`)).toMatch(/USING INDEX audit_logs_workspace_idx/);
    } finally {
      await t.close();
    }
  });
});
