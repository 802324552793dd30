import { sql } from 'kysely';
import type { SharedWindowLimiter } from '../cluster/shared-rate-limiter.js';
import { type Clock, iso } from '../shared/runtime.js';
import type { Store } from '../store/store.js';

/** Key changes stay in the log this long: an instance that could not poll for longer clears its cache. */
const INVALIDATION_LOG_MS = 3600_000;

/** Deletes what can no longer be used: expired links, sign-ups and sessions, old key changes, ended rate-limit windows. */
export function createSweep(deps: { store: Store; clock: Clock; sharedLimiters: SharedWindowLimiter[] }) {
  const { store, clock } = deps;
  return async function sweep(): Promise<void> {
    const now = clock.now();
    const nowIso = iso(now);
    await store.db.deleteFrom('magic_links').where('expires_at', '<=', nowIso).execute();
    await store.db.deleteFrom('pending_registrations').where('expires_at', '<=', nowIso).execute();
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
