import type { Db } from '@pc/db';
import { sql } from 'kysely';

export interface LastUse {
  id: string;
  /** ISO timestamp. */
  at: string;
  /** Keys only: the client IP of that use. */
  ip?: string;
}

/**
 * Rows per statement. One statement blocks SQLite's single connection (and, with better-sqlite3,
 * the event loop) while it runs: on our 2-core machine 250 rows take 1.3 to 1.8 ms, where one
 * transaction of 2,200 single-row updates took 50 to 130 ms. Each chunk is its own small commit,
 * and requests run between chunks.
 */
export const LAST_USE_CHUNK = 250;

const yieldToRequests = () => new Promise<void>((r) => setImmediate(r));

/**
 * Writes coalesced last-use values, one multi-row `UPDATE … FROM (VALUES …)` per chunk (the same SQL
 * runs on SQLite and PostgreSQL; both name the columns of a VALUES list column1, column2, …). A value
 * never moves backwards: with several instances, one that flushes late must not overwrite a newer
 * use recorded by another. Returns the rows not written when a chunk fails, for the next flush.
 */
export async function writeLastUse(db: Db, table: 'api_keys' | 'sessions', rows: LastUse[]): Promise<{ written: number; failed: LastUse[]; error?: unknown }> {
  const withIp = table === 'api_keys';
  const lastUsedAt = sql.ref(`${table}.last_used_at`);
  for (let i = 0; i < rows.length; i += LAST_USE_CHUNK) {
    const chunk = rows.slice(i, i + LAST_USE_CHUNK);
    const values = sql.join(chunk.map((r) => (withIp ? sql`(${r.id}, ${r.at}, ${r.ip ?? null})` : sql`(${r.id}, ${r.at})`)));
    const set = withIp ? sql`last_used_at = v.column2, last_used_ip = v.column3` : sql`last_used_at = v.column2`;
    try {
      await sql`update ${sql.table(table)} set ${set} from (values ${values}) as v
        where ${sql.ref(`${table}.id`)} = v.column1 and (${lastUsedAt} is null or ${lastUsedAt} < v.column2)`.execute(db);
    } catch (error) {
      return { written: i, failed: rows.slice(i), error };
    }
    if (i + LAST_USE_CHUNK < rows.length) await yieldToRequests();
  }
  return { written: rows.length, failed: [] };
}
