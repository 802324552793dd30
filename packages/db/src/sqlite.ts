import { chmodSync, closeSync, existsSync, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, sql } from 'kysely';
import type { Database } from './schema.js';
import type { DbHandle } from './store.js';

/** Resolves `file:./data/x.db` (relative to cwd), `file:/abs/x.db` or a bare path to an absolute file path. */
export function sqlitePathFromUrl(url: string): string {
  const raw = url.startsWith('file:') ? url.slice('file:'.length) : url;
  if (raw === '' || raw === ':memory:') throw new Error('DATABASE_URL must name a file; in-memory databases lose data on restart.');
  return resolve(raw.startsWith('//') ? raw.slice(2) : raw);
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EROFS: 'the file system is read-only',
  ENOENT: 'no such directory, and it cannot be created there',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'the disk is full',
  SQLITE_CANTOPEN: 'it cannot be opened (permissions, or not a regular file)',
  SQLITE_NOTADB: 'it is not a SQLite database (or it is encrypted or damaged)',
  SQLITE_CORRUPT: 'the file is damaged',
  SQLITE_READONLY: 'it is read-only',
  SQLITE_FULL: 'the disk is full',
  SQLITE_IOERR: 'the disk reported an I/O error',
};

/** A failure to open the store, as a sentence that names the variable, the path and the reason. */
export function openError(path: string, what: string, err: unknown): Error {
  const code = String((err as { code?: string }).code ?? '');
  const reason = REASONS[code] ?? REASONS[code.replace(/_[A-Z]+$/, '')] ?? (err instanceof Error ? err.message : String(err));
  return new Error(`DATABASE_URL: cannot ${what} ${path}: ${reason}.`);
}

/**
 * The directory for the database, made private (0700) if this creates it. Made one level at a time:
 * Node's recursive mkdir never returns on some paths (under /proc), and each step can say what failed.
 */
function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) {
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) {
    try {
      mkdirSync(d, { mode: 0o700 });
      chmodSync(d, 0o700);
    } catch (err) {
      throw openError(d, 'create the directory', err);
    }
  }
  if (!statSync(dir).isDirectory()) throw openError(dir, 'use the directory', { code: 'ENOTDIR' });
}

/**
 * Creates the database file 0600 whatever the umask; SQLite gives its -wal and -shm files the
 * database file's permissions, so they are private too.
 */
function ensurePrivateFile(path: string): void {
  if (existsSync(path)) return;
  try {
    const fd = openSync(path, 'a', 0o600);
    fchmodSync(fd, 0o600);
    closeSync(fd);
  } catch (err) {
    throw openError(path, 'create the SQLite database', err);
  }
}

export function createSqliteDb(url: string): DbHandle {
  const path = sqlitePathFromUrl(url);
  ensureDirectory(dirname(path));
  ensurePrivateFile(path);
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    // WAL + NORMAL is durable across process crashes; only an OS crash can lose the last commits.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
  } catch (err) {
    throw openError(path, 'open the SQLite database', err);
  }
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
  // SQLite ends a transaction itself on some errors (a full disk, I/O): Kysely's ROLLBACK then fails
  // with "no transaction is active" and hides the error that matters, so it is skipped.
  const noTransaction = { reader: false, all: () => [], run: () => ({ changes: 0, lastInsertRowid: 0 }), iterate: () => [][Symbol.iterator]() };
  return {
    close: () => sqlite.close(),
    prepare(text) {
      if (text === 'rollback' && !sqlite.inTransaction) return noTransaction as unknown as SQLite.Statement;
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

/** Refuses a damaged SQLite file at start (`PRAGMA quick_check`: about 0.8 s for a million keys). */
export async function checkSqliteIntegrity(handle: Pick<DbHandle, 'db' | 'path'>): Promise<void> {
  let problems: string[];
  try {
    const rows = (await sql<Record<string, string>>`pragma quick_check(5)`.execute(handle.db)).rows;
    problems = rows.map((r) => Object.values(r)[0] ?? '').filter((p) => p !== 'ok');
  } catch (err) {
    throw openError(handle.path ?? '', 'read the SQLite database', err);
  }
  if (problems.length > 0) {
    throw new Error(`DATABASE_URL: the SQLite database ${handle.path} is damaged (${problems.join('; ')}). Restore it from a backup; see "Backup and restore" in the README.`);
  }
}
