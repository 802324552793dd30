import {
  type ApiKeyCreated,
  type ApiKeyDetail,
  type ApiKeyListItem,
  MAX_KEY_LIFETIME_DAYS,
  compileRanges,
  isWellFormedApiKey,
  normalizeIp,
  parseCidr,
} from '@pc/contract';
import { type ApiKeysTable, type Db, compileOnce } from '@pc/db';
import type { AuditEntryInput, AuditService } from '../audit/audit.service.js';
import { AppError, type RateLimitState } from '../errors.js';
import { type ApiKeyPrincipal, type SessionPrincipal } from '../shared/principal.js';
import { FixedWindowLimiter } from '../shared/rate-limiter.js';
import { type Clock, type RandomSource, type RequestMeta, iso, newId, sha256Hex } from '../shared/runtime.js';
import { UsageBuffer } from '../shared/usage-buffer.js';
import { type CachedKey, KeyCache } from './key-cache.js';
import { generateApiKey } from './key-format.js';

export interface ApiKeysDeps {
  db: Db;
  clock: Clock;
  random: RandomSource;
  audit: AuditService;
  rateLimitPerMinute: number;
}

export interface KeyAuthentication {
  principal: ApiKeyPrincipal;
  rateLimit: RateLimitState;
}

type Row = Pick<
  ApiKeysTable,
  'id' | 'name' | 'prefix' | 'allowed_ip_ranges' | 'created_at' | 'last_used_at' | 'last_used_ip' | 'revoked_at' | 'expires_at' | 'rolled_to_id'
>;

const DAY_MS = 24 * 3600_000;

// Thrown for every malformed, unknown or revoked key. Built once: a flood of bad keys then costs no
// stack capture, which is dearer than the checks themselves. AppError stacks are never shown.
const INVALID_KEY = new AppError('invalid_api_key');

export function createApiKeysService(deps: ApiKeysDeps) {
  const { db, clock, random, audit } = deps;
  const cache = new KeyCache();
  const limiter = new FixedWindowLimiter(clock, 60_000);
  // Raw values (epoch ms, the IP as the transport gave it); they are formatted once per flush, not per request.
  const usage = new UsageBuffer<{ at: number; ip: string }>();
  let flushes = 0;

  const isActive = (r: Pick<Row, 'revoked_at' | 'expires_at'>, nowIso: string) =>
    r.revoked_at === null && (r.expires_at === null || r.expires_at > nowIso);

  function lastUse(r: Row): { at: string | null; ip: string | null } {
    const pending = usage.peek(r.id);
    return pending ? { at: iso(new Date(pending.at)), ip: normalizeIp(pending.ip) } : { at: r.last_used_at, ip: r.last_used_ip };
  }

  function toDetail(r: Row): ApiKeyDetail {
    const use = lastUse(r);
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      allowedIpRanges: JSON.parse(r.allowed_ip_ranges) as string[],
      lastUsedAt: use.at,
      lastUsedIp: use.ip,
      createdAt: r.created_at,
      isActive: isActive(r, iso(clock.now())),
      revokedAt: r.revoked_at,
      expiresAt: r.expires_at,
      rolledToId: r.rolled_to_id,
    };
  }

  const columns = ['id', 'name', 'prefix', 'allowed_ip_ranges', 'created_at', 'last_used_at', 'last_used_ip', 'revoked_at', 'expires_at', 'rolled_to_id'] as const;

  async function findRow(trx: Db, workspaceId: string, id: string): Promise<Row & { key_hash: string }> {
    const row = await trx
      .selectFrom('api_keys')
      .select([...columns, 'key_hash'])
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .executeTakeFirst();
    if (!row) throw new AppError('not_found', 'API key not found.');
    return row;
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

  async function assertNameFree(trx: Db, workspaceId: string, name: string, nowIso: string): Promise<void> {
    const clash = await trx
      .selectFrom('api_keys')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .where('rolled_to_id', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]))
      .executeTakeFirst();
    if (clash) throw new AppError('api_key_name_taken', `An active API key named "${name}" already exists.`);
  }

  async function insertKey(trx: Db, p: SessionPrincipal, name: string, ranges: string, expiresAt: string | null, nowIso: string) {
    const generated = generateApiKey(random);
    const id = newId(random, 'key');
    await trx
      .insertInto('api_keys')
      .values({
        id,
        workspace_id: p.workspaceId,
        name,
        key_hash: generated.hash,
        prefix: generated.prefix,
        allowed_ip_ranges: ranges,
        created_at: nowIso,
        created_by_user_id: p.userId,
        last_used_at: null,
        last_used_ip: null,
        revoked_at: null,
        expires_at: expiresAt,
        rolled_to_id: null,
        expiry_recorded_at: null,
      })
      .execute();
    cache.invalidate(generated.hash);
    const created: ApiKeyCreated = { id, name, key: generated.key, prefix: generated.prefix, createdAt: nowIso, expiresAt };
    return created;
  }

  async function create(p: SessionPrincipal, input: { name: string; expiresAt?: string | undefined }, meta: RequestMeta): Promise<ApiKeyCreated> {
    const now = clock.now();
    const expiresAt = checkExpiry(input.expiresAt, now);
    return db.transaction().execute(async (trx) => {
      await assertNameFree(trx, p.workspaceId, input.name, iso(now));
      const created = await insertKey(trx, p, input.name, '[]', expiresAt, iso(now));
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'api_key.created',
        actor: { type: 'user', id: p.userId },
        target: { type: 'api_key', id: created.id },
        meta,
        metadata: { name: created.name, prefix: created.prefix, expiresAt },
      });
      return created;
    });
  }

  async function list(workspaceId: string, includeRevoked: boolean): Promise<ApiKeyListItem[]> {
    const nowIso = iso(clock.now());
    let q = db.selectFrom('api_keys').select(columns).where('workspace_id', '=', workspaceId);
    if (!includeRevoked) {
      q = q.where('revoked_at', 'is', null).where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowIso)]));
    }
    const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
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
    return toDetail(await findRow(db, workspaceId, id));
  }

  async function updateIpRestrictions(p: SessionPrincipal, id: string, ranges: string[], meta: RequestMeta): Promise<ApiKeyDetail> {
    return db.transaction().execute(async (trx) => {
      const row = await findRow(trx, p.workspaceId, id);
      if (row.revoked_at !== null) throw new AppError('api_key_revoked');
      const stored = JSON.stringify(ranges);
      await trx.updateTable('api_keys').set({ allowed_ip_ranges: stored }).where('id', '=', id).execute();
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'api_key.ip_restrictions_updated',
        actor: { type: 'user', id: p.userId },
        target: { type: 'api_key', id },
        meta,
        metadata: { before: JSON.parse(row.allowed_ip_ranges) as string[], after: ranges },
      });
      cache.invalidate(row.key_hash);
      return toDetail({ ...row, allowed_ip_ranges: stored });
    });
  }

  async function revoke(p: SessionPrincipal, id: string, meta: RequestMeta): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const row = await findRow(trx, p.workspaceId, id);
      cache.invalidate(row.key_hash);
      if (row.revoked_at !== null) return;
      await trx.updateTable('api_keys').set({ revoked_at: iso(clock.now()) }).where('id', '=', id).execute();
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'api_key.revoked',
        actor: { type: 'user', id: p.userId },
        target: { type: 'api_key', id },
        meta,
        metadata: { name: row.name, prefix: row.prefix },
      });
    });
  }

  /** A new key with the same name and ranges; the old one keeps working for `graceSeconds` (0: revoked now). */
  async function roll(p: SessionPrincipal, id: string, graceSeconds: number, meta: RequestMeta): Promise<ApiKeyCreated> {
    return db.transaction().execute(async (trx) => {
      const now = clock.now();
      const nowIso = iso(now);
      const row = await findRow(trx, p.workspaceId, id);
      if (row.revoked_at !== null) throw new AppError('api_key_revoked');
      if (row.rolled_to_id !== null) throw new AppError('api_key_already_rolled');
      if (row.expires_at !== null && row.expires_at <= nowIso) throw new AppError('api_key_revoked', 'This API key has expired; create a new one.');
      const created = await insertKey(trx, p, row.name, row.allowed_ip_ranges, null, nowIso);
      const graceEnd = iso(new Date(now.getTime() + graceSeconds * 1000));
      await trx
        .updateTable('api_keys')
        .set(
          graceSeconds === 0
            ? { rolled_to_id: created.id, revoked_at: nowIso }
            : { rolled_to_id: created.id, expires_at: row.expires_at !== null && row.expires_at < graceEnd ? row.expires_at : graceEnd },
        )
        .where('id', '=', id)
        .execute();
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'api_key.rolled',
        actor: { type: 'user', id: p.userId },
        target: { type: 'api_key', id },
        meta,
        metadata: { newKeyId: created.id, gracePeriodSeconds: graceSeconds },
      });
      cache.invalidate(row.key_hash);
      return created;
    });
  }

  const byHash = compileOnce((hash: string) =>
    db
      .selectFrom('api_keys')
      .select(['id', 'workspace_id', 'revoked_at', 'expires_at', 'allowed_ip_ranges', 'expiry_recorded_at'])
      .where('key_hash', '=', hash),
  );

  async function loadForCache(hash: string): Promise<CachedKey | null> {
    const row = (await db.executeQuery(byHash(hash))).rows[0];
    if (!row) return null;
    const ranges = (JSON.parse(row.allowed_ip_ranges) as string[]).map((r) => parseCidr(r)!).filter(Boolean);
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      revoked: row.revoked_at !== null,
      expiresAt: row.expires_at === null ? null : new Date(row.expires_at).getTime(),
      expiryRecorded: row.expiry_recorded_at !== null,
      ranges,
      allowsIp: compileRanges(ranges),
    };
  }

  async function recordExpiry(key: CachedKey, meta: RequestMeta): Promise<void> {
    key.expiryRecorded = true;
    await db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('api_keys')
        .set({ expiry_recorded_at: iso(clock.now()) })
        .where('id', '=', key.id)
        .where('expiry_recorded_at', 'is', null)
        .executeTakeFirst();
      if (res.numUpdatedRows !== 1n) return;
      await audit.record(trx, {
        workspaceId: key.workspaceId,
        action: 'api_key.expired',
        actor: { type: 'api_key', id: key.id },
        target: { type: 'api_key', id: key.id },
        meta,
      });
    });
  }

  const denial = (key: CachedKey, action: 'api_key.ip_denied' | 'api_key.rate_limited', meta: RequestMeta): AuditEntryInput => ({
    workspaceId: key.workspaceId,
    action,
    actor: { type: 'api_key', id: key.id },
    target: { type: 'api_key', id: key.id },
    meta,
  });

  /**
   * The hot path. Checks in the contract's order: format/checksum (no I/O) → known and active
   * (cache, else one indexed read) → IP range → rate limit. Never writes to the database itself.
   */
  async function authenticate(rawKey: string, meta: RequestMeta): Promise<KeyAuthentication> {
    if (!isWellFormedApiKey(rawKey)) throw INVALID_KEY;
    const hash = sha256Hex(rawKey);
    const now = clock.now().getTime();
    let key = cache.get(hash, now);
    if (key === undefined) {
      const version = cache.version;
      const loaded = await loadForCache(hash);
      if (loaded) cache.set(hash, loaded, version);
      else cache.setUnknown(hash, now, version);
      key = loaded ?? 'unknown';
    }
    if (key === 'unknown' || key.revoked) throw INVALID_KEY;
    if (key.expiresAt !== null && key.expiresAt <= now) {
      if (!key.expiryRecorded) await recordExpiry(key, meta);
      throw new AppError('api_key_expired');
    }
    if (key.ranges.length > 0 && !key.allowsIp(meta.ip)) {
      audit.recordDenial(key.id, denial(key, 'api_key.ip_denied', meta));
      throw new AppError('ip_not_allowed', `The IP address ${normalizeIp(meta.ip)} is not allowed to use this API key.`);
    }
    const decision = limiter.consume(key.id, deps.rateLimitPerMinute);
    const rateLimit = { limit: decision.limit, remaining: decision.remaining, resetSeconds: decision.resetSeconds };
    if (!decision.allowed) {
      audit.recordDenial(key.id, denial(key, 'api_key.rate_limited', meta));
      throw new AppError('rate_limited', `Rate limit of ${decision.limit} requests a minute exceeded. Retry in ${decision.retryAfter} s.`, {
        retryAfter: decision.retryAfter,
        rateLimit,
      });
    }
    usage.record(key.id, { at: now, ip: meta.ip });
    return { principal: { kind: 'api_key', keyId: key.id, workspaceId: key.workspaceId }, rateLimit };
  }

  const setLastUse = compileOnce((at: string, ip: string, id: string) =>
    db.updateTable('api_keys').set({ last_used_at: at, last_used_ip: ip }).where('id', '=', id),
  );

  /** Writes the coalesced last-use values in one transaction (one row per key used since the last flush). */
  async function flushUsage(): Promise<number> {
    const batch = usage.take();
    if (batch.size === 0) return 0;
    try {
      await db.transaction().execute(async (trx) => {
        for (const [id, u] of batch) await trx.executeQuery(setLastUse(iso(new Date(u.at)), normalizeIp(u.ip), id));
      });
      flushes++;
    } catch (err) {
      usage.restore(batch);
      throw err;
    }
    return batch.size;
  }

  return {
    create,
    list,
    get,
    updateIpRestrictions,
    revoke,
    roll,
    authenticate,
    flushUsage,
    stats: () => ({ cache: cache.sizes, pendingUsage: usage.size, flushes, rateLimitWindows: limiter.size }),
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
