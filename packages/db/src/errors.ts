/**
 * What a driver error means, the same way for both stores: better-sqlite3 and node-postgres name
 * the same failures differently, and services must map them to the contract's codes, not guess.
 */

interface DriverError {
  code?: unknown;
  message?: unknown;
  table?: unknown;
  detail?: unknown;
}

const asDriverError = (err: unknown): DriverError => (typeof err === 'object' && err !== null ? (err as DriverError) : {});

/**
 * The unique constraint an insert or update broke, as `table(column, column)`, or null when the
 * error is something else. SQLite: `UNIQUE constraint failed: api_keys.workspace_id, api_keys.name`;
 * PostgreSQL: SQLSTATE 23505 with `table` and `Key (workspace_id, name)=(…) already exists.`
 */
export function uniqueViolation(err: unknown): string | null {
  const e = asDriverError(err);
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /constraint failed: (.+)$/.exec(String(e.message));
    if (!m?.[1]) return null;
    const cols = m[1].split(', ').map((c) => c.trim().split('.'));
    const table = cols[0]?.[0];
    return table ? `${table}(${cols.map((c) => c[1]).join(', ')})` : null;
  }
  if (e.code === '23505') {
    const m = /^Key \((.+?)\)=/.exec(String(e.detail ?? ''));
    return typeof e.table === 'string' && m?.[1] ? `${e.table}(${m[1]})` : null;
  }
  return null;
}

const PG_UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down)
  '57014', // query_canceled: statement_timeout
  '53300', // too_many_connections
  '25P03', // idle_in_transaction_session_timeout
]);

const PG_UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Cannot use a pool after calling end',
  'the database system is',
];

export type StoreFailure = 'disk_full' | 'damaged' | 'io_error' | 'unavailable';

/**
 * Why the store could not answer, or null when the error is something else (a bug, a constraint):
 * down, restarting, unreachable, too slow or locked (`unavailable`), a full disk, a damaged file,
 * an I/O error. The request gets the contract's 503; nothing about the request was wrong.
 */
export function storeFailure(err: unknown): StoreFailure | null {
  const e = asDriverError(err);
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === 'SQLITE_FULL' || code === '53100') return 'disk_full';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB' || code === 'XX001' || code === 'XX002') return 'damaged';
  if (code.startsWith('SQLITE_IOERR') || code === '58030') return 'io_error';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'unavailable';
  if (PG_UNAVAILABLE_CODES.has(code) || code.startsWith('08')) return 'unavailable';
  const message = String(e.message ?? '');
  return PG_UNAVAILABLE_MESSAGES.some((m) => message.includes(m)) ? 'unavailable' : null;
}

export const isStoreUnavailable = (err: unknown): boolean => storeFailure(err) !== null;

/** PostgreSQL gave up a transaction to break a deadlock or a serialization conflict: run it again. */
export function isRetryableConflict(err: unknown): boolean {
  const code = asDriverError(err).code;
  return code === '40001' || code === '40P01';
}
