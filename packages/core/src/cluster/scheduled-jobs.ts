import { type Clock, type Logger, iso } from '../shared/runtime.js';
import type { Store } from '../store/store.js';

interface Job {
  name: string;
  everyMs: number;
  run: () => Promise<void>;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
}

/**
 * Periodic work that must happen once per period however many instances run. Each instance asks
 * now and then; the one whose conditional update moves the job's `next_run_at` past now runs it,
 * the others see no row changed. A crash mid-run only delays the work to the next period.
 */
export function createScheduledJobs(deps: { store: Store; clock: Clock; instanceId: string; logger: Logger }) {
  const { store, clock, instanceId, logger } = deps;
  const jobs: Job[] = [];

  async function claim(job: Job): Promise<boolean> {
    const now = clock.now();
    await store.db
      .insertInto('scheduled_jobs')
      .values({ name: job.name, next_run_at: iso(now), claimed_by: null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const res = await store.db
      .updateTable('scheduled_jobs')
      .set({ next_run_at: iso(new Date(now.getTime() + job.everyMs)), claimed_by: instanceId })
      .where('name', '=', job.name)
      .where('next_run_at', '<=', iso(now))
      .executeTakeFirst();
    return res.numUpdatedRows === 1n;
  }

  function tick(job: Job): Promise<void> {
    job.running ??= claim(job)
      .then((mine) => (mine ? job.run() : undefined))
      .catch((err: unknown) => logger.error(`scheduled job "${job.name}" failed; it runs again next period`, { error: String(err) }))
      .finally(() => {
        job.running = undefined;
      });
    return job.running;
  }

  return {
    /** Registers `run` to happen once every `everyMs` across all instances. */
    every(name: string, everyMs: number, run: () => Promise<void>): void {
      jobs.push({ name, everyMs, run });
    },
    start(): void {
      for (const job of jobs) {
        void tick(job);
        job.timer = setInterval(() => void tick(job), Math.min(job.everyMs, 60_000));
        job.timer.unref();
      }
    },
    async stop(): Promise<void> {
      for (const job of jobs) if (job.timer) clearInterval(job.timer);
      await Promise.all(jobs.map((j) => j.running));
    },
    /** Runs every job whose period is due now (tests, with a moved clock). */
    async runDue(): Promise<void> {
      await Promise.all(jobs.map((j) => tick(j)));
    },
  };
}
