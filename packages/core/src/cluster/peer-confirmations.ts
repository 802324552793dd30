import type { Db } from '@pc/db';
import { sql } from 'kysely';
import type { Logger } from '../shared/runtime.js';

export const CONFIRMATIONS = 'pc_key_acks';
/** A cached decision is trusted for this long after a poll began that saw every change before it. */
export const FRESH_MS = 1000;
/** An instance whose last poll is older than this is not waited for (it cannot be serving from its cache). */
const LIVE_MS = 3000;
/** Past FRESH_MS, an instance that did not confirm can no longer serve what it had cached. */
export const WAIT_MS = FRESH_MS + 50;

/** Now, by the database's clock, in epoch ms: instances compare heartbeats on one clock. */
export const dbNowMs = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Which instances confirmed which key change, on `pc_key_acks` (`<seq> <instance>`), and the
 * wait for every live one after a change commits.
 */
export function createPeerConfirmations(deps: { db: Db; instanceId: string; logger: Logger }) {
  const { db, instanceId, logger } = deps;
  /** Confirmations heard, by seq, so one that beats the wait is not lost. */
  const acks = new Map<number, Set<string>>();
  const waiters = new Map<number, () => void>();

  /** Tells the others that this instance evicted change `seq`. */
  function confirm(seq: number): void {
    sql`select pg_notify(${CONFIRMATIONS}, ${`${seq} ${instanceId}`})`.execute(db).catch((err: unknown) => {
      logger.warn('could not acknowledge a key change', { seq, error: String(err) });
    });
  }

  /** A confirmation heard by the listener. */
  function heard(payload: string): void {
    const [seqText, from] = payload.split(' ');
    const seq = Number(seqText);
    if (!from) return;
    let confirmed = acks.get(seq);
    if (!confirmed) {
      confirmed = new Set();
      acks.set(seq, confirmed);
      if (acks.size > 1000) acks.delete(acks.keys().next().value!);
    }
    confirmed.add(from);
    waiters.get(seq)?.();
  }

  /** Resolves once every live instance confirmed `seq`, or after WAIT_MS, when none can still serve it. */
  async function waitForPeers(seq: number): Promise<void> {
    let wake: () => void = () => {};
    const woken = () => wake();
    waiters.set(seq, woken);
    try {
      const peers = await db
        .selectFrom('cluster_instances')
        .select('id')
        .where('id', '!=', instanceId)
        .where('seen_at_ms', '>', sql<number>`${dbNowMs} - ${LIVE_MS}`)
        .execute();
      const missing = () => peers.filter((p) => !acks.get(seq)?.has(p.id)).map((p) => p.id);
      const deadline = Date.now() + WAIT_MS;
      while (missing().length > 0) {
        const left = deadline - Date.now();
        if (left <= 0) {
          logger.warn('instances did not confirm a key change within 1 s; they can no longer serve it from their caches', { seq, instances: missing().join(',') });
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } catch (err) {
      // The registry could not be read: wait out the freshness bound instead of trusting peers.
      logger.warn('could not read the instance registry; waiting 1 s for key caches to expire', { error: String(err) });
      await new Promise((r) => setTimeout(r, WAIT_MS));
    } finally {
      waiters.delete(seq);
      acks.delete(seq);
    }
  }

  return { confirm, heard, waitForPeers };
}
