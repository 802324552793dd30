import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  /** Absolute path of the SQLite file. */
  path: string;
  close(): Promise<void>;
}

/** Resolves `file:./data/x.db` (relative to cwd), `file:/abs/x.db` or a bare path to an absolute file path. */
export function sqlitePathFromUrl(url: string): string {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    throw new Error('PostgreSQL is not supported yet: use a file: URL for SQLite.');
  }
  const raw = url.startsWith('file:') ? url.slice('file:'.length) : url;
  if (raw === '' || raw === ':memory:') throw new Error('DATABASE_URL must name a file; in-memory databases lose data on restart.');
  return resolve(raw.startsWith('//') ? raw.slice(2) : raw);
}

export function createDb(url: string): DbHandle {
  const path = sqlitePathFromUrl(url);
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // WAL + NORMAL is durable across process crashes; only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, path, close: () => db.destroy() };
}

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

/** A fresh, migrated database in its own temp file: a real SQLite, deleted by `close()`. */
export async function createTestDb(): Promise<DbHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-test-db-'));
  const handle = createDb(`file:${join(dir, 'test.db')}`);
  await migrateToLatest(handle.db);
  return {
    ...handle,
    close: async () => {
      await handle.db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
