import type { PublicConfig } from '@pc/contract';
import type { Db } from '@pc/db';
import { sql } from 'kysely';
import { createAgentsService } from './agents/agents.service.js';
import { createApiKeysService } from './api-keys/api-keys.service.js';
import { createAuditService } from './audit/audit.service.js';
import { type AuthLimits, DEFAULT_AUTH_LIMITS, createAuthService } from './auth/auth.service.js';
import { BackgroundQueue } from './mail/mail-queue.js';
import type { Mailer } from './mail/mailer.js';
import { type Clock, type Logger, type RandomSource, cryptoRandom, silentLogger, systemClock } from './shared/runtime.js';

export interface CoreOptions {
  db: Db;
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

/** Every domain service, wired once; transports (REST, tRPC) only translate to and from these. */
export function createCore(opts: CoreOptions) {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? cryptoRandom;
  const logger = opts.logger ?? silentLogger;
  const { db, mailer } = opts;
  const queue = new BackgroundQueue(logger);
  const audit = createAuditService({ db, clock, random, logger });
  const auth = createAuthService({
    db,
    clock,
    random,
    logger,
    mailer,
    queue,
    audit,
    publicUrl: opts.publicUrl,
    limits: { ...DEFAULT_AUTH_LIMITS, ...opts.authLimits },
  });
  const apiKeys = createApiKeysService({ db, clock, random, audit, rateLimitPerMinute: opts.rateLimitPerMinute });
  const agents = createAgentsService({ db, clock, random, audit });

  let timer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  /** Writes coalesced usage now; concurrent calls queue behind each other. */
  function flush(): Promise<void> {
    flushing = flushing.then(async () => {
      try {
        await apiKeys.flushUsage();
        await auth.flushUsage();
      } catch (err) {
        logger.error('could not write coalesced usage; will retry', { error: String(err) });
      }
    });
    return flushing;
  }

  const publicConfig: PublicConfig = { mailConfigured: mailer.delivers, publicUrl: opts.publicUrl };

  return {
    auth,
    apiKeys,
    agents,
    audit,
    queue,
    clock,
    publicConfig,
    flush,
    async health(): Promise<boolean> {
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    /** Starts the background flush and sweep timers. */
    start(): void {
      const every = opts.usageFlushMs ?? 1000;
      timer = setInterval(() => void flush(), every);
      timer.unref();
      const sweep = () => auth.sweepExpired().catch((err: unknown) => logger.error('sweep failed', { error: String(err) }));
      void sweep();
      sweepTimer = setInterval(sweep, 10 * 60_000);
      sweepTimer.unref();
    },
    /** Stops timers, finishes queued mail and writes what is still in memory. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      if (sweepTimer) clearInterval(sweepTimer);
      await queue.idle();
      await flush();
      mailer.close();
    },
  };
}

export type Core = ReturnType<typeof createCore>;
