import { type CreateWebhookInput, MAX_WEBHOOKS_PER_WORKSPACE, type UpdateWebhookInput, type Webhook, type WebhookWithSecret } from '@pc/contract';
import type { WebhookEndpointsTable } from '@pc/db';
import type { AuditEntryInput, AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { type SessionPrincipal, actorOf } from '../shared/principal.js';
import { type Clock, type RandomSource, type RequestMeta, iso, newId } from '../shared/runtime.js';
import type { Store, Trx } from '../store/store.js';
import { failPendingDeliveries } from './webhook-outbox.js';
import { type TargetPolicy, resolveTarget } from './webhook-targets.js';
import { authorize } from '../teams/roles.js';

/** The workspace's endpoint `id`, locked for the transaction; 404 when it is not the workspace's. */
export async function lockedEndpoint(store: Store, trx: Trx, workspaceId: string, id: string): Promise<WebhookEndpointsTable> {
  const row = await store.forUpdate(trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).where('workspace_id', '=', workspaceId)).executeTakeFirst();
  if (!row) throw new AppError('not_found', 'Webhook not found.');
  return row;
}

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64). */
const newSecret = (random: RandomSource) => `whsec_${random.bytes(32).toString('base64')}`;

/** Endpoints of a workspace: create, list, change, disable, rotate the secret, delete (session only). The delivery log is webhook-log.ts. */
export function createWebhooksService(deps: { store: Store; clock: Clock; random: RandomSource; audit: AuditService; targets: TargetPolicy }) {
  const { store, clock, random, audit } = deps;
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

  const locked = (trx: Trx, workspaceId: string, id: string) => lockedEndpoint(store, trx, workspaceId, id);

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
      authorize(p, 'manageWebhooks');
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
      authorize(p, 'manageWebhooks');
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
          await failPendingDeliveries(trx, id);
        }
        const { id: _id, workspace_id: _ws, ...changes } = next;
        await trx.updateTable('webhook_endpoints').set(changes).where('id', '=', id).execute();
        await audit.record(trx, audited(p, 'webhook.updated', id, meta, { changed: Object.keys(patch).filter((k) => patch[k as keyof UpdateWebhookInput] !== undefined) }));
        return toWebhook(next);
      });
    },

    async remove(p: SessionPrincipal, id: string, meta: RequestMeta): Promise<void> {
      authorize(p, 'manageWebhooks');
      await store.transaction(async (trx) => {
        const row = await trx.deleteFrom('webhook_endpoints').where('id', '=', id).where('workspace_id', '=', p.workspaceId).returning('url').executeTakeFirst();
        if (!row) throw new AppError('not_found', 'Webhook not found.');
        await audit.record(trx, audited(p, 'webhook.deleted', id, meta, { url: row.url }));
      });
    },

    /** A new secret; for `overlapSeconds` every delivery is signed with the old one too, so receivers can switch without a gap. */
    async rotateSecret(p: SessionPrincipal, id: string, overlapSeconds: number, meta: RequestMeta): Promise<WebhookWithSecret> {
      authorize(p, 'manageWebhooks');
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

  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
