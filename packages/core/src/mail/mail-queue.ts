import type { Logger } from '../shared/runtime.js';

/**
 * Jobs under way at once. A job may wait for a mail server (it sends the link it made), so jobs run
 * side by side: a sign-in link never waits behind another address's SMTP transaction while fewer
 * are under way, and how soon it leaves does not tell whether some other address has an account.
 */
export const QUEUE_CONCURRENCY = 8;

/**
 * Runs work after the response is sent, so a request for a known and an unknown e-mail costs the
 * same. Jobs start in order, at most QUEUE_CONCURRENCY at a time; `idle()` resolves when every job
 * has finished (shutdown, tests).
 */
export class BackgroundQueue {
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly logger: Logger) {}

  enqueue(name: string, job: () => Promise<void>): void {
    const run = () => {
      const p: Promise<void> = new Promise<void>((r) => setImmediate(r))
        .then(job)
        .catch((err: unknown) => this.logger.error(`background job "${name}" failed`, { error: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          this.running.delete(p);
          this.waiting.shift()?.();
        });
      this.running.add(p);
    };
    if (this.running.size < QUEUE_CONCURRENCY) run();
    else this.waiting.push(run);
  }

  get size(): number {
    return this.running.size + this.waiting.length;
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
