import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { BASE62 } from '@pc/contract';

export interface Clock {
  now(): Date;
  /** The same instant in epoch ms, without a Date (the hot path asks twice a request). */
  nowMs?(): number;
}
export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const systemClock: Clock = { now: () => new Date(), nowMs: Date.now };
export const epochMs = (clock: Clock): number => (clock.nowMs ? clock.nowMs() : clock.now().getTime());

/** The source of every secret and id, injectable so tests can be exact. */
export interface RandomSource {
  bytes(n: number): Buffer;
}
export const cryptoRandom: RandomSource = { bytes: (n) => randomBytes(n) };

/** `length` uniformly random base62 characters (rejection sampling, no modulo bias). */
export function randomBase62(random: RandomSource, length: number): string {
  let out = '';
  while (out.length < length) {
    const buf = random.bytes(length * 2);
    for (const b of buf) {
      if (b < 248) out += BASE62[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export type IdPrefix = 'user' | 'ws' | 'key' | 'agt' | 'ses' | 'ml' | 'reg' | 'aud' | 'inst' | 'whk' | 'msg' | 'whd' | 'inv';

export function newId(random: RandomSource, prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(random, 20)}`;
}

/** A bearer secret: 32 random bytes, base64url. */
export function newToken(random: RandomSource): string {
  return random.bytes(32).toString('base64url');
}

/** One-shot `crypto.hash`: about twice as fast as a Hash object for a short input like a key. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export const iso = (d: Date): string => d.toISOString();

export interface Logger {
  /** Routine detail (each usage flush); shown with LOG_LEVEL=debug. Optional: most loggers drop it. */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Who made a request and from where; every audited action carries it. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
  /** The request's `X-Request-Id`, for log lines about work done after the response (mail). */
  requestId?: string | null;
}

/**
 * True when a state-changing request made with a cookie came from another site: an Origin header is
 * present and is not the product's own origin (`Origin: null` included). No Origin (curl) passes.
 */
export function isCrossSite(origin: string | null, publicUrl: string): boolean {
  if (origin === null) return false;
  let ours: string;
  try {
    ours = new URL(publicUrl).origin;
  } catch {
    return true;
  }
  return origin !== ours;
}
