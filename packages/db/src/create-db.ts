import { type Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import { createPostgresDb, createPostgresMigrationDb, isPostgresUrl } from './postgres.js';
import { createSqliteDb } from './sqlite.js';
import type { DbHandle, DbOptions } from './store.js';

/** `file:…` (or a bare path): the embedded SQLite store. `postgres://` or `postgresql://`: PostgreSQL. */
export function createDb(url: string, opts: DbOptions = {}): DbHandle {
  return isPostgresUrl(url) ? createPostgresDb(url, opts) : createSqliteDb(url);
}

async function runMigrations(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

/**
 * Brings the schema up to date. On PostgreSQL, Kysely's migrator takes an advisory lock and runs
 * every pending migration in one transaction, so instances that start together migrate once: the
 * others wait for the lock, then find nothing to do.
 */
export async function migrateToLatest(handle: Pick<DbHandle, 'db' | 'dialect' | 'url'>): Promise<void> {
  if (handle.dialect === 'sqlite') return runMigrations(handle.db);
  const db = createPostgresMigrationDb(handle.url);
  try {
    await runMigrations(db);
  } finally {
    await db.destroy();
  }
}
