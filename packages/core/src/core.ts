import type { PublicConfig, SignupPolicy } from '@pc/contract';
import { sql } from 'kysely';
import { DEFAULT_AGENT_OFFLINE_AFTER_SECONDS, DEFAULT_USAGE_RETENTION_DAYS } from '@pc/contract';
import { PRESENCE_CHECK_MS, createAgentPresence } from './agents/agent-presence.js';
import { type Heartbeat, createAgentsService } from './agents/agents.service.js';
import { createApiKeyManagement, type KeyUse } from './api-keys/api-key-management.service.js';
import { createApiKeyVerification } from './api-keys/api-key-verification.service.js';
import { createApiKeysRepository } from './api-keys/api-keys.repository.js';
import { KeyCache } from './api-keys/key-cache.js';
import { EXPIRY_NOTICE_CHECK_MS, createKeyExpiryNotices } from './api-keys/key-expiry-notices.js';
import { createAuditService } from './audit/audit.service.js';
import { type AuthLimits, DEFAULT_AUTH_LIMITS } from './auth/auth-limits.js';
import { createSessionsService } from './auth/sessions.service.js';
import { createSignInService } from './auth/sign-in.service.js';
import { createInvitationsService } from './teams/invitations.service.js';
import { createMembersService } from './teams/members.service.js';
import { createWorkspaceDeletion } from './teams/workspace-deletion.js';
import { createKeyInvalidation } from './cluster/key-invalidation.js';
import { createScheduledJobs } from './cluster/scheduled-jobs.js';
import { SharedWindowLimiter } from './cluster/shared-rate-limiter.js';
import { MailDelivery } from './mail/mail-delivery.js';
import { BackgroundQueue } from './mail/mail-queue.js';
import type { Mailer } from './mail/mailer.js';
import { createSweep } from './maintenance/sweep.js';
import { createOperatorService } from './operator/operator.service.js';
import { FixedWindowLimiter, type RateLimiter } from './shared/rate-limiter.js';
import { type Clock, type Logger, type RandomSource, cryptoRandom, newId, silentLogger, systemClock } from './shared/runtime.js';
import { type CoreObserver, silentObserver } from './shared/observer.js';
import { UsageBuffer } from './shared/usage-buffer.js';
import { UsageCounter } from './usage/usage-counter.js';
import { createUsageHistory } from './usage/usage-history.js';
import { type StoreDeps, createStore } from './store/store.js';
import { createWebhookDelivery } from './webhooks/webhook-delivery.js';
import { createWebhookOutbox } from './webhooks/webhook-outbox.js';
import { type ResolveHost, systemResolveHost } from './webhooks/webhook-targets.js';
import { createWebhookLog } from './webhooks/webhook-log.js';
import { createWebhooksService } from './webhooks/webhooks.service.js';

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
  /** Who may sign up (default: anyone). */
  signup?: SignupPolicy;
  /** Audit entries older than this are deleted by the sweep (default DEFAULT_AUDIT_RETENTION_DAYS). */
  auditRetentionDays?: number;
  /** Waits between delivery attempts of a mail (default: 2 s … 5 min, about 9 minutes in all). */
  mailBackoffMs?: number[];
  /** True for a process that is not the server but works beside one on the same SQLite file (the admin command). */
  besideServer?: boolean;
  /** Told about key checks, the cache, flushes, mail and sign-ins (metrics). */
  observer?: CoreObserver;
  /** Hourly usage counts older than this are deleted by the sweep (default DEFAULT_USAGE_RETENTION_DAYS). */
  usageRetentionDays?: number;
  /** false (USAGE_HISTORY=off): requests are not counted per key and hour. */
  usageHistory?: boolean;
  /** An agent is online while its last heartbeat is younger than this (default 90). */
  agentOfflineAfterSeconds?: number;
  webhooks?: {
    /** WEBHOOK_ALLOW_PRIVATE_TARGETS: deliveries may go to loopback and private addresses, and over http. */
    allowPrivateTargets?: boolean;
    /** How host names are resolved before a delivery (default: the system resolver). */
    resolveHost?: ResolveHost;
  };
}

const SWEEP_EVERY_MS = 10 * 60_000;
/** How long audit entries are kept unless the server says otherwise (AUDIT_RETENTION_DAYS). */
export const DEFAULT_AUDIT_RETENTION_DAYS = 400;
const HEALTH_TIMEOUT_MS = 2000;

/** Every domain service, wired once; transports (REST, tRPC) only translate to and from these. */
export function createCore(opts: CoreOptions) {
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? cryptoRandom;
  const logger = opts.logger ?? silentLogger;
  const observed = opts.observer ?? silentObserver;
  // Each flush is a metric and, at LOG_LEVEL=debug, a log line: both from the one report.
  const observer: CoreObserver = {
    ...observed,
    usageFlushed(table, rows, ms) {
      observed.usageFlushed(table, rows, ms);
      logger.debug?.('usage flushed', { table, rows, durationMs: Math.round(ms * 10) / 10 });
    },
  };
  const { mailer } = opts;
  const store = createStore(opts.store, logger);
  const signup: SignupPolicy = opts.signup ?? { open: true, emailDomains: [] };
  const instanceId = newId(random, 'inst');
  const queue = new BackgroundQueue(logger);
  const mail = new MailDelivery(mailer, logger, opts.mailBackoffMs, observer);
  const audit = createAuditService({ store, clock, random, logger });

  // One process (SQLite) keeps its cache and counters in memory. Several instances (PostgreSQL)
  // share both through the database: changes reach every cache, budgets are leased in chunks.
  const cache = new KeyCache();
  const notifications = store.dialect === 'postgres' ? store.notifications : null;
  const invalidation = createKeyInvalidation({ store, notifications, cache, instanceId, clock, logger, besideServer: opts.besideServer ?? false });
  const sharedLimiters: SharedWindowLimiter[] = [];
  const limiter = (windowMs: number): RateLimiter => {
    if (!notifications) return new FixedWindowLimiter(clock, windowMs);
    const shared = new SharedWindowLimiter(store, clock, windowMs);
    sharedLimiters.push(shared);
    return shared;
  };

  const authLimits = { ...DEFAULT_AUTH_LIMITS, ...opts.authLimits };
  const abuseLimiters = { perMinute: limiter(60_000), per15Minutes: limiter(15 * 60_000) };
  const signIn = createSignInService({ store, clock, random, mail, queue, audit, publicUrl: opts.publicUrl, limits: authLimits, limiters: abuseLimiters, signup, observer });
  const members = createMembersService({ store, audit });
  const invitations = createInvitationsService({ store, clock, random, audit, mail, queue, publicUrl: opts.publicUrl, limits: authLimits, limiters: abuseLimiters });
  const sessions = createSessionsService({ store, clock, audit, observer });
  const targets = { allowPrivate: opts.webhooks?.allowPrivateTargets ?? false, resolve: opts.webhooks?.resolveHost ?? systemResolveHost };
  const delivery = createWebhookDelivery({ store, clock, random, instanceId, logger, audit, mail, observer, targets, publicUrl: opts.publicUrl });
  const outbox = createWebhookOutbox({ clock, random, wake: () => delivery.wake() });
  const webhooks = { ...createWebhooksService({ store, clock, random, audit, targets }), ...createWebhookLog({ store, outbox }) };
  const repo = createApiKeysRepository(store);
  const usage = new UsageBuffer<KeyUse>();
  const counter = new UsageCounter(opts.usageHistory ?? true);
  const history = createUsageHistory({ store, clock, counter, repo, observer });
  const management = createApiKeyManagement({ store, repo, invalidation, usage, clock, random, audit, outbox });
  const verification = createApiKeyVerification({
    store,
    repo,
    cache,
    invalidation,
    limiter: limiter(60_000),
    usage,
    clock,
    audit,
    observer,
    counter,
    rateLimitPerMinute: opts.rateLimitPerMinute,
  });
  const agentDeps = {
    store,
    clock,
    random,
    audit,
    outbox,
    heartbeats: new UsageBuffer<Heartbeat>(),
    offlineAfterMs: (opts.agentOfflineAfterSeconds ?? DEFAULT_AGENT_OFFLINE_AFTER_SECONDS) * 1000,
  };
  const agents = createAgentsService(agentDeps);
  const presence = createAgentPresence({ ...agentDeps, observer });
  const deletion = createWorkspaceDeletion({ store, invalidation, logger });
  const operator = createOperatorService({ store, clock, random, audit, publicUrl: opts.publicUrl, management, repo });
  const sweep = createSweep({
    store,
    clock,
    sharedLimiters,
    auditRetentionDays: opts.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
    trimUsage: () => history.trim(opts.usageRetentionDays ?? DEFAULT_USAGE_RETENTION_DAYS),
  });
  const jobs = createScheduledJobs({ store, clock, instanceId, logger });
  jobs.every('sweep', SWEEP_EVERY_MS, sweep);
  jobs.every('agent-presence', PRESENCE_CHECK_MS, presence.reportOffline);
  jobs.every('key-expiry-notices', EXPIRY_NOTICE_CHECK_MS, createKeyExpiryNotices({ store, clock, outbox, mail, publicUrl: opts.publicUrl }));

  let flushTimer: NodeJS.Timeout | undefined;
  let connected: Promise<void> | undefined;
  let flushing: Promise<void> = Promise.resolve();

  /** Writes coalesced usage now; concurrent calls queue behind each other. */
  function flush(): Promise<void> {
    flushing = flushing.then(async () => {
      try {
        await verification.flushUsage();
        await history.flush();
        await sessions.flushUsage();
        await presence.flushHeartbeats();
      } catch (err) {
        logger.error('could not write coalesced usage; will retry', { error: String(err) });
      }
    });
    return flushing;
  }

  const publicConfig: PublicConfig = { mailConfigured: mailer.delivers, publicUrl: opts.publicUrl, signup, agentOfflineAfterSeconds: agentDeps.offlineAfterMs / 1000 };

  return {
    auth: { ...signIn, ...sessions, workspaces: members.workspacesOf, switchWorkspace: members.switchWorkspace, deleteWorkspace: deletion.deleteWorkspace, sweepExpired: sweep },
    members: { list: members.list, changeRole: members.changeRole, remove: members.remove },
    invitations,
    apiKeys: { ...management, ...verification, usage: history.keyUsage },
    usage: { workspace: history.workspaceUsage },
    agents: { ...agents, heartbeat: presence.heartbeat },
    webhooks: { ...webhooks, deliverDue: delivery.deliverDue },
    audit,
    operator,
    queue,
    mail,
    clock,
    instanceId,
    dialect: store.dialect,
    publicConfig,
    flush,
    jobs,
    /**
     * Whether the store can serve, within 2 s: one statement that reads from every table requests
     * use (the first pages of their b-trees, the newest audit entry) and the migrated state, so a
     * damaged or half-migrated database is not called healthy because `select 1` answers.
     */
    async health(): Promise<boolean> {
      const timeout = new Promise<false>((r) => setTimeout(() => r(false), HEALTH_TIMEOUT_MS).unref());
      const query = sql<{ migrated: number | null }>`select
          (select count(*) from (select id from users limit 1) u) +
          (select count(*) from (select id from workspaces limit 1) w) +
          (select count(*) from (select id from sessions limit 1) s) +
          (select count(*) from (select key_hash from api_keys limit 1) k) +
          (select count(*) from (select id from agents limit 1) a) +
          (select count(*) from (select seq from audit_logs order by seq desc limit 1) l) as rows_read,
          (select key_seq from cluster_state where id = 1) as migrated`
        .execute(store.db)
        .then(
          (r) => r.rows[0]?.migrated !== null && r.rows[0]?.migrated !== undefined,
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
      await delivery.start();
    },
    /** Stops timers, finishes queued mail, writes what is still in memory, leaves the other instances. */
    async stop(): Promise<void> {
      if (flushTimer) clearInterval(flushTimer);
      await delivery.stop();
      await jobs.stop();
      await queue.idle();
      await mail.drain();
      await flush();
      await invalidation.stop();
      mailer.close();
    },
  };
}

export type Core = ReturnType<typeof createCore>;
