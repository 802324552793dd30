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
  const newer = /previously executed migration (\S+) is missing/.exec(String(error));
  if (newer) {
    throw new Error(
      `This database was migrated by a newer version of Private Connect (it has migration ${newer[1]}, which this version does not know). ` +
        'Run that version again, or restore the backup made before the upgrade.',
    );
  }
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}

/**
 * Where the schema stands for this version: `missing` (never migrated), the names of migrations
 * still to run (empty: up to date), or `newer` when the database has migrations this version lacks.
 */
export async function migrationState(handle: Pick<DbHandle, 'db'>): Promise<'missing' | 'newer' | string[]> {
  const migrator = new Migrator({ db: handle.db, provider: migrationProvider });
  const tables = await handle.db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === 'kysely_migration')) return 'missing';
  const known = await migrator.getMigrations();
  const executed = await (handle.db as Kysely<any>).selectFrom('kysely_migration').select('name').execute();
  if (executed.some((e) => !known.some((k) => k.name === e.name))) return 'newer';
  return known.filter((k) => !k.executedAt).map((k) => k.name);
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
