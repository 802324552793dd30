import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { createPostgresNotifications } from './postgres-listener.js';
import type { Database } from './schema.js';
import type { DbHandle, DbOptions } from './store.js';

export const isPostgresUrl = (url: string): boolean => url.startsWith('postgres://') || url.startsWith('postgresql://');

/** The URL as it may be logged: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/**
 * int8 (bigint, count(*)) arrives as a string by default, to be safe beyond 2^53. Every int8 here
 * (sequence numbers, epoch milliseconds, counts) stays far below that, so it is read as a number.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/**
 * A request must get an answer within 5 s even when the database hangs: connecting gives up after
 * 3 s, a statement after 4 s (client side, and server side so the work stops too), and a
 * transaction left idle by a stalled process is ended after 10 s.
 */
export const POSTGRES_TIMEOUTS = { connectMs: 3000, statementMs: 4000, idleInTransactionMs: 10_000 };

function clientConfig(url: string, timeouts: boolean, applicationName = 'private-connect'): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: applicationName,
    types,
    ...(timeouts
      ? {
          connectionTimeoutMillis: POSTGRES_TIMEOUTS.connectMs,
          query_timeout: POSTGRES_TIMEOUTS.statementMs,
          statement_timeout: POSTGRES_TIMEOUTS.statementMs,
          idle_in_transaction_session_timeout: POSTGRES_TIMEOUTS.idleInTransactionMs,
        }
      : {}),
  };
}

export function createPostgresDb(url: string, opts: DbOptions = {}): DbHandle {
  const onError = opts.onError ?? (() => {});
  const pool = new pg.Pool({ ...clientConfig(url, true), max: opts.poolMax ?? 10, keepAlive: true });
  // A pooled connection that the server drops emits 'error'; unhandled, it would end the process.
  // The pool reports it for an idle connection; for one checked out, the query in flight fails
  // (answered 503 and logged as such) and the pool drops the connection when it is released.
  pool.on('error', onError);
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const notifications = createPostgresNotifications(clientConfig(url, false, 'private-connect-listener'), onError);
  return {
    db,
    dialect: 'postgres',
    path: null,
    location: redactUrl(url),
    url,
    notifications,
    pool: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    close: async () => {
      await notifications.stop();
      await db.destroy();
    },
  };
}

/** A connection without the request timeouts, for migrations (an index on a large table takes longer than 4 s). */
export function createPostgresMigrationDb(url: string): Kysely<any> {
  const pool = new pg.Pool({ ...clientConfig(url, false), connectionTimeoutMillis: 10_000, max: 1 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
}
