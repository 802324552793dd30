import { DEFAULT_ABUSE_IPV6_PREFIX, abuseClient } from '@pc/contract';
import { AppError } from '../errors.js';
import type { RateLimiter } from '../shared/rate-limiter.js';
import { DAY_MS, type RequestMeta } from '../shared/runtime.js';

export interface AuthLimits {
  registerPerIpPerMinute: number;
  loginPerIpPerMinute: number;
  /** Across register and login, whether or not the account exists. */
  perEmailPer15Minutes: number;
  verifyPerIpPerMinute: number;
  /** IPv6 clients count per network of this prefix in the per-IP limits (IPv4: per address). */
  ipv6Prefix: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  registerPerIpPerMinute: 5,
  loginPerIpPerMinute: 5,
  perEmailPer15Minutes: 3,
  verifyPerIpPerMinute: 20,
  ipv6Prefix: DEFAULT_ABUSE_IPV6_PREFIX,
};

export const MAGIC_LINK_TTL_MS = 15 * 60_000;
export const SESSION_TTL_MS = 30 * DAY_MS;

/** Abuse limits per client IP (one-minute windows) and per e-mail (15 minutes); shared by all instances on PostgreSQL. */
export interface AbuseLimiters {
  perMinute: RateLimiter;
  per15Minutes: RateLimiter;
}

/**
 * Before a mailed token (a sign-in link, an invitation) is looked up: one request of the client's
 * per-IP verify budget, then whether it has a token's shape (32 random bytes, base64url). Refuses
 * with 429 `rate_limited`, or with `invalid` for a value no token could be.
 */
export async function spendOnToken(
  limiters: AbuseLimiters,
  limits: AuthLimits,
  meta: RequestMeta,
  token: string,
  invalid: 'invalid_token' | 'invalid_invitation',
): Promise<void> {
  await spend(limiters.perMinute, `verify:${abuseClient(meta.ip, limits.ipv6Prefix)}`, limits.verifyPerIpPerMinute);
  if (token.length < 32 || token.length > 200) throw new AppError(invalid);
}

/** Spends one request of `bucket`'s budget, or refuses with 429 `rate_limited`. */
export async function spend(limiter: RateLimiter, bucket: string, max: number): Promise<void> {
  const d = await limiter.consume(bucket, max);
  if (!d.allowed) throw new AppError('rate_limited', 'Too many requests. Retry later.', { retryAfter: d.retryAfter });
}
