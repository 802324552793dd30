import { type Db, type Dialect, type Notifications, isRetryableConflict } from '@pc/db';
import type { Database } from '@pc/db';
import type { SelectQueryBuilder, Transaction } from 'kysely';
import type { Logger } from '../shared/runtime.js';

/** A function that takes `Trx` must run inside a transaction, and may register after-commit effects. */
export type Trx = Transaction<Database>;

type Effect = () => void | Promise<void>;

const effectsOf = new WeakMap<Trx, Effect[]>();

/**
 * Runs `effect` once the transaction `trx` has committed, before `store.transaction` returns; never
 * if it rolls back. Cache eviction, waking other instances and mail go here, so nothing outside
 * the database acts on a change that might still be undone, and a reader cannot re-cache the old
 * row between the eviction and the commit.
 */
export function afterCommit(trx: Trx, effect: Effect): void {
  const effects = effectsOf.get(trx);
  if (!effects) throw new Error('afterCommit: this transaction was not opened by store.transaction()');
  effects.push(effect);
}

export interface StoreDeps {
  db: Db;
  dialect: Dialect;
  /** PostgreSQL only: LISTEN/NOTIFY (cache invalidation across instances). */
  notifications?: Notifications | null;
}

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  readonly notifications: Notifications | null;
  /**
   * Runs `work` in one transaction. On PostgreSQL a transaction given up to break a deadlock is run
   * again (at most 3 times), so `work` must not act outside the database: it registers effects
   * with `afterCommit` instead, and they run in order once the commit succeeded.
   */
  transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T>;
  /**
   * A read that decides a write, made inside the transaction that writes: on PostgreSQL the rows
   * are locked (`FOR UPDATE`) until it ends. SQLite serialises every transaction on its one
   * connection, so there the read is already exclusive.
   */
  forUpdate<QB extends SelectQueryBuilder<any, any, any>>(qb: QB): QB;
}

export function createStore(deps: StoreDeps, logger: Logger): Store {
  const { db, dialect } = deps;
  async function transaction<T>(work: (trx: Trx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const effects: Effect[] = [];
      let result: T;
      try {
        result = await db.transaction().execute(async (trx) => {
          effectsOf.set(trx, effects);
          return work(trx);
        });
      } catch (err) {
        if (attempt < 3 && isRetryableConflict(err)) continue;
        throw err;
      }
      for (const effect of effects) {
        try {
          await effect();
        } catch (err) {
          // The change is committed; an effect that fails must not turn it into an error answer.
          logger.error('an after-commit effect failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }
      return result;
    }
  }
  return {
    db,
    dialect,
    notifications: deps.notifications ?? null,
    transaction,
    forUpdate: (qb) => (dialect === 'postgres' ? (qb.forUpdate() as typeof qb) : qb),
  };
}
