import type { WebhookDelivery, WebhookDeliveryPage } from '@pc/contract';
import { AppError } from '../errors.js';
import { after, decodeCursor, pageOf } from '../shared/page-cursor.js';
import type { SessionPrincipal } from '../shared/principal.js';
import type { Store } from '../store/store.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import { lockedEndpoint } from './webhooks.service.js';
import { authorize } from '../teams/roles.js';

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempt: number;
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

export const toDelivery = (r: DeliveryRow): WebhookDelivery => ({
  id: r.id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  status: r.status,
  attempt: r.attempt,
  responseStatus: r.response_status,
  durationMs: r.duration_ms,
  error: r.error,
  lastAttemptAt: r.last_attempt_at,
  nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
  createdAt: r.created_at,
});

/** A webhook's delivery log: test events, the log page by page, and redelivery (session only). */
export function createWebhookLog(deps: { store: Store; outbox: WebhookOutbox }) {
  const { store, outbox } = deps;
  const { db } = store;
  const locked = lockedEndpoint.bind(null, store);

  const deliveryQuery = () =>
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.webhook_id', 'd.event_id', 'e.type as event_type', 'd.status', 'd.attempt', 'd.response_status', 'd.duration_ms', 'd.error', 'd.last_attempt_at', 'd.next_attempt_at', 'd.created_at']);

  async function deliveryById(id: string): Promise<WebhookDelivery> {
    return toDelivery(await deliveryQuery().where('d.id', '=', id).executeTakeFirstOrThrow());
  }

  return {
    /** Sends a `webhook.test` event to this endpoint only. */
    async test(p: SessionPrincipal, id: string): Promise<WebhookDelivery> {
      authorize(p, 'manageWebhooks');
      const deliveryId = await store.transaction(async (trx) => {
        const row = await locked(trx, p.workspaceId, id);
        if (row.enabled !== 1) throw new AppError('webhook_disabled');
        return outbox.emitTo(trx, p.workspaceId, id, 'webhook.test', { webhookId: id, message: 'A test event sent from Private Connect.' });
      });
      return deliveryById(deliveryId);
    },

    async deliveries(workspaceId: string, id: string, q: { limit: number; cursor?: string | undefined }): Promise<WebhookDeliveryPage> {
      const endpoint = await db.selectFrom('webhook_endpoints').select('id').where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
      if (!endpoint) throw new AppError('not_found', 'Webhook not found.');
      let query = deliveryQuery().where('d.webhook_id', '=', id);
      if (q.cursor) {
        const position = decodeCursor(q.cursor);
        query = query.where((eb) => after(eb, position, 'd'));
      }
      const rows = await query.orderBy('d.created_at', 'desc').orderBy('d.id', 'desc').limit(q.limit + 1).execute();
      const page = pageOf(rows, q.limit);
      return { data: page.rows.map(toDelivery), nextCursor: page.nextCursor };
    },

    /** The same event (same `webhook-id`) once more, as a new delivery with its own attempts. */
    async redeliver(p: SessionPrincipal, id: string, deliveryId: string): Promise<WebhookDelivery> {
      authorize(p, 'manageWebhooks');
      const newDeliveryId = await store.transaction(async (trx) => {
        const row = await locked(trx, p.workspaceId, id);
        const original = await trx.selectFrom('webhook_deliveries').select('event_id').where('id', '=', deliveryId).where('webhook_id', '=', id).executeTakeFirst();
        if (!original) throw new AppError('not_found', 'Delivery not found.');
        if (row.enabled !== 1) throw new AppError('webhook_disabled');
        return outbox.deliverAgain(trx, id, original.event_id);
      });
      return deliveryById(newDeliveryId);
    },
  };
}

export type WebhookLog = ReturnType<typeof createWebhookLog>;
