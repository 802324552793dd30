import type { RateLimitState } from '../errors.js';
import type { Clock } from './runtime.js';

export interface RateLimitDecision extends RateLimitState {
  allowed: boolean;
  /** Seconds until a request would be allowed again (0 when allowed). */
  retryAfter: number;
}

/**
 * Fixed-window counters in memory, one per key. Expired windows are swept as the map grows,
 * so memory is bounded by the number of keys active within one window.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {}

  consume(key: string, limit: number): RateLimitDecision {
    const now = this.clock.now().getTime();
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    const resetSeconds = Math.max(1, Math.ceil((w.start + this.windowMs - now) / 1000));
    if (w.count >= limit) {
      return { allowed: false, limit, remaining: 0, resetSeconds, retryAfter: resetSeconds };
    }
    w.count++;
    return { allowed: true, limit, remaining: limit - w.count, resetSeconds, retryAfter: 0 };
  }

  /** Forget a key's window (e.g. when the key is deleted). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (now - w.start >= this.windowMs) this.windows.delete(k);
  }
}
