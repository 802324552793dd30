import { isRetryableConflict } from '@pc/db';
import { sql } from 'kysely';
import { type RateLimitDecision, type RateLimiter, decide, windowAt } from '../shared/rate-limiter.js';
import { type Clock, epochMs } from '../shared/runtime.js';
import type { Store } from '../store/store.js';

/** What this instance holds of one bucket's budget in the current window. */
interface Lease {
  windowStart: number;
  /** Requests this instance may still admit without asking the database. */
  tokens: number;
  /** Everything leased to all instances in this window, as of this instance's last lease. */
  leasedTotal: number;
  /** The window's budget is all leased out: refuse until it ends. */
  exhausted: boolean;
  pending: Promise<void> | null;
}

interface LeaseRequest {
  bucket: string;
  windowStart: number;
  chunk: number;
  done: (leasedTotal: number) => void;
  fail: (err: unknown) => void;
}

/** Buckets per upsert statement when many need a lease at once (a new window, a new key). */
const MAX_BATCH = 500;

/**
 * One budget per bucket across every instance on a PostgreSQL store, without a database write per
 * request. Each instance leases its share in chunks (a fiftieth of the limit) from an unlogged
 * counter row, by one atomic upsert, and admits that many locally. Instances never admit more than
 * the limit together; what a lease leaves unused when traffic stops is at most one chunk per
 * instance. Lease requests made in the same turn of the event loop go out as one statement.
 */
export class SharedWindowLimiter implements RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private queue: LeaseRequest[] = [];
  private flushScheduled = false;
  private lastSweep = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  consume(bucket: string, limit: number): RateLimitDecision | Promise<RateLimitDecision> {
    const now = epochMs(this.clock);
    const { start, resetSeconds } = windowAt(now, this.windowMs);
    this.sweep(start);
    let lease = this.leases.get(bucket);
    if (!lease || lease.windowStart !== start) {
      lease = { windowStart: start, tokens: 0, leasedTotal: 0, exhausted: false, pending: null };
      this.leases.set(bucket, lease);
    }
    if (lease.tokens > 0) {
      lease.tokens--;
      return decide(true, limit, Math.max(0, limit - lease.leasedTotal) + lease.tokens, resetSeconds);
    }
    if (lease.exhausted) return decide(false, limit, 0, resetSeconds);
    return this.lease(bucket, lease, limit).then(() => this.consume(bucket, limit));
  }

  private lease(bucket: string, lease: Lease, limit: number): Promise<void> {
    lease.pending ??= new Promise<void>((resolve, reject) => {
      const chunk = Math.max(1, Math.floor(limit / 50));
      this.queue.push({
        bucket,
        windowStart: lease.windowStart,
        chunk,
        done: (leasedTotal) => {
          const granted = Math.min(chunk, Math.max(0, limit - (leasedTotal - chunk)));
          lease.tokens += granted;
          lease.leasedTotal = leasedTotal;
          if (leasedTotal >= limit) lease.exhausted = true;
          lease.pending = null;
          resolve();
        },
        fail: (err) => {
          lease.pending = null;
          reject(err);
        },
      });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
    return lease.pending;
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const all = this.queue;
    this.queue = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) {
      // One order for every instance, so two upserts of the same rows cannot deadlock.
      const batch = all.slice(i, i + MAX_BATCH).sort((a, b) => (a.bucket < b.bucket ? -1 : 1));
      try {
        const totals = await this.upsert(batch).catch((err: unknown) => (isRetryableConflict(err) ? this.upsert(batch) : Promise.reject(err)));
        for (const r of batch) r.done(totals.get(`${r.bucket}\u0000${r.windowStart}`) ?? Number.MAX_SAFE_INTEGER);
      } catch (err) {
        for (const r of batch) r.fail(err);
      }
    }
  }

  private async upsert(batch: LeaseRequest[]): Promise<Map<string, number>> {
    const rows = await this.store.db
      .insertInto('rate_limit_windows')
      .values(batch.map((r) => ({ bucket: r.bucket, window_start_ms: r.windowStart, used: r.chunk })))
      .onConflict((oc) => oc.columns(['bucket', 'window_start_ms']).doUpdateSet({ used: sql`rate_limit_windows.used + excluded.used` }))
      .returning(['bucket', 'window_start_ms', 'used'])
      .execute();
    return new Map(rows.map((r) => [`${r.bucket}\u0000${r.window_start_ms}`, Number(r.used)]));
  }

  /** Deletes counters of windows that ended; run by one instance at a time (a scheduled job). */
  async deleteEndedWindows(): Promise<void> {
    const { start } = windowAt(this.clock.now().getTime(), this.windowMs);
    await this.store.db.deleteFrom('rate_limit_windows').where('window_start_ms', '<', start - this.windowMs).execute();
  }

  get size(): number {
    return this.leases.size;
  }

  private sweep(currentStart: number): void {
    if (currentStart === this.lastSweep) return;
    this.lastSweep = currentStart;
    for (const [k, l] of this.leases) if (l.windowStart !== currentStart && l.pending === null) this.leases.delete(k);
  }
}
