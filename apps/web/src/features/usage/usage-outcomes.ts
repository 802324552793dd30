import type { UsageBucket, UsageCounts, UsageGranularity, UsageOutcome } from '@pc/contract';
import { count } from '../../lib/format.js';

/** The outcomes in stacking order, bottom first; `color` names the CSS variable (light and dark) of each. */
export const OUTCOMES: readonly { key: UsageOutcome; label: string; color: string }[] = [
  { key: 'ok', label: 'OK', color: '--usage-ok' },
  { key: 'ipNotAllowed', label: 'IP not allowed', color: '--usage-ip' },
  { key: 'rateLimited', label: 'Rate limited', color: '--usage-rate' },
  { key: 'expired', label: 'Expired', color: '--usage-expired' },
];

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** "1 request", "1,213 requests". */
export const requests = (n: number) => `${count(n)} request${n === 1 ? '' : 's'}`;

export const totalOf = (c: UsageCounts) => c.ok + c.ipNotAllowed + c.rateLimited + c.expired;
export const refusedOf = (c: UsageCounts) => c.ipNotAllowed + c.rateLimited + c.expired;

export function sumCounts(rows: readonly UsageCounts[]): UsageCounts {
  const sum: UsageCounts = { ok: 0, ipNotAllowed: 0, rateLimited: 0, expired: 0 };
  for (const r of rows) for (const o of OUTCOMES) sum[o.key] += r[o.key];
  return sum;
}

/** The start of the hour holding `ms`, as ISO: a `from` that stays the same all hour, so it makes a stable query key. */
export const hourStart = (ms: number) => new Date(Math.floor(ms / HOUR_MS) * HOUR_MS).toISOString();

const hourTick = new Intl.DateTimeFormat('en', { hour: 'numeric' });
const hourFull = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit' });
// Day buckets are UTC days, so they are named as UTC dates wherever the reader is.
const dayTick = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const dayFull = new Intl.DateTimeFormat('en', { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });

/** A bucket's axis label ("3 PM", "Nov 3") and its full name ("Nov 3, 3:00 PM", "Tue, Nov 3, 2026"). */
export function bucketLabels(b: UsageBucket, granularity: UsageGranularity): { tick: string; full: string } {
  const at = new Date(b.start);
  return granularity === 'hour' ? { tick: hourTick.format(at), full: hourFull.format(at) } : { tick: dayTick.format(at), full: dayFull.format(at) };
}
