import type { RateLimitState } from '../errors.js';
import { type Clock, epochMs } from './runtime.js';

export interface RateLimitDecision extends RateLimitState {
  allowed: boolean;
  /** Seconds until a request would be allowed again (0 when allowed). */
  retryAfter: number;
}

/**
 * Fixed windows aligned to the clock (every instance agrees on when a window starts), counted per
 * bucket: an API key, a client IP, an e-mail address. A decision is synchronous when it needs no
 * I/O, so the key check's hot path does not pay for a promise it does not need.
 */
export interface RateLimiter {
  consume(bucket: string, limit: number): RateLimitDecision | Promise<RateLimitDecision>;
}

/** Where a window stands at `now`. */
export function windowAt(now: number, windowMs: number): { start: number; resetSeconds: number } {
  const start = now - (now % windowMs);
  return { start, resetSeconds: Math.max(1, Math.ceil((start + windowMs - now) / 1000)) };
}

export function decide(allowed: boolean, limit: number, remaining: number, resetSeconds: number): RateLimitDecision {
  return { allowed, limit, remaining: allowed ? remaining : 0, resetSeconds, retryAfter: allowed ? 0 : resetSeconds };
}

/**
 * Counters in this process's memory, for the one-process SQLite store. Expired windows are swept
 * as the map grows, so memory is bounded by the buckets active within one window.
 */
export class FixedWindowLimiter implements RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  consume(bucket: string, limit: number): RateLimitDecision {
    const now = epochMs(this.clock);
    this.sweep(now);
    const { start, resetSeconds } = windowAt(now, this.windowMs);
    let w = this.windows.get(bucket);
    if (!w || w.start !== start) {
      w = { start, count: 0 };
      this.windows.set(bucket, w);
    }
    if (w.count >= limit) return decide(false, limit, 0, resetSeconds);
    w.count++;
    return decide(true, limit, limit - w.count, resetSeconds);
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    const { start } = windowAt(now, this.windowMs);
    for (const [k, w] of this.windows) if (w.start !== start) this.windows.delete(k);
  }
}
