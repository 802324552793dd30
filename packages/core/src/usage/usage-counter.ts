import type { UsageOutcome } from '@pc/contract';
import { HOUR_MS } from '../shared/runtime.js';

export const OUTCOME_INDEX = { ok: 0, ipNotAllowed: 1, rateLimited: 2, expired: 3 } as const satisfies Record<UsageOutcome, number>;

/** One key's requests in one hour, by outcome (in OUTCOME_INDEX order). */
export interface HourCounts {
  keyId: string;
  workspaceId: string;
  /** Epoch ms of the hour's start. */
  hour: number;
  counts: [number, number, number, number];
}

/**
 * Requests per key and hour, counted in memory on the hot path (a map look-up and an increment)
 * and handed to the flush, which adds them to the stored rows. Each key keeps its current hour;
 * when a request falls in a new hour, the old one is set aside for the next flush.
 */
export class UsageCounter {
  private current = new Map<string, HourCounts>();
  private sealed: HourCounts[] = [];

  /** `enabled: false` (USAGE_HISTORY=off) counts nothing: the usage reads answer zeros. */
  constructor(private readonly enabled = true) {}

  count(keyId: string, workspaceId: string, outcome: UsageOutcome, nowMs: number): void {
    if (!this.enabled) return;
    const hour = nowMs - (nowMs % HOUR_MS);
    let entry = this.current.get(keyId);
    if (entry === undefined || entry.hour !== hour) {
      if (entry !== undefined) this.sealed.push(entry);
      entry = { keyId, workspaceId, hour, counts: [0, 0, 0, 0] };
      this.current.set(keyId, entry);
    }
    entry.counts[OUTCOME_INDEX[outcome]]++;
  }

  /** Everything counted since the last take, for the flush. */
  take(): HourCounts[] {
    const all = [...this.sealed, ...this.current.values()];
    this.sealed = [];
    this.current = new Map();
    return all;
  }

  /** Puts back what a failed flush did not write, added to what was counted meanwhile. */
  restore(entries: HourCounts[]): void {
    for (const e of entries) {
      const now = this.current.get(e.keyId);
      if (now !== undefined && now.hour === e.hour) for (let i = 0; i < 4; i++) now.counts[i]! += e.counts[i]!;
      else this.sealed.push(e);
    }
  }

  /** What is counted and not yet written, for reads to add (one key, or a whole workspace). */
  pending(match: { keyId: string } | { workspaceId: string }): HourCounts[] {
    const hit = 'keyId' in match ? (e: HourCounts) => e.keyId === match.keyId : (e: HourCounts) => e.workspaceId === match.workspaceId;
    const out = this.sealed.filter(hit);
    if ('keyId' in match) {
      const cur = this.current.get(match.keyId);
      if (cur) out.push(cur);
    } else {
      for (const e of this.current.values()) if (hit(e)) out.push(e);
    }
    return out;
  }

  get size(): number {
    return this.current.size + this.sealed.length;
  }
}
