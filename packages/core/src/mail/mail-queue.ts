import type { Logger } from '../shared/runtime.js';

/**
 * Runs work after the response is sent, so a request for a known and an unknown e-mail costs the
 * same. Jobs run one at a time in order; `idle()` resolves when the queue is empty (shutdown, tests).
 */
export class BackgroundQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly logger: Logger) {}

  enqueue(name: string, job: () => Promise<void>): void {
    this.pending++;
    this.tail = this.tail
      .then(() => new Promise<void>((r) => setImmediate(r)))
      .then(job)
      .catch((err: unknown) => this.logger.error(`background job "${name}" failed`, { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        this.pending--;
      });
  }

  get size(): number {
    return this.pending;
  }

  async idle(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }
}
