/**
 * Coalesces "last used" writes in memory: each id keeps only its newest value, and `take()` hands
 * the batch to a flush that writes it in one transaction. Reads overlay `peek()` so they are exact.
 */
export class UsageBuffer<V> {
  private pending = new Map<string, V>();

  record(id: string, value: V): void {
    this.pending.set(id, value);
  }

  peek(id: string): V | undefined {
    return this.pending.get(id);
  }

  entries(): IterableIterator<[string, V]> {
    return this.pending.entries();
  }

  take(): Map<string, V> {
    const batch = this.pending;
    this.pending = new Map();
    return batch;
  }

  /** Puts a batch back after a failed flush, without overwriting newer values. */
  restore(batch: Map<string, V>): void {
    for (const [id, v] of batch) if (!this.pending.has(id)) this.pending.set(id, v);
  }

  get size(): number {
    return this.pending.size;
  }
}

/**
 * What a read lays over the stored value: the use this instance still holds, unless the store has a
 * newer one (another instance wrote it since). `at` is epoch ms, `stored` an ISO timestamp or null.
 */
export function heldIfNewer<V extends { at: number }>(held: V | undefined, stored: string | null): V | undefined {
  return held !== undefined && (stored === null || held.at > Date.parse(stored)) ? held : undefined;
}
