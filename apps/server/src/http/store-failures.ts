import { type Logger } from '@pc/core';
import { type StoreFailure, isPostgresUrl, redactUrl, sqlitePathFromUrl, storeFailure } from '@pc/db';

const SAYS: Record<StoreFailure, string> = {
  disk_full: 'the disk is full: the database cannot write',
  damaged: 'the database file is damaged: restore it from a backup',
  io_error: 'the disk reported an I/O error',
  unavailable: 'the database is not answering',
};

/**
 * Logs why the store failed, in words an operator acts on ("the disk is full"), at most once per
 * kind every 10 s: an outage answers every request with 503, and one line says enough.
 */
export function storeFailureLog(logger: Logger, databaseUrl: string) {
  const where = isPostgresUrl(databaseUrl) ? redactUrl(databaseUrl) : sqlitePathFromUrl(databaseUrl);
  const last = new Map<StoreFailure, number>();
  return (err: unknown): void => {
    const kind = storeFailure(err);
    if (!kind) return;
    const now = Date.now();
    if (now - (last.get(kind) ?? 0) < 10_000) return;
    last.set(kind, now);
    logger.error(`${SAYS[kind]}; requests answer 503 until it is fixed`, { database: where, error: err instanceof Error ? err.message : String(err) });
  };
}
