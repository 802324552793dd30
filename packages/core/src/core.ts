import type { PublicConfig } from '@pc/contract';
import { sql } from 'kysely';
import { createAgentsService } from './agents/agents.service.js';
import { createApiKeyManagement, type KeyUse } from './api-keys/api-key-management.service.js';
import { createApiKeyVerification } from './api-keys/api-key-verification.service.js';
import { createApiKeysRepository } from './api-keys/api-keys.repository.js';
import { KeyCache } from './api-keys/key-cache.js';
import { createAuditService } from './audit/audit.service.js';
import { type AuthLimits, DEFAULT_AUTH_LIMITS } from './auth/auth-limits.js';
import { createSessionsService } from './auth/sessions.service.js';
import { createSignInService } from './auth/sign-in.service.js';
import { createClusterKeyInvalidation, createLocalKeyInvalidation } from './cluster/key-invalidation.js';
import { createScheduledJobs } from './cluster/scheduled-jobs.js';
import { SharedWindowLimiter } from './cluster/shared-rate-limiter.js';
import { BackgroundQueue } from './mail/mail-queue.js';
import type { Mailer } from './mail/mailer.js';
import { createSweep } from './maintenance/sweep.js';
import { FixedWindowLimiter, type RateLimiter } from './shared/rate-limiter.js';
import { type Clock, type Logger, type RandomSource, cryptoRandom, newId, silentLogger, systemClock } from './shared/runtime.js';
import { UsageBuffer } from './shared/usage-buffer.js';
import { type StoreDeps, createStore } from './store/store.js';

export interface CoreOptions {
  /** The database: `createDb(url)` from @pc/db gives what this needs. */
  store: StoreDeps;
  mailer: Mailer;
  /** Origin of the product as users reach it, without a trailing slash. */
  publicUrl: string;
  rateLimitPerMinute: number;
  authLimits?: Partial<AuthLimits>;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  /** How often coalesced last-use values are written; the contract asks for ≤ 2 s. */
  usageFlushMs?: number;
}

const SWEEP_EVERY_MS = 10 * 60_000;
const HEALTH_TIMEOUT_MS = 2000;

/** Every domain service, wired once; transports (REST, tRPC) only translate to and from these. */
export function createCore(opts: CoreOptions) {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? cryptoRandom;
  const logger = opts.logger ?? silentLogger;
  const { mailer } = opts;
  const store = createStore(opts.store, logger);
  const instanceId = newId(random, 'inst');
  const queue = new BackgroundQueue(logger);
  const audit = createAuditService({ store, clock, random, logger });

  // One process (SQLite) keeps its cache and counters in memory. Several instances (PostgreSQL)
  // share both through the database: changes reach every cache, budgets are leased in chunks.
  const cache = new KeyCache();
  const notifications = store.dialect === 'postgres' ? store.notifications : null;
  const invalidation = notifications
    ? createClusterKeyInvalidation({ store, notifications, cache, instanceId, clock, logger })
    : createLocalKeyInvalidation(cache);
  const sharedLimiters: SharedWindowLimiter[] = [];
  const limiter = (windowMs: number): RateLimiter => {
    if (!notifications) return new FixedWindowLimiter(clock, windowMs);
    const shared = new SharedWindowLimiter(store, clock, windowMs);
    sharedLimiters.push(shared);
    return shared;
  };

  const signIn = createSignInService({
    store,
    clock,
    random,
    mailer,
    queue,
    audit,
    publicUrl: opts.publicUrl,
    limits: { ...DEFAULT_AUTH_LIMITS, ...opts.authLimits },
    limiters: { perMinute: limiter(60_000), per15Minutes: limiter(15 * 60_000) },
  });
  const sessions = createSessionsService({ store, clock, audit });
  const repo = createApiKeysRepository(store);
  const usage = new UsageBuffer<KeyUse>();
  const management = createApiKeyManagement({ store, repo, invalidation, usage, clock, random, audit });
  const verification = createApiKeyVerification({
    store,
    repo,
    cache,
    invalidation,
    limiter: limiter(60_000),
    usage,
    clock,
    audit,
    rateLimitPerMinute: opts.rateLimitPerMinute,
  });
  const agents = createAgentsService({ store, clock, random, audit });
  const sweep = createSweep({ store, clock, sharedLimiters });
  const jobs = createScheduledJobs({ store, clock, instanceId, logger });
  jobs.every('sweep', SWEEP_EVERY_MS, sweep);

  let flushTimer: NodeJS.Timeout | undefined;
  let connected: Promise<void> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  /** Writes coalesced usage now; concurrent calls queue behind each other. */
  function flush(): Promise<void> {
    flushing = flushing.then(async () => {
      try {
        await verification.flushUsage();
        await sessions.flushUsage();
      } catch (err) {
        logger.error('could not write coalesced usage; will retry', { error: String(err) });
      }
    });
    return flushing;
  }

  const publicConfig: PublicConfig = { mailConfigured: mailer.delivers, publicUrl: opts.publicUrl };

  return {
    auth: { ...signIn, ...sessions, sweepExpired: sweep },
    apiKeys: { ...management, ...verification },
    agents,
    audit,
    queue,
    clock,
    instanceId,
    dialect: store.dialect,
    publicConfig,
    flush,
    jobs,
    /** Whether the database answers, within 2 s. */
    async health(): Promise<boolean> {
      const timeout = new Promise<false>((r) => setTimeout(() => r(false), HEALTH_TIMEOUT_MS).unref());
      const query = sql`select 1`.execute(store.db).then(
        () => true,
        () => false,
      );
      return Promise.race([query, timeout]);
    },
    /**
     * Joins the other instances (PostgreSQL: listens for key changes and polls the change log, so
     * cached keys are served only once this instance is in step). Resolves when it may serve.
     */
    connect(): Promise<void> {
      connected ??= invalidation.start();
      return connected;
    },
    /** connect(), then the background usage flush and the scheduled jobs. */
    async start(): Promise<void> {
      connected ??= invalidation.start();
      await connected;
      flushTimer = setInterval(() => void flush(), opts.usageFlushMs ?? 1000);
      flushTimer.unref();
      jobs.start();
    },
    /** Stops timers, finishes queued mail, writes what is still in memory, leaves the other instances. */
    async stop(): Promise<void> {
      if (flushTimer) clearInterval(flushTimer);
      await jobs.stop();
      await queue.idle();
      await flush();
      await invalidation.stop();
      mailer.close();
    },
  };
}

export type Core = ReturnType<typeof createCore>;
