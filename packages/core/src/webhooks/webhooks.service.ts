import {
  type CreateWebhookInput,
  MAX_WEBHOOKS_PER_WORKSPACE,
  type UpdateWebhookInput,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryPage,
  type WebhookWithSecret,
} from '@pc/contract';
import type { WebhookEndpointsTable } from '@pc/db';
import type { AuditEntryInput, AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { after, decodeCursor, pageOf } from '../shared/page-cursor.js';
import { type SessionPrincipal, actorOf } from '../shared/principal.js';
import { type Clock, type RandomSource, type RequestMeta, iso, newId } from '../shared/runtime.js';
import type { Store, Trx } from '../store/store.js';
import type { WebhookOutbox } from './webhook-outbox.js';
import { type TargetPolicy, resolveTarget } from './webhook-targets.js';

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64). */
const newSecret = (random: RandomSource) => `whsec_${random.bytes(32).toString('base64')}`;

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

/** Endpoints of a workspace: create, change, rotate, test, and the delivery log with redelivery (session only). */
export function createWebhooksService(deps: { store: Store; clock: Clock; random: RandomSource; audit: AuditService; outbox: WebhookOutbox; targets: TargetPolicy }) {
  const { store, clock, random, audit, outbox } = deps;
  const { db } = store;

  const toWebhook = (r: WebhookEndpointsTable): Webhook => ({
    id: r.id,
    url: r.url,
    description: r.description,
    events: JSON.parse(r.events) as string[],
    enabled: r.enabled === 1,
    disabledReason: r.disabled_reason,
    failingSince: r.failing_since,
    previousSecretExpiresAt: r.previous_secret !== null && r.previous_secret_expires_at !== null && r.previous_secret_expires_at > iso(clock.now()) ? r.previous_secret_expires_at : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  });

  const audited = (p: SessionPrincipal, action: AuditEntryInput['action'], id: string, meta: RequestMeta, metadata: Record<string, unknown>): AuditEntryInput => ({
    workspaceId: p.workspaceId,
    action,
    actor: actorOf(p),
    target: { type: 'webhook', id },
    meta,
    metadata,
  });

  async function locked(trx: Trx, workspaceId: string, id: string): Promise<WebhookEndpointsTable> {
    const row = await store.forUpdate(trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId)).executeTakeFirst();
    if (!row) throw new AppError('not_found', 'Webhook not found.');
    return row;
  }

  const deliveryQuery = () =>
    db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .select(['d.id', 'd.webhook_id', 'd.event_id', 'e.type as event_type', 'd.status', 'd.attempt', 'd.response_status', 'd.duration_ms', 'd.error', 'd.last_attempt_at', 'd.next_attempt_at', 'd.created_at']);

  async function deliveryById(id: string): Promise<WebhookDelivery> {
    const row = await deliveryQuery().where('d.id', '=', id).executeTakeFirstOrThrow();
    return toDelivery(row);
  }

  /** Pending deliveries of an endpoint that stops: they fail now rather than wait for it. */
  async function cancelPending(trx: Trx, webhookId: string, why: string): Promise<void> {
    await trx.updateTable('webhook_deliveries').set({ status: 'failed', error: why, locked_until: null, locked_by: null }).where('webhook_id', '=', webhookId).where('status', '=', 'pending').execute();
  }

  return {
    async list(workspaceId: string): Promise<Webhook[]> {
      const rows = await db.selectFrom('webhook_endpoints').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(toWebhook);
    },

    async get(workspaceId: string, id: string): Promise<Webhook> {
      const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId).executeTakeFirst();
      if (!row) throw new AppError('not_found', 'Webhook not found.');
      return toWebhook(row);
    },

    async create(p: SessionPrincipal, input: CreateWebhookInput, meta: RequestMeta): Promise<WebhookWithSecret> {
      await resolveTarget(new URL(input.url), deps.targets);
      const now = iso(clock.now());
      const row: WebhookEndpointsTable = {
        id: newId(random, 'whk'),
        workspace_id: p.workspaceId,
        url: input.url,
        description: input.description,
        events: JSON.stringify(input.events),
        enabled: 1,
        disabled_reason: null,
        secret: newSecret(random),
        previous_secret: null,
        previous_secret_expires_at: null,
        failing_since: null,
        created_by_user_id: p.userId,
        created_at: now,
        updated_at: now,
      };
      await store.transaction(async (trx) => {
        // Counted under the workspace's row lock, so two creations at once cannot both take the last place.
        await store.forUpdate(trx.selectFrom('workspaces').select('id').where('id', '=', p.workspaceId)).executeTakeFirst();
        const { n } = await trx.selectFrom('webhook_endpoints').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', p.workspaceId).executeTakeFirstOrThrow();
        if (Number(n) >= MAX_WEBHOOKS_PER_WORKSPACE) throw new AppError('webhook_limit_reached', `A workspace has at most ${MAX_WEBHOOKS_PER_WORKSPACE} webhooks; delete one first.`);
        await trx.insertInto('webhook_endpoints').values(row).execute();
        await audit.record(trx, audited(p, 'webhook.created', row.id, meta, { url: row.url, events: input.events }));
      });
      return { ...toWebhook(row), secret: row.secret };
    },

    async update(p: SessionPrincipal, id: string, patch: UpdateWebhookInput, meta: RequestMeta): Promise<Webhook> {
      if (patch.url !== undefined) await resolveTarget(new URL(patch.url), deps.targets);
      return store.transaction(async (trx) => {
        const row = await locked(trx, p.workspaceId, id);
        const next: WebhookEndpointsTable = { ...row, updated_at: iso(clock.now()) };
        if (patch.url !== undefined) next.url = patch.url;
        if (patch.events !== undefined) next.events = JSON.stringify(patch.events);
        if (patch.description !== undefined) next.description = patch.description;
        if (patch.enabled === true) Object.assign(next, { enabled: 1, disabled_reason: null, failing_since: null });
        if (patch.enabled === false && row.enabled === 1) {
          Object.assign(next, { enabled: 0, disabled_reason: 'manual' });
          await cancelPending(trx, id, 'The webhook was disabled.');
        }
        const { id: _id, workspace_id: _ws, ...changes } = next;
        await trx.updateTable('webhook_endpoints').set(changes).where('id', '=', id).execute();
        await audit.record(trx, audited(p, 'webhook.updated', id, meta, { changed: Object.keys(patch).filter((k) => patch[k as keyof UpdateWebhookInput] !== undefined) }));
        return toWebhook(next);
      });
    },

    async remove(p: SessionPrincipal, id: string, meta: RequestMeta): Promise<void> {
      await store.transaction(async (trx) => {
        const row = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).where('workspace_id', '=', p.workspaceId).returning('url').executeTakeFirst();
        if (!row) throw new AppError('not_found', 'Webhook not found.');
        await audit.record(trx, audited(p, 'webhook.deleted', id, meta, { url: row.url }));
      });
    },

    /** A new secret; for `overlapSeconds` every delivery is signed with the old one too, so receivers can switch without a gap. */
    async rotateSecret(p: SessionPrincipal, id: string, overlapSeconds: number, meta: RequestMeta): Promise<WebhookWithSecret> {
      return store.transaction(async (trx) => {
        const row = await locked(trx, p.workspaceId, id);
        const now = clock.now();
        const next: WebhookEndpointsTable = {
          ...row,
          secret: newSecret(random),
          previous_secret: overlapSeconds > 0 ? row.secret : null,
          previous_secret_expires_at: overlapSeconds > 0 ? iso(new Date(now.getTime() + overlapSeconds * 1000)) : null,
          updated_at: iso(now),
        };
        await trx
          .updateTable('webhook_endpoints')
          .set({ secret: next.secret, previous_secret: next.previous_secret, previous_secret_expires_at: next.previous_secret_expires_at, updated_at: next.updated_at })
          .where('id', '=', id)
          .execute();
        await audit.record(trx, audited(p, 'webhook.secret_rotated', id, meta, { overlapSeconds }));
        return { ...toWebhook(next), secret: next.secret };
      });
    },

    /** Sends a `webhook.test` event to this endpoint only. */
    async test(p: SessionPrincipal, id: string): Promise<WebhookDelivery> {
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

export type WebhooksService = ReturnType<typeof createWebhooksService>;
