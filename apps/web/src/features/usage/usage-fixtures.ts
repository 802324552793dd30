import type { ApiKeyUsage, UsageBucket, WorkspaceUsage } from '@pc/contract';

/** Test data in the contract's shapes. */
const HOUR = 3_600_000;
const T0 = '2026-03-01T12:00:00.000Z';

export const bucket = (start: string, over: Partial<UsageBucket> = {}): UsageBucket => ({ start, ok: 0, ipNotAllowed: 0, rateLimited: 0, expired: 0, ...over });

/** `hours` hourly buckets ending with the current hour, all zero but those in `counts` (by index). */
export function hourlyUsage(hours: number, counts: Record<number, Partial<UsageBucket>> = {}, now = Date.now()): ApiKeyUsage {
  const first = Math.floor(now / HOUR) * HOUR - (hours - 1) * HOUR;
  const data = Array.from({ length: hours }, (_, i) => bucket(new Date(first + i * HOUR).toISOString(), counts[i]));
  return { granularity: 'hour', from: data[0]!.start, to: new Date(now).toISOString(), data };
}

export function dailyUsage(days: number, counts: Record<number, Partial<UsageBucket>> = {}, now = Date.now()): ApiKeyUsage {
  const DAY = 24 * HOUR;
  const first = Math.floor(now / DAY) * DAY - (days - 1) * DAY;
  const data = Array.from({ length: days }, (_, i) => bucket(new Date(first + i * DAY).toISOString(), counts[i]));
  return { granularity: 'day', from: data[0]!.start, to: new Date(now).toISOString(), data };
}

export const workspaceUsageFixture = (data: WorkspaceUsage['data']): WorkspaceUsage => ({ from: T0, to: T0, data });

export const keyUsageRow = (keyId: string, over: Partial<WorkspaceUsage['data'][number]> = {}): WorkspaceUsage['data'][number] => {
  const row = { keyId, name: keyId, prefix: 'pc_live_Ab3d', isActive: true, ok: 0, ipNotAllowed: 0, rateLimited: 0, expired: 0, ...over };
  return { total: row.ok + row.ipNotAllowed + row.rateLimited + row.expired, ...row };
};
