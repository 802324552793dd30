import type { Db, Dialect } from '@pc/db';
import { sql } from 'kysely';
import type { CoreObserver } from './observer.js';
import type { UsageBuffer } from './usage-buffer.js';

type LastUseTable = 'api_keys' | 'sessions' | 'agents';

export interface LastUse {
  /** ISO timestamp. */
  at: string;
  /** Keys and agents: the client IP of that use. */
  ip?: string;
  /** Agents: the version the heartbeat reported (null keeps the one stored). */
  version?: string | null;
}

/** What each table's flush sets: the time column, and the values that go with it. */
const COLUMNS = {
  api_keys: { at: 'last_used_at', set: sql`last_used_at = v.column2, last_used_ip = v.column3`, row: (id: string, r: LastUse) => sql`(${id}, ${r.at}, ${r.ip ?? null})` },
  sessions: { at: 'last_used_at', set: sql`last_used_at = v.column2`, row: (id: string, r: LastUse) => sql`(${id}, ${r.at})` },
  agents: {
    at: 'last_seen_at',
    set: sql`last_seen_at = v.column2, last_seen_ip = v.column3, version = coalesce(v.column4, agents.version)`,
    row: (id: string, r: LastUse) => sql`(${id}, ${r.at}, ${r.ip ?? null}, ${r.version ?? null})`,
  },
} as const;

/**
 * How long one statement may take on SQLite, where it blocks the single connection and (with
 * better-sqlite3) the event loop while it runs. What a row costs depends on the table and the
 * machine (on our 2-core machine 250 rows took 1 to 3 ms, where one transaction of 2,200 single-row
 * updates took 50 to 130 ms), so the chunk is sized by time: after each statement the next is made
 * about as large as fits in this budget at the pace just seen. Every statement has a power of two
 * of rows, 16 to 1,024: the last chunk of a batch is padded up to one (see `paddedRows`), so a table
 * has at most seven statement texts in the prepared-statement cache, whatever the batch sizes.
 */
export const LAST_USE_STATEMENT_MS = 4;
const MIN_ROWS = 16;
const MAX_ROWS = 1024;
/** PostgreSQL: a statement waits on the network, not on the event loop, so chunks stay large (fewer commits). */
const POSTGRES_ROWS = 512;

const powerOfTwoAtMost = (n: number) => 2 ** Math.floor(Math.log2(Math.min(MAX_ROWS, Math.max(MIN_ROWS, n))));

/**
 * The rows of a statement that writes `rows` values: the next power of two, at least 16. The VALUES
 * list is padded with copies of its last row, which both stores accept in `UPDATE … FROM` (a target
 * row joined twice is updated once, and the copies are identical), so the statement's text is one
 * of seven however many values are left at the end of a batch.
 */
export const paddedRows = (rows: number) => Math.max(MIN_ROWS, 2 ** Math.ceil(Math.log2(Math.max(1, rows))));

const yieldToRequests = () => new Promise<void>((r) => setImmediate(r));

/**
 * Writes coalesced last-use values, one multi-row `UPDATE … FROM (VALUES …)` per chunk (the same SQL
 * runs on SQLite and PostgreSQL; both name the columns of a VALUES list column1, column2, …), each
 * its own small commit, with requests served between chunks. Rows are formatted chunk by chunk, so
 * a large batch does not block the event loop before the first statement either. A value never
 * moves backwards: with several instances, one that flushes late must not overwrite a newer use
 * recorded by another.
 */
function createLastUseWriter<V>(db: Db, dialect: Dialect, table: LastUseTable, toRow: (value: V) => LastUse) {
  const { at, set, row } = COLUMNS[table];
  const lastUsedAt = sql.ref(`${table}.${at}`);
  let rowsPerStatement = dialect === 'postgres' ? POSTGRES_ROWS : 128;

  /** Writes `batch`; what a failed statement did not write is returned with the error, for the next flush. */
  return async function write(batch: Map<string, V>): Promise<{ written: number; failed: Map<string, V>; error?: unknown }> {
    const entries = [...batch];
    for (let i = 0; i < entries.length; ) {
      const chunk = entries.slice(i, i + rowsPerStatement);
      const rows = chunk.map(([id, v]) => row(id, toRow(v)));
      for (let n = paddedRows(rows.length) - rows.length; n > 0; n--) rows.push(rows[rows.length - 1]!);
      const values = sql.join(rows);
      const started = performance.now();
      try {
        await sql`update ${sql.table(table)} set ${set} from (values ${values}) as v
          where ${sql.ref(`${table}.id`)} = v.column1 and (${lastUsedAt} is null or ${lastUsedAt} < v.column2)`.execute(db);
      } catch (error) {
        return { written: i, failed: new Map(entries.slice(i)), error };
      }
      if (dialect === 'sqlite') {
        const perRow = (performance.now() - started) / rows.length;
        // Halfway to the size that fits the budget at this pace: steady under noise, quick when the table grows.
        const fits = perRow > 0 ? LAST_USE_STATEMENT_MS / perRow : MAX_ROWS;
        rowsPerStatement = powerOfTwoAtMost((rowsPerStatement + fits) / 2);
      }
      i += chunk.length;
      if (i < entries.length) await yieldToRequests();
    }
    return { written: entries.length, failed: new Map() };
  };
}

/**
 * A table's flush of its coalesced last use: takes what `buffer` holds, writes it, reports it to the
 * observer, and on a failed statement puts what was not written back for the next flush and throws.
 * Resolves with the rows written.
 */
export function createLastUseFlush<V>(opts: {
  db: Db;
  dialect: Dialect;
  table: LastUseTable;
  buffer: UsageBuffer<V>;
  toRow: (value: V) => LastUse;
  observer: CoreObserver;
}): () => Promise<number> {
  const write = createLastUseWriter(opts.db, opts.dialect, opts.table, opts.toRow);
  return async function flush(): Promise<number> {
    const batch = opts.buffer.take();
    if (batch.size === 0) return 0;
    const started = performance.now();
    const { written, failed, error } = await write(batch);
    opts.observer.usageFlushed(opts.table, written, performance.now() - started);
    if (failed.size > 0) {
      opts.buffer.restore(failed);
      throw error;
    }
    return written;
  };
}
