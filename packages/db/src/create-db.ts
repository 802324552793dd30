import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { type Compilable, type CompiledQuery, Kysely, Migrator, SqliteDialect, type SqliteDatabase } from 'kysely';
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, path, close: () => db.destroy() };
}

/**
 * Kysely's SQLite driver prepares every query anew; preparing costs more than running a small indexed
 * query. Statements are kept by SQL text (bounded, oldest out). Reuse is safe: the driver runs one
 * statement at a time on the single connection, and SQLite re-prepares a statement after a schema change.
 */
function withStatementCache(sqlite: SQLite.Database, max = 1000): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(text) {
      let stmt = statements.get(text);
      if (stmt === undefined) {
        stmt = sqlite.prepare(text);
        if (statements.size >= max) statements.delete(statements.keys().next().value!);
        statements.set(text, stmt);
      }
      return stmt;
    },
  };
}

/**
 * A query built and compiled once, then run with new arguments: Kysely otherwise rebuilds and
 * recompiles the query tree on every call, which costs more than SQLite's own work on a hot path.
 * `build` runs once with a placeholder string per declared argument; at run time each placeholder
 * parameter takes its argument and every other parameter keeps its compiled value.
 */
export function compileOnce<A extends string[], R>(build: (...args: A) => Compilable<R>): (...args: A) => CompiledQuery<R> {
  const placeholders = Array.from({ length: build.length }, (_, i) => `\u0000arg${i}\u0000`);
  const compiled = build(...(placeholders as A)).compile();
  const slots = compiled.parameters.map((p) => placeholders.indexOf(p as string));
  if (compiled.sql.includes('\u0000') || placeholders.some((_, i) => !slots.includes(i))) {
    throw new Error('compileOnce: every argument must be bound as a query parameter');
  }
  return (...args) => ({ ...compiled, parameters: slots.map((slot, i) => (slot === -1 ? compiled.parameters[i] : args[slot])) });
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
