import { type ApiKeyCreated, type ApiKeyDetail, type ApiKeyListItem, MAX_KEY_LIFETIME_DAYS, normalizeIp } from '@pc/contract';
import { uniqueViolation } from '@pc/db';
import type { AuditEntryInput, AuditService } from '../audit/audit.service.js';
import type { KeyInvalidation } from '../cluster/key-invalidation.js';
import { AppError } from '../errors.js';
import { type OperatorPrincipal, type SessionPrincipal, actorOf } from '../shared/principal.js';
import { type Clock, DAY_MS, type RandomSource, type RequestMeta, iso, newId } from '../shared/runtime.js';
import { type UsageBuffer, heldIfNewer } from '../shared/usage-buffer.js';
import type { Store, Trx } from '../store/store.js';
import type { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { type ApiKeysRepository, type KeyRow, isActiveAt } from './api-keys.repository.js';
import { generateApiKey } from './key-format.js';
import { authorize } from '../teams/roles.js';

export interface KeyUse {
  /** Epoch ms. */
  at: number;
  /** As the transport gave it; normalised when written or shown. */
  ip: string;
}

export interface ApiKeyManagementDeps {
  store: Store;
  repo: ApiKeysRepository;
  invalidation: KeyInvalidation;
  /** Uses recorded by the key check and not yet written: reads overlay them. */
  usage: UsageBuffer<KeyUse>;
  clock: Clock;
  random: RandomSource;
  audit: AuditService;
  /** Webhook events, written with the change they report. */
  outbox: WebhookOutbox;
}

const NAME_HELD = 'api_keys(workspace_id, name)';


/** Creating, listing, restricting, rolling and revoking keys: the session-only side of API keys. */
export function createApiKeyManagement(deps: ApiKeyManagementDeps) {
  const { store, repo, invalidation, usage, clock, random, audit, outbox } = deps;

  function toDetail(r: KeyRow, createdBy: ApiKeyDetail['createdBy'] = null): ApiKeyDetail {
    const pending = heldIfNewer(usage.peek(r.id), r.last_used_at);
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      allowedIpRanges: JSON.parse(r.allowed_ip_ranges) as string[],
      lastUsedAt: pending ? iso(new Date(pending.at)) : r.last_used_at,
      lastUsedIp: pending ? normalizeIp(pending.ip) : r.last_used_ip,
      createdAt: r.created_at,
      isActive: isActiveAt(r, iso(clock.now())),
      revokedAt: r.revoked_at,
      expiresAt: r.expires_at,
      rolledToId: r.rolled_to_id,
      createdBy,
    };
  }

  function checkExpiry(expiresAt: string | undefined, now: Date): string | null {
    if (expiresAt === undefined) return null;
    const at = new Date(expiresAt);
    const refuse = (message: string) => {
      throw new AppError('invalid_request', `expiresAt: ${message}`, { details: [{ path: 'expiresAt', message }] });
    };
    if (at.getTime() <= now.getTime()) refuse('Must be in the future.');
    if (at.getTime() > now.getTime() + MAX_KEY_LIFETIME_DAYS * DAY_MS) refuse(`Must be at most ${MAX_KEY_LIFETIME_DAYS} days ahead.`);
    return iso(at);
  }

  const audited = (
    p: SessionPrincipal | OperatorPrincipal,
    action: AuditEntryInput['action'],
    id: string,
    meta: RequestMeta | null,
    metadata?: Record<string, unknown>,
  ): AuditEntryInput => ({
    workspaceId: p.workspaceId,
    action,
    actor: actorOf(p),
    target: { type: 'api_key', id },
    meta,
    ...(metadata ? { metadata } : {}),
  });

  /**
   * A new key named `name`. The database decides whether the name is free (a partial unique index
   * over active keys), so two instances creating one name at once give one key and one 409. A brand
   * new key needs no cache invalidation: nobody can have presented its 155 random bits before.
   */
  async function insertKey(trx: Trx, p: SessionPrincipal, id: string, name: string, ranges: string, expiresAt: string | null, nowIso: string): Promise<ApiKeyCreated> {
    const generated = generateApiKey(random);
    await repo.releaseExpiredName(trx, p.workspaceId, name, nowIso);
    try {
      await repo.insert(trx, {
        id,
        workspace_id: p.workspaceId,
        name,
        key_hash: generated.hash,
        prefix: generated.prefix,
        allowed_ip_ranges: ranges,
        created_at: nowIso,
        created_by_user_id: p.userId,
        expires_at: expiresAt,
      });
    } catch (err) {
      if (uniqueViolation(err) === NAME_HELD) throw new AppError('api_key_name_taken', `An active API key named "${name}" already exists.`);
      throw err;
    }
    return { id, name, key: generated.key, prefix: generated.prefix, createdAt: nowIso, expiresAt };
  }

  async function lockedKey(trx: Trx, p: SessionPrincipal | OperatorPrincipal, id: string) {
    const row = await repo.findForUpdate(trx, p.workspaceId, id);
    if (!row) throw new AppError('not_found', 'API key not found.');
    return row;
  }

  async function create(p: SessionPrincipal, input: { name: string; expiresAt?: string | undefined }, meta: RequestMeta): Promise<ApiKeyCreated> {
    authorize(p, 'manageApiKeys');
    const now = clock.now();
    const expiresAt = checkExpiry(input.expiresAt, now);
    return store.transaction(async (trx) => {
      const created = await insertKey(trx, p, newId(random, 'key'), input.name, '[]', expiresAt, iso(now));
      await audit.record(trx, audited(p, 'api_key.created', created.id, meta, { name: created.name, prefix: created.prefix, expiresAt }));
      await outbox.emit(trx, p.workspaceId, 'api_key.created', { id: created.id, name: created.name, prefix: created.prefix, createdAt: created.createdAt, expiresAt });
      return created;
    });
  }

  async function list(workspaceId: string, includeRevoked: boolean): Promise<ApiKeyListItem[]> {
    const rows = await repo.list(workspaceId, includeRevoked ? null : iso(clock.now()));
    return rows.map((r) => {
      const d = toDetail(r);
      return {
        id: d.id,
        name: d.name,
        prefix: d.prefix,
        lastUsedAt: d.lastUsedAt,
        createdAt: d.createdAt,
        isActive: d.isActive,
        expiresAt: d.expiresAt,
        allowedIpRangeCount: d.allowedIpRanges.length,
        rolledToId: d.rolledToId,
      };
    });
  }

  async function get(workspaceId: string, id: string): Promise<ApiKeyDetail> {
    const row = await repo.find(workspaceId, id);
    if (!row) throw new AppError('not_found', 'API key not found.');
    return toDetail(row, await repo.creatorOf(row));
  }

  async function updateIpRestrictions(p: SessionPrincipal, id: string, ranges: string[], meta: RequestMeta): Promise<ApiKeyDetail> {
    authorize(p, 'manageApiKeys');
    return store.transaction(async (trx) => {
      const row = await lockedKey(trx, p, id);
      if (row.revoked_at !== null) throw new AppError('api_key_revoked');
      const stored = JSON.stringify(ranges);
      await repo.update(trx, id, { allowed_ip_ranges: stored });
      await audit.record(trx, audited(p, 'api_key.ip_restrictions_updated', id, meta, { before: JSON.parse(row.allowed_ip_ranges) as string[], after: ranges }));
      await invalidation.keysChanged(trx, [row.key_hash]);
      await outbox.emit(trx, p.workspaceId, 'api_key.ip_restrictions_updated', { id, name: row.name, prefix: row.prefix, allowedIpRanges: ranges });
      return toDetail({ ...row, allowed_ip_ranges: stored }, await repo.creatorOf(row, trx));
    });
  }

  /** Irreversible; revoking a revoked key answers the same and changes nothing. */
  async function revoke(p: SessionPrincipal | OperatorPrincipal, id: string, meta: RequestMeta | null): Promise<void> {
    authorize(p, 'manageApiKeys');
    await store.transaction(async (trx) => {
      const row = await lockedKey(trx, p, id);
      if (row.revoked_at !== null) return;
      const revokedAt = iso(clock.now());
      await repo.update(trx, id, { revoked_at: revokedAt });
      await audit.record(trx, audited(p, 'api_key.revoked', id, meta, { name: row.name, prefix: row.prefix }));
      await invalidation.keysChanged(trx, [row.key_hash]);
      await outbox.emit(trx, p.workspaceId, 'api_key.revoked', { id, name: row.name, prefix: row.prefix, revokedAt });
    });
  }

  /** A new key with the same name and ranges; the old one keeps working for `graceSeconds` (0: revoked now). */
  async function roll(p: SessionPrincipal, id: string, graceSeconds: number, meta: RequestMeta): Promise<ApiKeyCreated> {
    authorize(p, 'manageApiKeys');
    return store.transaction(async (trx) => {
      const now = clock.now();
      const nowIso = iso(now);
      const row = await lockedKey(trx, p, id);
      if (row.revoked_at !== null) throw new AppError('api_key_revoked');
      if (row.rolled_to_id !== null) throw new AppError('api_key_already_rolled');
      if (row.expires_at !== null && row.expires_at <= nowIso) throw new AppError('api_key_revoked', 'This API key has expired; create a new one.');
      const graceEnd = iso(new Date(now.getTime() + graceSeconds * 1000));
      const oldExpiresAt = graceSeconds === 0 ? nowIso : row.expires_at !== null && row.expires_at < graceEnd ? row.expires_at : graceEnd;
      const successorId = newId(random, 'key');
      // The old key gives its name up first, so the new one can take it under the unique index.
      await repo.update(trx, id, graceSeconds === 0 ? { rolled_to_id: successorId, revoked_at: nowIso } : { rolled_to_id: successorId, expires_at: oldExpiresAt });
      const created = await insertKey(trx, p, successorId, row.name, row.allowed_ip_ranges, null, nowIso);
      await audit.record(trx, audited(p, 'api_key.rolled', id, meta, { newKeyId: created.id, gracePeriodSeconds: graceSeconds }));
      await invalidation.keysChanged(trx, [row.key_hash]);
      await outbox.emit(trx, p.workspaceId, 'api_key.rolled', { id, name: row.name, prefix: row.prefix, newKeyId: created.id, gracePeriodSeconds: graceSeconds, oldKeyWorksUntil: oldExpiresAt });
      return created;
    });
  }

  return { create, list, get, updateIpRestrictions, revoke, roll };
}

export type ApiKeyManagement = ReturnType<typeof createApiKeyManagement>;
