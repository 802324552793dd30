import type { Kysely } from 'kysely';
import type { Notifications } from './postgres-listener.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface DbOptions {
  /** PostgreSQL: connections in the pool (DATABASE_POOL_MAX). */
  poolMax?: number;
  /** Connection errors outside any query (an idle connection dropped, the listener lost). */
  onError?: (err: Error) => void;
}

export interface DbHandle {
  db: Db;
  dialect: Dialect;
  /** The SQLite file's absolute path; null on PostgreSQL. */
  path: string | null;
  /** Where the data is, safe to log: the file's path, or the URL without its password. */
  location: string;
  /** The DATABASE_URL this handle was opened with. */
  url: string;
  /** PostgreSQL: LISTEN/NOTIFY on a dedicated connection; null on SQLite (one process). */
  notifications: Notifications | null;
  /** PostgreSQL: pool use. */
  pool?: () => { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}
