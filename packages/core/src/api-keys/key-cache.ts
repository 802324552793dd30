import type { ParsedCidr } from '@pc/contract';

/** What the hot path needs to decide on a key, with its ranges parsed once. */
export interface CachedKey {
  id: string;
  workspaceId: string;
  revoked: boolean;
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
  expiryRecorded: boolean;
  ranges: ParsedCidr[];
  /** `ranges` compiled once for the per-request check (see compileRanges). */
  allowsIp: (ip: string) => boolean;
}

interface NegativeEntry {
  until: number;
}

/**
 * Key look-ups by SHA-256 hash. Positive entries live until a mutation of their key invalidates
 * them; unknown hashes are remembered briefly so a flood of made-up keys costs one query each at
 * most per TTL. Both maps are bounded: the oldest entry goes first.
 */
export class KeyCache {
  private readonly positive = new Map<string, CachedKey>();
  private readonly negative = new Map<string, NegativeEntry>();
  /** Bumped by every invalidation, so a look-up that raced a mutation does not cache what it read. */
  private generation = 0;

  constructor(
    private readonly maxPositive = 100_000,
    private readonly maxNegative = 10_000,
    private readonly negativeTtlMs = 10_000,
  ) {}

  get(hash: string, now: number): CachedKey | 'unknown' | undefined {
    const hit = this.positive.get(hash);
    if (hit) return hit;
    const miss = this.negative.get(hash);
    if (miss) {
      if (miss.until > now) return 'unknown';
      this.negative.delete(hash);
    }
    return undefined;
  }

  get version(): number {
    return this.generation;
  }

  /** Caches a look-up's result unless an invalidation happened since `version` was read. */
  set(hash: string, key: CachedKey, version: number): void {
    if (version !== this.generation) return;
    this.negative.delete(hash);
    if (this.positive.size >= this.maxPositive) this.evictOldest(this.positive);
    this.positive.set(hash, key);
  }

  setUnknown(hash: string, now: number, version: number): void {
    if (version !== this.generation) return;
    if (this.negative.size >= this.maxNegative) this.evictOldest(this.negative);
    this.negative.set(hash, { until: now + this.negativeTtlMs });
  }

  invalidate(hash: string): void {
    this.generation++;
    this.positive.delete(hash);
    this.negative.delete(hash);
  }

  clear(): void {
    this.generation++;
    this.positive.clear();
    this.negative.clear();
  }

  get sizes(): { positive: number; negative: number } {
    return { positive: this.positive.size, negative: this.negative.size };
  }

  private evictOldest(map: Map<string, unknown>): void {
    const first = map.keys().next();
    if (!first.done) map.delete(first.value);
  }
}
