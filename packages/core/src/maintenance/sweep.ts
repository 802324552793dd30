import { sql } from 'kysely';
import type { SharedWindowLimiter } from '../cluster/shared-rate-limiter.js';
import { type Clock, DAY_MS, iso } from '../shared/runtime.js';
import type { Store } from '../store/store.js';

/** Key changes stay in the log this long: an instance that could not poll for longer clears its cache. */
const INVALIDATION_LOG_MS = 3600_000;

/** Webhook events and their deliveries are kept this long (the last retry of an event is about 28 h after it). */
export const WEBHOOK_LOG_RETENTION_DAYS = 30;
/** Rows per delete statement of a trimmed log. */
const BATCH = 5000;

/**
 * Deletes what can no longer be used (expired links, sign-ups, invitations and sessions, old key changes, ended
 * rate-limit windows, instances long gone), audit entries past their retention and webhook
 * events (with their deliveries) older than 30 days, and hourly usage past its retention.
 */
export function createSweep(deps: { store: Store; clock: Clock; sharedLimiters: SharedWindowLimiter[]; auditRetentionDays: number; trimUsage: () => Promise<void> }) {
  const { store, clock } = deps;

  /**
   * Deletes the rows of `table` created before `before`, `BATCH` at a time: a long log is trimmed in
   * steps that each stay far below the statement timeout. Webhook events take their deliveries
   * with them (foreign key, on delete cascade).
   */
  async function trim(table: 'audit_logs' | 'webhook_events', key: 'seq' | 'id', before: string): Promise<void> {
    for (;;) {
      const res = await store.db
        .deleteFrom(table)
        .where(key, 'in', (eb) => eb.selectFrom(table).select(key).where('created_at', '<', before).limit(BATCH))
        .executeTakeFirst();
      if (Number(res.numDeletedRows) < BATCH) return;
    }
  }

  return async function sweep(): Promise<void> {
    const now = clock.now();
    const nowIso = iso(now);
    await trim('audit_logs', 'seq', iso(new Date(now.getTime() - deps.auditRetentionDays * DAY_MS)));
    await trim('webhook_events', 'id', iso(new Date(now.getTime() - WEBHOOK_LOG_RETENTION_DAYS * DAY_MS)));
    await deps.trimUsage();
    await store.db.deleteFrom('magic_links').where('expires_at', '<=', nowIso).execute();
    await store.db.deleteFrom('pending_registrations').where('expires_at', '<=', nowIso).execute();
    await store.db.deleteFrom('invitations').where('expires_at', '<=', nowIso).execute();
    await store.db.deleteFrom('sessions').where('expires_at', '<=', nowIso).execute();
    await store.db.deleteFrom('key_invalidations').where('created_at', '<', iso(new Date(now.getTime() - INVALIDATION_LOG_MS))).execute();
    for (const limiter of deps.sharedLimiters) await limiter.deleteEndedWindows();
    if (store.dialect === 'postgres') {
      await store.db
        .deleteFrom('cluster_instances')
        .where('seen_at_ms', '<', sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint - ${INVALIDATION_LOG_MS}`)
        .execute();
    }
  };
}
