import { z } from 'zod';
import { isoDateTimeInput, isoTimestamp } from './common.js';

/** What a request made with a known key came to, counted per key and hour. */
export const USAGE_OUTCOMES = ['ok', 'ipNotAllowed', 'rateLimited', 'expired'] as const;
export type UsageOutcome = (typeof USAGE_OUTCOMES)[number];

/** How long hourly counts are kept unless the server says otherwise (USAGE_RETENTION_DAYS). */
export const DEFAULT_USAGE_RETENTION_DAYS = 90;
export const USAGE_GRANULARITIES = ['hour', 'day'] as const;
export type UsageGranularity = (typeof USAGE_GRANULARITIES)[number];
/** At most this many buckets in one answer: 31 days by hour, a year by day. */
export const MAX_USAGE_BUCKETS = { hour: 744, day: 366 } as const;

/**
 * `?granularity=hour|day&from=&to=`: buckets from the one holding `from` up to the one holding `to`
 * (default: the last 24 hours by hour, the last 30 days by day, ending now).
 */
export const usageQuery = z.object({
  granularity: z.enum(USAGE_GRANULARITIES, { error: 'granularity must be hour or day.' }).default('hour'),
  from: isoDateTimeInput.optional(),
  to: isoDateTimeInput.optional(),
});
export const apiKeyUsageInput = usageQuery.extend({ id: z.string().min(1).max(100) });
/** `GET /v1/usage?from=&to=`: the workspace's keys over a range (default: the last 30 days). */
export const workspaceUsageQuery = z.object({ from: isoDateTimeInput.optional(), to: isoDateTimeInput.optional() });

export const usageCounts = z.object({
  ok: z.number().int(),
  ipNotAllowed: z.number().int(),
  rateLimited: z.number().int(),
  expired: z.number().int(),
});
export const usageBucket = usageCounts.extend({ start: isoTimestamp.describe('Start of the hour or UTC day') });
export const apiKeyUsage = z.object({
  granularity: z.enum(USAGE_GRANULARITIES),
  from: isoTimestamp,
  to: isoTimestamp,
  data: z.array(usageBucket).describe('In time order; a bucket with no request is present with zeros'),
});
export const workspaceUsage = z.object({
  from: isoTimestamp,
  to: isoTimestamp,
  data: z.array(
    usageCounts.extend({
      keyId: z.string(),
      name: z.string(),
      prefix: z.string(),
      isActive: z.boolean(),
      total: z.number().int(),
    }),
  ).describe('One entry per key used in the range, most requests first'),
});

export type UsageCounts = z.infer<typeof usageCounts>;
export type UsageBucket = z.infer<typeof usageBucket>;
export type ApiKeyUsage = z.infer<typeof apiKeyUsage>;
export type WorkspaceUsage = z.infer<typeof workspaceUsage>;
