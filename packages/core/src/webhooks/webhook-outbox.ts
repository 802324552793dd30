import type { WebhookEventType } from '@pc/contract';
import { type Clock, type RandomSource, iso, newId } from '../shared/runtime.js';
import { type Trx, afterCommit } from '../store/store.js';

/** What subscribes an endpoint to `type`: the type itself or `*`. `webhook.test` goes only where it is asked for. */
export const subscribes = (events: readonly string[], type: WebhookEventType) => type !== 'webhook.test' && (events.includes('*') || events.includes(type));

/**
 * The deliveries still pending for an endpoint that stops (disabled by hand, on 410, or after 3 days
 * of failures): they fail now rather than wait for it. Must run in the transaction that disables it.
 */
export async function failPendingDeliveries(trx: Trx, webhookId: string): Promise<void> {
  await trx
    .updateTable('webhook_deliveries')
    .set({ status: 'failed', error: 'The webhook was disabled.', locked_until: null, locked_by: null })
    .where('webhook_id', '=', webhookId)
    .where('status', '=', 'pending')
    .execute();
}

export interface WebhookOutbox {
  /**
   * Writes the event, and a pending delivery to every enabled endpoint of the workspace subscribed
   * to its type, in the transaction that makes the change it reports: both commit or neither, so
   * no crash can lose an event or send one for a change that was rolled back. The delivery worker
   * is woken once the commit is durable.
   */
  emit(trx: Trx, workspaceId: string, type: WebhookEventType, data: Record<string, unknown>): Promise<void>;
  /** The same for one endpoint, whatever it subscribes to (`webhook.test`); returns the delivery's id. */
  emitTo(trx: Trx, workspaceId: string, webhookId: string, type: WebhookEventType, data: Record<string, unknown>): Promise<string>;
  /** A written event once more to one endpoint (redelivery): a new delivery, the same `webhook-id`. */
  deliverAgain(trx: Trx, webhookId: string, eventId: string): Promise<string>;
}

export function createWebhookOutbox(deps: { clock: Clock; random: RandomSource; wake: () => void }): WebhookOutbox {
  const { clock, random } = deps;

  async function deliver(trx: Trx, webhookIds: string[], eventId: string, now: string): Promise<string[]> {
    const deliveries = webhookIds.map((webhookId) => ({
      id: newId(random, 'whd'),
      webhook_id: webhookId,
      event_id: eventId,
      status: 'pending' as const,
      attempt: 0,
      next_attempt_at: now,
      last_attempt_at: null,
      response_status: null,
      duration_ms: null,
      error: null,
      locked_until: null,
      locked_by: null,
      created_at: now,
    }));
    await trx.insertInto('webhook_deliveries').values(deliveries).execute();
    afterCommit(trx, deps.wake);
    return deliveries.map((d) => d.id);
  }

  async function write(trx: Trx, workspaceId: string, webhookIds: string[], type: WebhookEventType, data: Record<string, unknown>): Promise<string[]> {
    const now = iso(clock.now());
    const eventId = newId(random, 'msg');
    await trx
      .insertInto('webhook_events')
      .values({ id: eventId, workspace_id: workspaceId, type, payload: JSON.stringify({ type, timestamp: now, data }), created_at: now })
      .execute();
    return deliver(trx, webhookIds, eventId, now);
  }

  return {
    async emit(trx, workspaceId, type, data) {
      const endpoints = await trx.selectFrom('webhook_endpoints').select(['id', 'events']).where('workspace_id', '=', workspaceId).where('enabled', '=', 1).execute();
      const targets = endpoints.filter((e) => subscribes(JSON.parse(e.events) as string[], type)).map((e) => e.id);
      // Nobody listens: nothing to keep. The change itself is in the audit log.
      if (targets.length > 0) await write(trx, workspaceId, targets, type, data);
    },
    async emitTo(trx, workspaceId, webhookId, type, data) {
      const [id] = await write(trx, workspaceId, [webhookId], type, data);
      return id!;
    },
    async deliverAgain(trx, webhookId, eventId) {
      const [id] = await deliver(trx, [webhookId], eventId, iso(clock.now()));
      return id!;
    },
  };
}
