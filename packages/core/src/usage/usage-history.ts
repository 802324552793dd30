import {
  type ApiKeyUsage,
  MAX_USAGE_BUCKETS,
  USAGE_OUTCOMES,
  type UsageBucket,
  type UsageCounts,
  type UsageGranularity,
  type WorkspaceUsage,
} from '@pc/contract';
import { sql } from 'kysely';
import type { ApiKeysRepository } from '../api-keys/api-keys.repository.js';
import { AppError } from '../errors.js';
import type { CoreObserver } from '../shared/observer.js';
import { type Clock, DAY_MS, HOUR_MS, epochMs, iso } from '../shared/runtime.js';
import type { Store } from '../store/store.js';
import type { HourCounts, UsageCounter } from './usage-counter.js';

const BUCKET_MS: Record<UsageGranularity, number> = { hour: HOUR_MS, day: DAY_MS };
/** The default range: 24 hourly buckets, or 30 daily ones, ending with the current one. */
const DEFAULT_BUCKETS: Record<UsageGranularity, number> = { hour: 24, day: 30 };
const WORKSPACE_DEFAULT_MS = 30 * DAY_MS;
/**
 * Rows per INSERT are powers of two up to this, so the table sees at most seven (SQLite) or nine
 * statement texts. On SQLite a statement holds the event loop while it runs: 64 rows took about
 * 1 ms here, where 256 rows made the paced scenario's event-loop p99 worse by a few ms.
 */
const MAX_ROWS = { sqlite: 64, postgres: 256 } as const;

const floorTo = (ms: number, step: number) => ms - (ms % step);
const zero = (): UsageCounts => ({ ok: 0, ipNotAllowed: 0, rateLimited: 0, expired: 0 });
const add = (into: UsageCounts, c: readonly number[]) => {
  USAGE_OUTCOMES.forEach((o, i) => (into[o] += c[i] ?? 0));
};

function refuseRange(message: string): never {
  throw new AppError('invalid_request', message, { details: [{ path: 'from', message }] });
}

/**
 * Requests per key and hour by outcome: the flush that writes what the counter holds (adding to a
 * row another instance or an earlier flush wrote), the per-key and per-workspace reads (which add
 * what is still in memory, so they are exact within the flush interval), and the trim.
 */
export function createUsageHistory(deps: { store: Store; clock: Clock; counter: UsageCounter; repo: ApiKeysRepository; observer: CoreObserver }) {
  const { store, clock, counter, repo } = deps;
  const { db } = store;

  async function insert(rows: HourCounts[]): Promise<void> {
    await db
      .insertInto('api_key_usage')
      .values(
        rows.map((r) => ({
          key_id: r.keyId,
          hour_start: iso(new Date(r.hour)),
          workspace_id: r.workspaceId,
          ok: r.counts[0],
          ip_not_allowed: r.counts[1],
          rate_limited: r.counts[2],
          expired: r.counts[3],
        })),
      )
      .onConflict((oc) =>
        oc.columns(['key_id', 'hour_start']).doUpdateSet({
          ok: sql`api_key_usage.ok + excluded.ok`,
          ip_not_allowed: sql`api_key_usage.ip_not_allowed + excluded.ip_not_allowed`,
          rate_limited: sql`api_key_usage.rate_limited + excluded.rate_limited`,
          expired: sql`api_key_usage.expired + excluded.expired`,
        }),
      )
      .execute();
  }

  /**
   * After a failed write, the rows whose workspace still exists: counts of a deleted workspace's
   * keys would fail every later flush on the foreign key. When the store cannot say, all of them.
   */
  async function ofLiveWorkspaces(rows: HourCounts[]): Promise<HourCounts[]> {
    if (rows.length === 0) return rows;
    try {
      const ids = [...new Set(rows.map((r) => r.workspaceId))];
      const live = new Set((await db.selectFrom('workspaces').select('id').where('id', 'in', ids).execute()).map((r) => r.id));
      return rows.filter((r) => live.has(r.workspaceId));
    } catch {
      return rows;
    }
  }

  /** Writes what was counted since the last flush; on a failure what is left goes back to the counter, and the error is thrown. */
  async function flush(): Promise<number> {
    const taken = counter.take();
    if (taken.length === 0) return 0;
    // One row per key and hour (a failed flush's rows may meet newer ones): PostgreSQL refuses an
    // INSERT … ON CONFLICT that would touch one row twice.
    const merged = new Map<string, HourCounts>();
    for (const e of taken) {
      const k = `${e.keyId}|${e.hour}`;
      const m = merged.get(k);
      if (m) for (let i = 0; i < 4; i++) m.counts[i]! += e.counts[i]!;
      else merged.set(k, { ...e, counts: [...e.counts] });
    }
    const rows = [...merged.values()];
    const started = performance.now();
    let written = 0;
    try {
      while (written < rows.length) {
        // Powers of two (256, 128, … 1): few distinct statements whatever the count.
        const n = Math.min(MAX_ROWS[store.dialect], 2 ** Math.floor(Math.log2(rows.length - written)));
        await insert(rows.slice(written, written + n));
        written += n;
        if (written < rows.length) await new Promise<void>((r) => setImmediate(r));
      }
    } catch (err) {
      counter.restore(await ofLiveWorkspaces(rows.slice(written)));
      throw err;
    } finally {
      deps.observer.usageFlushed('api_key_usage', written, performance.now() - started);
    }
    return written;
  }

  /** The range's bucket starts, from the one holding `from` to the one holding `to`. */
  function buckets(granularity: UsageGranularity, from: string | undefined, to: string | undefined): { starts: number[]; toMs: number } {
    const step = BUCKET_MS[granularity];
    const toMs = to === undefined ? epochMs(clock) : Date.parse(to);
    const fromMs = from === undefined ? floorTo(toMs, step) - (DEFAULT_BUCKETS[granularity] - 1) * step : Date.parse(from);
    if (fromMs > toMs) refuseRange('from must not be after to.');
    const first = floorTo(fromMs, step);
    const count = (floorTo(toMs, step) - first) / step + 1;
    if (count > MAX_USAGE_BUCKETS[granularity]) refuseRange(`At most ${MAX_USAGE_BUCKETS[granularity]} ${granularity}s in one answer.`);
    return { starts: Array.from({ length: count }, (_, i) => first + i * step), toMs };
  }

  async function keyUsage(workspaceId: string, keyId: string, q: { granularity: UsageGranularity; from?: string | undefined; to?: string | undefined }): Promise<ApiKeyUsage> {
    if (!(await repo.find(workspaceId, keyId))) throw new AppError('not_found', 'API key not found.');
    const { starts, toMs } = buckets(q.granularity, q.from, q.to);
    const step = BUCKET_MS[q.granularity];
    const first = starts[0]!;
    const end = starts[starts.length - 1]! + step;
    const byStart = new Map<number, UsageBucket>(starts.map((s) => [s, { start: iso(new Date(s)), ...zero() }]));
    const tally = (hourMs: number, counts: readonly number[]) => {
      const b = byStart.get(floorTo(hourMs, step));
      if (b) add(b, counts);
    };
    const rows = await db
      .selectFrom('api_key_usage')
      .select(['hour_start', 'ok', 'ip_not_allowed', 'rate_limited', 'expired'])
      .where('key_id', '=', keyId)
      .where('hour_start', '>=', iso(new Date(first)))
      .where('hour_start', '<', iso(new Date(end)))
      .execute();
    for (const r of rows) tally(Date.parse(r.hour_start), [r.ok, r.ip_not_allowed, r.rate_limited, r.expired]);
    for (const p of counter.pending({ keyId })) if (p.hour >= first && p.hour < end) tally(p.hour, p.counts);
    // `from` is where the first bucket starts: the range the answer covers, given or defaulted alike.
    return { granularity: q.granularity, from: iso(new Date(first)), to: iso(new Date(toMs)), data: [...byStart.values()] };
  }

  /** Each key used in the range, with its totals, most requests first. */
  async function workspaceUsage(workspaceId: string, q: { from?: string | undefined; to?: string | undefined }): Promise<WorkspaceUsage> {
    const toMs = q.to === undefined ? epochMs(clock) : Date.parse(q.to);
    const fromMs = q.from === undefined ? toMs - WORKSPACE_DEFAULT_MS : Date.parse(q.from);
    if (fromMs > toMs) refuseRange('from must not be after to.');
    const first = floorTo(fromMs, HOUR_MS);
    const end = floorTo(toMs, HOUR_MS) + HOUR_MS;
    const rows = await db
      .selectFrom('api_key_usage')
      .select((eb) => [
        'key_id',
        eb.fn.sum<number>('ok').as('ok'),
        eb.fn.sum<number>('ip_not_allowed').as('ip_not_allowed'),
        eb.fn.sum<number>('rate_limited').as('rate_limited'),
        eb.fn.sum<number>('expired').as('expired'),
      ])
      .where('workspace_id', '=', workspaceId)
      .where('hour_start', '>=', iso(new Date(first)))
      .where('hour_start', '<', iso(new Date(end)))
      .groupBy('key_id')
      .execute();
    const totals = new Map<string, UsageCounts>();
    const tally = (keyId: string, counts: readonly number[]) => {
      let t = totals.get(keyId);
      if (!t) totals.set(keyId, (t = zero()));
      add(t, counts.map(Number));
    };
    for (const r of rows) tally(r.key_id, [r.ok, r.ip_not_allowed, r.rate_limited, r.expired]);
    for (const p of counter.pending({ workspaceId })) if (p.hour >= first && p.hour < end) tally(p.keyId, p.counts);
    const keys = await repo.describe(workspaceId, [...totals.keys()], iso(new Date(epochMs(clock))));
    const data = keys
      .map((k) => {
        const t = totals.get(k.id)!;
        return { keyId: k.id, name: k.name, prefix: k.prefix, isActive: k.isActive, total: t.ok + t.ipNotAllowed + t.rateLimited + t.expired, ...t };
      })
      .sort((a, b) => b.total - a.total || a.name.localeCompare(b.name));
    return { from: iso(new Date(fromMs)), to: iso(new Date(toMs)), data };
  }

  /** Deletes hours older than the retention (the sweep). */
  async function trim(retentionDays: number): Promise<void> {
    const before = iso(new Date(floorTo(epochMs(clock), HOUR_MS) - retentionDays * DAY_MS));
    await db.deleteFrom('api_key_usage').where('hour_start', '<', before).execute();
  }

  return { flush, keyUsage, workspaceUsage, trim };
}

export type UsageHistory = ReturnType<typeof createUsageHistory>;
