import type { AuditService } from '../audit/audit.service.js';
import { workspaceOwners } from '../auth/accounts.js';
import type { MailDelivery } from '../mail/mail-delivery.js';
import { webhookDisabledMail } from '../mail/templates.js';
import type { CoreObserver } from '../shared/observer.js';
import { type Clock, type Logger, type RandomSource, iso } from '../shared/runtime.js';
import { type Store, type Trx, afterCommit } from '../store/store.js';
import { failPendingDeliveries } from './webhook-outbox.js';
import { DELIVERY_TIMEOUT_MS, type Outcome, type SignedDelivery, sendSigned } from './webhook-request.js';
import type { TargetPolicy } from './webhook-targets.js';

/** Waits after the 1st, 2nd, … failed attempt (each ±20 %); after the last, the delivery has failed. */
export const RETRY_SCHEDULE_MS = [5_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000, 5 * 3600_000, 10 * 3600_000, 10 * 3600_000];
/** An endpoint that has failed every attempt for this long is disabled and its owner mailed. */
export const DISABLE_AFTER_FAILING_MS = 3 * 24 * 3600_000;
/** A claimed delivery is this instance's until then; a crashed instance's claims lapse and another retries. */
const LEASE_MS = DELIVERY_TIMEOUT_MS + 5_000;
const BATCH = 10;
const POLL_MS = 1000;

/**
 * Delivers the outbox at least once: claims due deliveries (several instances on PostgreSQL each
 * take other rows, `FOR UPDATE SKIP LOCKED`), POSTs them signed by the Standard Webhooks scheme to
 * the address checked after DNS, and records each attempt with its next one.
 */
export function createWebhookDelivery(deps: {
  store: Store;
  clock: Clock;
  random: RandomSource;
  instanceId: string;
  logger: Logger;
  audit: AuditService;
  mail: MailDelivery;
  observer: CoreObserver;
  targets: TargetPolicy;
  publicUrl: string;
}) {
  const { store, clock, random, instanceId, logger, audit, observer } = deps;
  const { db } = store;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | null = null;
  let again = false;
  let stopping = false;
  let lastFailureLoggedAt = 0;
  const inFlight = new Set<AbortController>();
  type Job = SignedDelivery & { attempt: number; webhook_id: string };

  const jitter = (ms: number) => Math.round(ms * (0.8 + 0.4 * (random.bytes(4).readUInt32BE(0) / 0xffffffff)));

  async function claim(): Promise<Job[]> {
    const now = clock.now();
    const nowIso = iso(now);
    let due = db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', nowIso)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowIso)]))
      // An event written while its endpoint was being disabled waits for it to be enabled again.
      .where('webhook_id', 'in', (eb) => eb.selectFrom('webhook_endpoints').select('id').where('enabled', '=', 1))
      .orderBy('next_attempt_at')
      .limit(BATCH);
    if (store.dialect === 'postgres') due = due.forUpdate().skipLocked();
    const claimed = await db
      .updateTable('webhook_deliveries')
      .set({ locked_until: iso(new Date(now.getTime() + LEASE_MS)), locked_by: instanceId })
      .where('id', 'in', due)
      .returning('id')
      .execute();
    if (claimed.length === 0) return [];
    return db
      .selectFrom('webhook_deliveries as d')
      .innerJoin('webhook_events as e', 'e.id', 'd.event_id')
      .innerJoin('webhook_endpoints as w', 'w.id', 'd.webhook_id')
      .select(['d.id', 'd.attempt', 'd.webhook_id', 'd.event_id', 'e.payload', 'w.url', 'w.secret', 'w.previous_secret', 'w.previous_secret_expires_at'])
      .where(
        'd.id',
        'in',
        claimed.map((c) => c.id),
      )
      .where('d.locked_by', '=', instanceId)
      .execute();
  }

  async function disable(trx: Trx, webhookId: string, reason: 'gone' | 'failing', lastStatus: number | null): Promise<void> {
    const endpoint = await store.forUpdate(trx.selectFrom('webhook_endpoints').selectAll().where('id', '=', webhookId)).executeTakeFirst();
    if (!endpoint || endpoint.enabled !== 1) return;
    await trx.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: reason, updated_at: iso(clock.now()) }).where('id', '=', webhookId).execute();
    await failPendingDeliveries(trx, webhookId);
    await audit.record(trx, {
      workspaceId: endpoint.workspace_id,
      action: 'webhook.disabled',
      actor: { type: 'system', id: null },
      target: { type: 'webhook', id: webhookId },
      meta: null,
      metadata: { reason, url: endpoint.url, lastStatus },
    });
    const why = reason === 'gone' ? 'the receiver answered 410 Gone.' : 'every delivery attempt failed for 3 days.';
    for (const o of await workspaceOwners(trx, endpoint.workspace_id)) {
      afterCommit(trx, () => deps.mail.send(webhookDisabledMail(o.email, o.workspaceName, endpoint.url, why, `${deps.publicUrl}/webhooks/${webhookId}`), null));
    }
    logger.warn('webhook disabled', { webhookId, reason, lastStatus });
  }

  async function record(job: Job, outcome: Outcome, at: Date, durationMs: number): Promise<void> {
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    observer.webhookAttempted(ok ? 'succeeded' : 'failed');
    await store.transaction(async (trx) => {
      // The endpoint's row first, in every attempt's transaction: attempts of one endpoint that end
      // together take their locks in one order (a disable also changes the others' deliveries).
      const endpoint = await store.forUpdate(trx.selectFrom('webhook_endpoints').select('failing_since').where('id', '=', job.webhook_id)).executeTakeFirst();
      if (!endpoint) return; // deleted meanwhile, with its deliveries
      const attempt = job.attempt + 1;
      const base = { attempt, last_attempt_at: iso(at), response_status: outcome.status, duration_ms: durationMs, error: outcome.error, locked_until: null, locked_by: null };
      // Still pending and still ours: not failed meanwhile by a disable, nor taken over after the claim lapsed.
      const mine = (q: ReturnType<typeof trx.updateTable<'webhook_deliveries'>>) => q.where('id', '=', job.id).where('locked_by', '=', instanceId).where('status', '=', 'pending');
      if (ok) {
        const res = await mine(trx.updateTable('webhook_deliveries').set({ ...base, status: 'succeeded', next_attempt_at: null })).executeTakeFirst();
        if (res.numUpdatedRows === 1n && endpoint.failing_since !== null) await trx.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', job.webhook_id).execute();
        return;
      }
      const failingSince = endpoint.failing_since ?? iso(at);
      const scheduled = attempt <= RETRY_SCHEDULE_MS.length ? jitter(RETRY_SCHEDULE_MS[attempt - 1]!) : null;
      // Retry-After is honoured by never retrying sooner than it asks; the schedule still spaces retries out.
      const wait = scheduled === null ? null : Math.max(scheduled, outcome.retryAfterMs ?? 0);
      const res = await mine(
        trx.updateTable('webhook_deliveries').set({ ...base, status: wait === null ? 'failed' : 'pending', next_attempt_at: wait === null ? null : iso(new Date(clock.now().getTime() + wait)) }),
      ).executeTakeFirst();
      if (res.numUpdatedRows !== 1n) return;
      if (endpoint.failing_since === null) await trx.updateTable('webhook_endpoints').set({ failing_since: failingSince }).where('id', '=', job.webhook_id).execute();
      if (outcome.status === 410) await disable(trx, job.webhook_id, 'gone', 410);
      else if (clock.now().getTime() - new Date(failingSince).getTime() >= DISABLE_AFTER_FAILING_MS) await disable(trx, job.webhook_id, 'failing', outcome.status);
    });
  }

  async function attempt(job: Job): Promise<void> {
    const at = clock.now();
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await sendSigned(job, at, { targets: deps.targets, inFlight, now: () => clock.now() });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      outcome = { status: null, retryAfterMs: null, error: message.slice(0, 300) };
    }
    if (stopping && outcome.status === null) return; // aborted by stop(): the claim lapses and the next start retries
    await record(job, outcome, at, Math.round(performance.now() - started));
  }

  /** Attempts every delivery that is due now, batch by batch; resolves with how many were attempted. */
  async function deliverDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const jobs = await claim();
      if (jobs.length === 0) return total;
      await Promise.all(jobs.map(attempt));
      total += jobs.length;
      if (jobs.length < BATCH || stopping) return total;
    }
  }

  function run(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await deliverDue();
        } catch (err) {
          // Polled every second: an outage of the store is logged every 30 s, not every poll.
          if (Date.now() - lastFailureLoggedAt >= 30_000) {
            lastFailureLoggedAt = Date.now();
            logger.error('webhook delivery could not read or record deliveries; retrying every second', { error: String(err) });
          }
        }
      } while (again && !stopping);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  return {
    deliverDue,
    /** A new event was committed here: deliver now rather than at the next poll. */
    wake(): void {
      if (timer && !stopping) void run();
    },
    async start(): Promise<void> {
      stopping = false;
      // One server per SQLite file: claims left by a crashed server are its own, and lapse now.
      if (store.dialect === 'sqlite') await db.updateTable('webhook_deliveries').set({ locked_until: null, locked_by: null }).where('status', '=', 'pending').where('locked_until', 'is not', null).execute();
      timer = setInterval(() => void run(), POLL_MS);
      timer.unref();
      void run();
    },
    async stop(): Promise<void> {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const c of inFlight) c.abort(new Error('The server is stopping.'));
      await running;
      // Hand back what this instance claimed, so another (or the next start) need not wait for the claim to lapse.
      await db
        .updateTable('webhook_deliveries')
        .set({ locked_until: null, locked_by: null })
        .where('locked_by', '=', instanceId)
        .where('status', '=', 'pending')
        .execute()
        .catch((err: unknown) => logger.warn('could not release webhook claims; they lapse by themselves', { error: String(err) }));
    },
  };
}

export type WebhookDeliveryWorker = ReturnType<typeof createWebhookDelivery>;
