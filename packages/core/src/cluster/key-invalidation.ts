import type { Notifications } from '@pc/db';
import { sql } from 'kysely';
import type { KeyCache } from '../api-keys/key-cache.js';
import type { Clock, Logger } from '../shared/runtime.js';
import { iso } from '../shared/runtime.js';
import { type Store, type Trx, afterCommit } from '../store/store.js';
import { CONFIRMATIONS, FRESH_MS, WAIT_MS, createPeerConfirmations, dbNowMs } from './peer-confirmations.js';

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

const CHANGES = 'pc_key_changes';
const POLL_MS = 250;
/** pg_notify takes at most 8000 bytes; a bigger change tells the others to drop their whole cache. */
const MAX_HASHES_IN_PAYLOAD = 100;

export interface KeyInvalidationDeps {
  store: Store;
  /** PostgreSQL: the LISTEN connection. Null on SQLite, where one server process serves requests. */
  notifications: Notifications | null;
  cache: KeyCache;
  instanceId: string;
  clock: Clock;
  logger: Logger;
  /**
   * SQLite: this process is not the server but works beside it on the same file (the admin
   * command): after a change it waits until the server's cache can no longer hold the key.
   */
  besideServer?: boolean;
}

/**
 * Each change takes the next `key_seq` under a row lock (so sequence order is commit order) and is
 * logged in `key_invalidations`; every process that caches keys polls that log every 250 ms and
 * serves a cached decision only while its last complete poll began less than 1 s ago. After the
 * commit the changing process evicts its own entries.
 *
 * PostgreSQL (several instances): the change is also announced with NOTIFY, which PostgreSQL
 * delivers only if the transaction commits, and the mutating instance waits until every live
 * instance has said (on `pc_key_acks`) that it evicted too, so the change holds everywhere on the
 * very next request. A peer that does not answer within 1 s can no longer serve what it had
 * cached (its polls failed or it is gone), so the request answers then at the latest. A listener
 * that reconnects clears its cache.
 *
 * SQLite (one server): the server's own changes need nothing more; the admin command, a second
 * process on the file, waits out the 1 s bound instead of hearing back.
 */
export function createKeyInvalidation(deps: KeyInvalidationDeps): KeyInvalidation {
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

  /** The newest seq; on PostgreSQL in the same round trip as this instance's heartbeat. */
  async function latestSeq(): Promise<number> {
    if (!notifications) return (await db.selectFrom('cluster_state').select('key_seq').where('id', '=', 1).executeTakeFirstOrThrow()).key_seq;
    const heartbeat = await db
      .insertInto('cluster_instances')
      .values({ id: instanceId, started_at: startedAt, seen_at_ms: dbNowMs })
      .onConflict((oc) => oc.column('id').doUpdateSet({ seen_at_ms: dbNowMs }))
      .returning((eb) => eb.selectFrom('cluster_state').select('key_seq').where('id', '=', 1).as('key_seq'))
      .executeTakeFirstOrThrow();
    return Number(heartbeat.key_seq);
  }

  async function pollOnce(): Promise<void> {
    const began = performance.now();
    const latest = await latestSeq();
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
        if (notifications) ack(r.seq);
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
      if (notifications) {
        const hashes = keyHashes.length <= MAX_HASHES_IN_PAYLOAD ? keyHashes.join(',') : '*';
        await sql`select pg_notify(${CHANGES}, ${`${instanceId} ${seq} ${hashes}`})`.execute(trx);
      }
      afterCommit(trx, async () => {
        evict(keyHashes);
        if (notifications) await confirmations.waitForPeers(seq);
        else if (deps.besideServer) await new Promise((r) => setTimeout(r, WAIT_MS));
      });
    },
    isFresh: () => performance.now() < freshUntil,
    async start() {
      if (notifications) {
        notifications.listen(CHANGES, onChange);
        notifications.listen(CONFIRMATIONS, confirmations.heard);
        // Whatever happened while the listener was away was missed; the poll catches up from here.
        notifications.onReconnect(() => cache.clear());
        await notifications.start();
      }
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
      if (notifications) await db.deleteFrom('cluster_instances').where('id', '=', instanceId).execute().catch(() => {});
    },
    stats: () => ({ appliedSeq, fresh: performance.now() < freshUntil, listening: notifications?.connected ?? false }),
  };
}
