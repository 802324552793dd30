import type { Webhook, WebhookDelivery } from '@pc/contract';

/** Test data in the contract's shapes. */
const T0 = '2026-03-01T12:00:00.000Z';

export const webhookFixture = (over: Partial<Webhook> = {}): Webhook => ({
  id: 'whk_1',
  url: 'https://hooks.example.com/pc',
  description: null,
  events: ['*'],
  enabled: true,
  disabledReason: null,
  failingSince: null,
  previousSecretExpiresAt: null,
  createdAt: T0,
  updatedAt: T0,
  ...over,
});

export const deliveryFixture = (id: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery => ({
  id,
  webhookId: 'whk_1',
  eventId: `msg_${id}`,
  eventType: 'webhook.test',
  status: 'succeeded',
  attempt: 1,
  responseStatus: 204,
  durationMs: 12,
  error: null,
  lastAttemptAt: T0,
  nextAttemptAt: null,
  createdAt: T0,
  ...over,
});

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
