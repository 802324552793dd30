import { z } from 'zod';
import { allowedIpRangesSchema, idSchema, isoDateTimeInput, isoTimestamp, keyNameSchema, nullableTimestamp } from './common.js';

export const MAX_KEY_LIFETIME_DAYS = 365;
export const MAX_GRACE_PERIOD_SECONDS = 604_800;
export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;

export const createApiKeyInput = z.object({
  name: keyNameSchema,
  expiresAt: isoDateTimeInput.optional().describe(`optional; in the future, at most ${MAX_KEY_LIFETIME_DAYS} days ahead`),
});

export const listApiKeysInput = z.object({ includeRevoked: z.boolean().default(false) });
/** The same in a query string (REST): `?includeRevoked=true`. */
export const listApiKeysQuery = z.object({
  includeRevoked: z
    .enum(['true', 'false'], { error: 'includeRevoked must be true or false.' })
    .default('false')
    .transform((v) => v === 'true'),
});
export const apiKeyIdInput = z.object({ id: idSchema });
export const updateIpRestrictionsInput = z.object({ allowedIpRanges: allowedIpRangesSchema });
export const rollApiKeyInput = z.object({
  gracePeriodSeconds: z
    .number({ error: 'gracePeriodSeconds must be a number of seconds.' })
    .int('gracePeriodSeconds must be a whole number.')
    .min(0, 'gracePeriodSeconds must be at least 0.')
    .max(MAX_GRACE_PERIOD_SECONDS, `gracePeriodSeconds must be at most ${MAX_GRACE_PERIOD_SECONDS} (7 days).`)
    .default(DEFAULT_GRACE_PERIOD_SECONDS),
});

export const apiKeyCreated = z.object({
  id: z.string(),
  name: z.string(),
  key: z.string().describe('The full key. Shown once; only its SHA-256 is stored.'),
  prefix: z.string(),
  createdAt: isoTimestamp,
  expiresAt: nullableTimestamp,
});

export const apiKeyListItem = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  lastUsedAt: nullableTimestamp,
  createdAt: isoTimestamp,
  isActive: z.boolean(),
  expiresAt: nullableTimestamp,
  allowedIpRangeCount: z.number().int(),
  rolledToId: z.string().nullable(),
});

export const apiKeyDetail = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  allowedIpRanges: z.array(z.string()),
  lastUsedAt: nullableTimestamp,
  lastUsedIp: z.string().nullable(),
  createdAt: isoTimestamp,
  isActive: z.boolean(),
  revokedAt: nullableTimestamp,
  expiresAt: nullableTimestamp,
  rolledToId: z.string().nullable(),
  createdBy: z.object({ userId: z.string(), email: z.string() }).nullable().describe('Who created the key; null when created by the operator or the account is gone'),
});

export type CreateApiKeyInput = z.input<typeof createApiKeyInput>;
export type ApiKeyCreated = z.infer<typeof apiKeyCreated>;
export const apiKeyList = z.array(apiKeyListItem);
export type ApiKeyListItem = z.infer<typeof apiKeyListItem>;
export type ApiKeyDetail = z.infer<typeof apiKeyDetail>;
