import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.js';
import type { DbHandle } from './store.js';

/** Resolves `file:./data/x.db` (relative to cwd), `file:/abs/x.db` or a bare path to an absolute file path. */
export function sqlitePathFromUrl(url: string): string {
  const raw = url.startsWith('file:') ? url.slice('file:'.length) : url;
  if (raw === '' || raw === ':memory:') throw new Error('DATABASE_URL must name a file; in-memory databases lose data on restart.');
  return resolve(raw.startsWith('//') ? raw.slice(2) : raw);
}

export function createSqliteDb(url: string): DbHandle {
  const path = sqlitePathFromUrl(url);
  mkdirSync(dirname(path), { recursive: true });
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  // WAL + NORMAL is durable across process crashes; only an OS crash can lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return { db, dialect: 'sqlite', path, location: path, url, notifications: null, close: () => db.destroy() };
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
 * One server per SQLite file. A second process would keep its own key cache and rate-limit counters
 * and serve revoked keys, so it is refused. The lock is an exclusive transaction held open on a
 * companion file: the operating system drops it when the process ends, even by kill -9, so a crash
 * never leaves a stale lock behind (a pid file would). Online backups of the database still work.
 */
export function acquireServerLock(databasePath: string): { release(): void } {
  const lockPath = `${databasePath}.lock`;
  const lock = new SQLite(lockPath, { timeout: 0 });
  try {
    lock.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new Error(
        `Another Private Connect server is already using the SQLite database ${databasePath} (lock file ${lockPath}). ` +
          'SQLite serves one server process. To run several instances, use PostgreSQL: set DATABASE_URL=postgres://user:pass@host:5432/db ' +
          '(see "Running several instances" in the README).',
      );
    }
    throw err;
  }
  return {
    release() {
      if (lock.open) lock.close();
    },
  };
}
