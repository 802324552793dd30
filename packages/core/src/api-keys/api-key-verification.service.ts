import { compileRanges, isWellFormedApiKey, normalizeIp, parseCidr } from '@pc/contract';
import type { AuditEntryInput, AuditService } from '../audit/audit.service.js';
import type { KeyInvalidation } from '../cluster/key-invalidation.js';
import { AppError, type RateLimitState } from '../errors.js';
import type { ApiKeyPrincipal } from '../shared/principal.js';
import type { RateLimitDecision, RateLimiter } from '../shared/rate-limiter.js';
import { type Clock, type RequestMeta, iso, sha256Hex } from '../shared/runtime.js';
import type { UsageBuffer } from '../shared/usage-buffer.js';
import { writeLastUse } from '../shared/last-use.js';
import type { Store } from '../store/store.js';
import type { KeyUse } from './api-key-management.service.js';
import type { ApiKeysRepository } from './api-keys.repository.js';
import type { CachedKey, KeyCache } from './key-cache.js';

export interface KeyAuthentication {
  principal: ApiKeyPrincipal;
  rateLimit: RateLimitState;
}

export interface ApiKeyVerificationDeps {
  store: Store;
  repo: ApiKeysRepository;
  cache: KeyCache;
  invalidation: KeyInvalidation;
  limiter: RateLimiter;
  usage: UsageBuffer<KeyUse>;
  clock: Clock;
  audit: AuditService;
  rateLimitPerMinute: number;
}

// Thrown for every malformed, unknown or revoked key. Built once: a flood of bad keys then costs no
// stack capture, which is dearer than the checks themselves. AppError stacks are never shown.
const INVALID_KEY = new AppError('invalid_api_key');

/** The key check on every `/v1` request made with `x-api-key`, and the usage it records. */
export function createApiKeyVerification(deps: ApiKeyVerificationDeps) {
  const { store, repo, cache, invalidation, limiter, usage, clock, audit } = deps;
  let flushes = 0;

  async function load(hash: string): Promise<CachedKey | null> {
    const row = await repo.findByHash(hash);
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
    await store.transaction(async (trx) => {
      if (!(await repo.claimExpiryRecord(trx, key.id, iso(clock.now())))) return;
      await audit.record(trx, { workspaceId: key.workspaceId, action: 'api_key.expired', actor: { type: 'api_key', id: key.id }, target: { type: 'api_key', id: key.id }, meta });
    });
  }

  const denial = (key: CachedKey, action: 'api_key.ip_denied' | 'api_key.rate_limited', meta: RequestMeta): AuditEntryInput => ({
    workspaceId: key.workspaceId,
    action,
    actor: { type: 'api_key', id: key.id },
    target: { type: 'api_key', id: key.id },
    meta,
  });

  function admit(key: CachedKey, decision: RateLimitDecision, meta: RequestMeta, now: number): KeyAuthentication {
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

  /**
   * The hot path. Checks in the contract's order: format/checksum (no I/O) → known and active
   * (cache while it is fresh, else one indexed read) → IP range → rate limit. It never writes to
   * the database itself; on PostgreSQL the shared rate limit leases its budget in chunks.
   */
  async function authenticate(rawKey: string, meta: RequestMeta): Promise<KeyAuthentication> {
    if (!isWellFormedApiKey(rawKey)) throw INVALID_KEY;
    const hash = sha256Hex(rawKey);
    const now = clock.now().getTime();
    let key = invalidation.isFresh() ? cache.get(hash, now) : undefined;
    if (key === undefined) {
      const version = cache.version;
      const loaded = await load(hash);
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
    return admit(key, decision instanceof Promise ? await decision : decision, meta, now);
  }

  /** Writes the coalesced last-use values (one row per key used since the last flush), in chunks. */
  async function flushUsage(): Promise<number> {
    const batch = usage.take();
    if (batch.size === 0) return 0;
    const rows = [...batch].map(([id, u]) => ({ id, at: iso(new Date(u.at)), ip: normalizeIp(u.ip) }));
    const { written, failed, error } = await writeLastUse(store.db, 'api_keys', rows);
    if (failed.length > 0) {
      usage.restore(new Map(failed.map((r) => [r.id, batch.get(r.id)!])));
      throw error;
    }
    flushes++;
    return written;
  }

  return {
    authenticate,
    flushUsage,
    stats: () => ({ cache: cache.sizes, pendingUsage: usage.size, flushes, invalidation: invalidation.stats() }),
  };
}

export type ApiKeyVerification = ReturnType<typeof createApiKeyVerification>;
