import type { Notifications } from '@pc/db';
import { sql } from 'kysely';
import type { KeyCache } from '../api-keys/key-cache.js';
import type { Clock, Logger } from '../shared/runtime.js';
import { iso } from '../shared/runtime.js';
import { type Store, type Trx, afterCommit } from '../store/store.js';
import { CONFIRMATIONS, FRESH_MS, createPeerConfirmations, dbNowMs } from './peer-confirmations.js';

export { FRESH_MS };

/**
 * How a change to API keys reaches the key caches: this instance's at once, and on PostgreSQL every
 * other instance's before the mutating request answers.
 */
export interface KeyInvalidation {
  /**
   * Records that the keys with these SHA-256 hashes changed. Call it last in the transaction that
   * changes them (on PostgreSQL it takes the lock that orders key changes); once the transaction
   * commits, their cache entries are gone everywhere.
   */
  keysChanged(trx: Trx, keyHashes: string[]): Promise<void>;
  /** Whether a cached decision may be served now; when false the key is read from the database. */
  isFresh(): boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  stats(): { appliedSeq: number; fresh: boolean; listening: boolean };
}

/** One process (SQLite): evicting this instance's cache after the commit is all there is to do. */
export function createLocalKeyInvalidation(cache: KeyCache): KeyInvalidation {
  return {
    async keysChanged(trx, keyHashes) {
      afterCommit(trx, () => {
        for (const h of keyHashes) cache.invalidate(h);
      });
    },
    isFresh: () => true,
    async start() {},
    async stop() {},
    stats: () => ({ appliedSeq: 0, fresh: true, listening: false }),
  };
}

const CHANGES = 'pc_key_changes';
const POLL_MS = 250;
/** pg_notify takes at most 8000 bytes; a bigger change tells the others to drop their whole cache. */
const MAX_HASHES_IN_PAYLOAD = 100;

export interface ClusterInvalidationDeps {
  store: Store;
  notifications: Notifications;
  cache: KeyCache;
  instanceId: string;
  clock: Clock;
  logger: Logger;
}

/**
 * Several instances on PostgreSQL. Each change takes the next `key_seq` under a row lock (so
 * sequence order is commit order), is logged in `key_invalidations`, and is announced with NOTIFY,
 * which PostgreSQL delivers only if the transaction commits. After the commit the mutating
 * instance evicts its own entries and waits until every live instance has said (on `pc_key_acks`)
 * that it evicted too, so the change holds everywhere on the very next request.
 *
 * The backstop, for a lost notification or a silent peer: every instance polls the log every
 * 250 ms, and serves a cached decision only while its last complete poll began less than 1 s ago.
 * A peer that does not answer within 1 s can therefore no longer serve what it had cached, and
 * the mutating request answers then at the latest. A listener that reconnects clears its cache.
 */
export function createClusterKeyInvalidation(deps: ClusterInvalidationDeps): KeyInvalidation {
  const { store, notifications, cache, instanceId, clock, logger } = deps;
  const db = store.db;
  let appliedSeq = -1;
  let freshUntil = 0;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  let stopped = false;
  const startedAt = iso(clock.now());
  const confirmations = createPeerConfirmations({ db, instanceId, logger });
  const ack = confirmations.confirm;

  function evict(hashes: string[] | null): void {
    if (hashes === null) cache.clear();
    else for (const h of hashes) cache.invalidate(h);
  }

  function onChange(payload: string): void {
    const [origin, seqText, hashes] = payload.split(' ');
    if (origin === instanceId) return;
    evict(hashes === undefined || hashes === '*' ? null : hashes.split(','));
    ack(Number(seqText));
  }

  async function pollOnce(): Promise<void> {
    const began = performance.now();
    // The heartbeat and the newest seq in one round trip.
    const heartbeat = await db
      .insertInto('cluster_instances')
      .values({ id: instanceId, started_at: startedAt, seen_at_ms: dbNowMs })
      .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at_ms: dbNowMs }))
      .returning((eb) => eb.selectFrom('cluster_state').select('key_seq').where('id', '=', 1).as('key_seq'))
      .executeTakeFirstOrThrow();
    const latest = Number(heartbeat.key_seq);
    while (appliedSeq < latest) {
      const rows = await db
        .selectFrom('key_invalidations')
        .select(['seq', 'key_hashes'])
        .where('seq', '>', appliedSeq)
        .where('seq', '<=', latest)
        .orderBy('seq')
        .limit(500)
        .execute();
      // Sequence numbers have no holes, so one is missing only because the sweep deleted it while
      // this instance could not poll: whatever it has cached may be stale.
      if (rows[0]?.seq !== appliedSeq + 1) {
        cache.clear();
        appliedSeq = latest;
        break;
      }
      for (const r of rows) {
        evict(JSON.parse(r.key_hashes) as string[]);
        ack(r.seq);
        appliedSeq = r.seq;
      }
    }
    freshUntil = began + FRESH_MS;
  }

  function poll(): Promise<void> {
    polling = polling.then(() =>
      pollOnce().catch((err: unknown) => {
        logger.warn('key-change poll failed; cached keys are not served until it succeeds', { error: String(err) });
      }),
    );
    return polling;
  }

  return {
    async keysChanged(trx, keyHashes) {
      const { key_seq: seq } = await trx
        .updateTable('cluster_state')
        .set({ key_seq: sql`key_seq + 1` })
        .where('id', '=', 1)
        .returning('key_seq')
        .executeTakeFirstOrThrow();
      await trx.insertInto('key_invalidations').values({ seq, key_hashes: JSON.stringify(keyHashes), created_at: iso(clock.now()) }).execute();
      const hashes = keyHashes.length <= MAX_HASHES_IN_PAYLOAD ? keyHashes.join(',') : '*';
      await sql`select pg_notify(${CHANGES}, ${`${instanceId} ${seq} ${hashes}`})`.execute(trx);
      afterCommit(trx, async () => {
        evict(keyHashes);
        await confirmations.waitForPeers(seq);
      });
    },
    isFresh: () => performance.now() < freshUntil,
    async start() {
      notifications.listen(CHANGES, onChange);
      notifications.listen(CONFIRMATIONS, confirmations.heard);
      // Whatever happened while the listener was away was missed; the poll catches up from here.
      notifications.onReconnect(() => cache.clear());
      await notifications.start();
      const state = await db.selectFrom('cluster_state').select('key_seq').where('id', '=', 1).executeTakeFirstOrThrow();
      appliedSeq = state.key_seq;
      await poll();
      pollTimer = setInterval(() => {
        if (!stopped) void poll();
      }, POLL_MS);
      pollTimer.unref();
    },
    async stop() {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      await polling;
      // Others stop waiting for this instance at once instead of after LIVE_MS.
      await db.deleteFrom('cluster_instances').where('id', '=', instanceId).execute().catch(() => {});
    },
    stats: () => ({ appliedSeq, fresh: performance.now() < freshUntil, listening: notifications.connected }),
  };
}
