import { API_KEY_LENGTH, compileRanges, isWellFormedApiKey, normalizeIp, parseCidr } from '@pc/contract';
import type { AuditEntryInput, AuditService } from '../audit/audit.service.js';
import type { KeyInvalidation } from '../cluster/key-invalidation.js';
import { AppError, type RateLimitState } from '../errors.js';
import type { ApiKeyPrincipal } from '../shared/principal.js';
import type { RateLimitDecision, RateLimiter } from '../shared/rate-limiter.js';
import { type Clock, type RequestMeta, epochMs, iso, sha256Hex } from '../shared/runtime.js';
import type { UsageBuffer } from '../shared/usage-buffer.js';
import type { CoreObserver, KeyOutcome } from '../shared/observer.js';
import { createLastUseFlush } from '../shared/last-use.js';
import type { Store } from '../store/store.js';
import type { KeyUse } from './api-key-management.service.js';
import type { ApiKeysRepository } from './api-keys.repository.js';
import type { CachedKey, KeyCache } from './key-cache.js';
import type { UsageCounter } from '../usage/usage-counter.js';

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
  observer: CoreObserver;
  /** Requests per key and hour by outcome (usage history); counted here, written by the flush. */
  counter: UsageCounter;
  rateLimitPerMinute: number;
}

// Thrown for every malformed, unknown or revoked key. Built once: a flood of bad keys then costs no
// stack capture, which is dearer than the checks themselves. AppError stacks are never shown.
const INVALID_KEY = new AppError('invalid_api_key');

/** The key check on every `/v1` request made with `x-api-key`, and the usage it records. */
export function createApiKeyVerification(deps: ApiKeyVerificationDeps) {
  const { store, repo, cache, invalidation, limiter, usage, clock, audit, observer, counter } = deps;
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
      observer.keyChecked('rate_limited');
      counter.count(key.id, key.workspaceId, 'rateLimited', now);
      audit.recordDenial(key.id, denial(key, 'api_key.rate_limited', meta));
      throw new AppError('rate_limited', `Rate limit of ${decision.limit} requests a minute exceeded. Retry in ${decision.retryAfter} s.`, {
        retryAfter: decision.retryAfter,
        rateLimit,
      });
    }
    usage.record(key.id, { at: now, ip: meta.ip });
    counter.count(key.id, key.workspaceId, 'ok', now);
    observer.keyChecked('ok');
    return { principal: { kind: 'api_key', keyId: key.id, workspaceId: key.workspaceId }, rateLimit };
  }

  const refuse = (outcome: KeyOutcome, err: AppError): never => {
    observer.keyChecked(outcome);
    throw err;
  };

  /** A key's rules, in the contract's order after "known": active, IP range, rate limit. */
  function judge(key: CachedKey, meta: RequestMeta, now: number): KeyAuthentication | Promise<KeyAuthentication> {
    if (key.revoked) return refuse('revoked', INVALID_KEY);
    if (key.expiresAt !== null && key.expiresAt <= now) {
      counter.count(key.id, key.workspaceId, 'expired', now);
      const expired = () => refuse('expired', new AppError('api_key_expired'));
      return key.expiryRecorded ? expired() : recordExpiry(key, meta).then(expired);
    }
    if (key.ranges.length > 0 && !key.allowsIp(meta.ip)) {
      observer.keyChecked('ip_not_allowed');
      counter.count(key.id, key.workspaceId, 'ipNotAllowed', now);
      audit.recordDenial(key.id, denial(key, 'api_key.ip_denied', meta));
      throw new AppError('ip_not_allowed', `The IP address ${normalizeIp(meta.ip)} is not allowed to use this API key.`);
    }
    const decision = limiter.consume(key.id, deps.rateLimitPerMinute);
    return decision instanceof Promise ? decision.then((d) => admit(key, d, meta, now)) : admit(key, decision, meta, now);
  }

  async function lookUp(hash: string, meta: RequestMeta, now: number): Promise<KeyAuthentication> {
    const version = cache.version;
    const loaded = await load(hash);
    if (loaded) cache.set(hash, loaded, version);
    else cache.setUnknown(hash, now, version);
    if (!loaded) return refuse('unknown', INVALID_KEY);
    return judge(loaded, meta, now);
  }

  /**
   * The hot path, in the contract's order: format/checksum (no I/O) → known and active (cache while
   * it is fresh, else one indexed read) → IP range → rate limit. It never writes to the database
   * itself; on PostgreSQL the shared rate limit leases its budget in chunks. The answer (or the
   * refusal, thrown) is synchronous when the key is cached and its budget at hand, a promise
   * otherwise: the REST guard takes it without a turn of the event loop. Only keys that passed
   * the format check are ever cached, so a cached key is looked up before its checksum is redone.
   */
  function check(rawKey: string, meta: RequestMeta): KeyAuthentication | Promise<KeyAuthentication> {
    if (rawKey.length !== API_KEY_LENGTH) return refuse('malformed', INVALID_KEY);
    const hash = sha256Hex(rawKey);
    const now = epochMs(clock);
    const cached = invalidation.isFresh() ? cache.get(hash, now) : undefined;
    if (cached !== undefined && cached !== 'unknown') {
      observer.keyCacheLookup(true);
      return judge(cached, meta, now);
    }
    if (!isWellFormedApiKey(rawKey)) return refuse('malformed', INVALID_KEY);
    observer.keyCacheLookup(cached === 'unknown');
    if (cached === 'unknown') return refuse('unknown', INVALID_KEY);
    return lookUp(hash, meta, now);
  }

  /** `check`, always as a promise (tRPC, tests). */
  const authenticate = async (rawKey: string, meta: RequestMeta): Promise<KeyAuthentication> => check(rawKey, meta);

  const flushLastUse = createLastUseFlush<KeyUse>({
    db: store.db,
    dialect: store.dialect,
    table: 'api_keys',
    buffer: usage,
    toRow: (u) => ({ at: iso(new Date(u.at)), ip: normalizeIp(u.ip) }),
    observer,
  });

  /** Writes the coalesced last-use values (one row per key used since the last flush), in chunks. */
  async function flushUsage(): Promise<number> {
    const written = await flushLastUse();
    if (written > 0) flushes++;
    return written;
  }

  return {
    check,
    authenticate,
    flushUsage,
    stats: () => ({ cache: cache.sizes, pendingUsage: usage.size, flushes, invalidation: invalidation.stats() }),
  };
}

export type ApiKeyVerification = ReturnType<typeof createApiKeyVerification>;
