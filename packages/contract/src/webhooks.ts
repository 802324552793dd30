import { z } from 'zod';
import { idSchema, isoTimestamp, noControl, nullableTimestamp, pageCursorSchema, visibleText } from './common.js';

/** What a workspace can subscribe to; `["*"]` is all of them. */
export const WEBHOOK_EVENT_TYPES = [
  'api_key.created',
  'api_key.revoked',
  'api_key.rolled',
  'api_key.ip_restrictions_updated',
  'api_key.expiring',
  'api_key.expired',
  'agent.created',
  'agent.deleted',
  'agent.online',
  'agent.offline',
  'webhook.test',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const MAX_WEBHOOKS_PER_WORKSPACE = 20;
export const MAX_SECRET_OVERLAP_SECONDS = 604_800;
export const DEFAULT_SECRET_OVERLAP_SECONDS = 86_400;
/** `api_key.expiring` (and a mail to the owners) goes out this long before a key's `expiresAt`… */
export const KEY_EXPIRING_NOTICE_DAYS = 7;
/** …and again this long before it. */
export const KEY_EXPIRING_SOON_NOTICE_DAYS = 1;

/**
 * An absolute http(s) URL without credentials or fragment. Whether `http:` and private targets are
 * allowed is the server's policy (WEBHOOK_ALLOW_PRIVATE_TARGETS), checked by core.
 */
export const webhookUrlSchema = z
  .string({ error: 'url is required.' })
  .trim()
  .max(2048, 'url must be at most 2048 characters.')
  .refine(noControl, 'url must not contain control characters.')
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'url must be an absolute URL, e.g. https://example.com/webhooks.' });
      return z.NEVER;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'url must be an https URL.' });
      return z.NEVER;
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: 'url must not carry a user name or password; authenticate the delivery by its signature.' });
      return z.NEVER;
    }
    if (url.hash) {
      ctx.addIssue({ code: 'custom', message: 'url must not have a #fragment.' });
      return z.NEVER;
    }
    return url.href;
  });

const eventTypeSchema = z.enum([...WEBHOOK_EVENT_TYPES, '*'], { error: `Unknown event type; one of ${WEBHOOK_EVENT_TYPES.join(', ')}, or "*".` });

export const webhookEventsSchema = z
  .array(eventTypeSchema, { error: 'events must be a list of event types, or ["*"].' })
  .min(1, 'events must name at least one event type, or "*" for all.')
  .max(WEBHOOK_EVENT_TYPES.length + 1, 'events lists a type more than once.')
  .transform((events) => [...new Set(events)])
  .refine((events) => !events.includes('*') || events.length === 1, '"*" means every event type; list it alone.');

export const webhookDescriptionSchema = z
  .string({ error: 'description must be a string.' })
  .max(1000, 'description must be at most 200 characters.')
  .trim()
  .max(200, 'description must be at most 200 characters.')
  .refine(noControl, 'description must not contain control characters.')
  .superRefine(visibleText('description'));

export const createWebhookInput = z.object({
  url: webhookUrlSchema,
  events: webhookEventsSchema,
  description: webhookDescriptionSchema.nullish().transform((d) => (d ? d : null)),
});

const updateWebhookFields = z.object({
  url: webhookUrlSchema.optional(),
  events: webhookEventsSchema.optional(),
  enabled: z.boolean({ error: 'enabled must be true or false.' }).optional(),
  description: webhookDescriptionSchema
    .nullable()
    .optional()
    .transform((d) => (d === undefined ? undefined : d ? d : null)),
});
const changesSomething = (u: Record<string, unknown>) => ['url', 'events', 'enabled', 'description'].some((k) => u[k] !== undefined);
const NOTHING_TO_CHANGE = 'Give at least one of url, events, enabled, description.';
export const updateWebhookInput = updateWebhookFields.refine(changesSomething, NOTHING_TO_CHANGE);
/** tRPC: the id and the changes in one object. */
export const updateWebhookWithIdInput = z.object({ id: idSchema }).extend(updateWebhookFields.shape).refine(changesSomething, NOTHING_TO_CHANGE);

export const rotateWebhookSecretInput = z.object({
  overlapSeconds: z
    .number({ error: 'overlapSeconds must be a number of seconds.' })
    .int('overlapSeconds must be a whole number.')
    .min(0, 'overlapSeconds must be at least 0.')
    .max(MAX_SECRET_OVERLAP_SECONDS, `overlapSeconds must be at most ${MAX_SECRET_OVERLAP_SECONDS} (7 days).`)
    .default(DEFAULT_SECRET_OVERLAP_SECONDS),
});

export const webhookIdInput = z.object({ id: idSchema });
export const webhookDeliveryIdInput = z.object({ id: idSchema, deliveryId: idSchema });
export const webhookDeliveriesQuery = z.object({
  limit: z.coerce.number().int('limit must be a whole number.').min(1, 'limit must be at least 1.').max(100, 'limit must be at most 100.').default(50),
  cursor: pageCursorSchema.optional(),
});
export const webhookDeliveriesInput = webhookDeliveriesQuery.extend({ id: idSchema });

export const WEBHOOK_DISABLED_REASONS = ['manual', 'gone', 'failing'] as const;

export const webhook = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabledReason: z
    .enum(WEBHOOK_DISABLED_REASONS)
    .nullable()
    .describe('Why deliveries stopped: `manual` (PATCH), `gone` (the receiver answered 410), `failing` (3 days of failed deliveries)'),
  /** The first of an unbroken run of failed attempts; null after a success. */
  failingSince: nullableTimestamp,
  previousSecretExpiresAt: nullableTimestamp.describe('Until then every delivery is also signed with the secret before the last rotation'),
  createdAt: isoTimestamp,
  updatedAt: isoTimestamp,
});
export const webhookList = z.array(webhook);
export const webhookWithSecret = webhook.extend({
  secret: z.string().describe('The signing secret (whsec_…). Shown once; rotate it to get a new one.'),
});

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export const webhookDelivery = z.object({
  id: z.string(),
  webhookId: z.string(),
  /** The `webhook-id` header: the same on every attempt and redelivery of this event. */
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  /** Attempts made so far. */
  attempt: z.number().int(),
  responseStatus: z.number().int().nullable(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable(),
  lastAttemptAt: nullableTimestamp,
  nextAttemptAt: nullableTimestamp,
  createdAt: isoTimestamp,
});
export const webhookDeliveryPage = z.object({ data: z.array(webhookDelivery), nextCursor: z.string().nullable() });

export type Webhook = z.infer<typeof webhook>;
export type WebhookWithSecret = z.infer<typeof webhookWithSecret>;
export type WebhookDelivery = z.infer<typeof webhookDelivery>;
export type WebhookDeliveryPage = z.infer<typeof webhookDeliveryPage>;
export type CreateWebhookInput = z.infer<typeof createWebhookInput>;
export type UpdateWebhookInput = Partial<z.infer<typeof updateWebhookFields>>;
