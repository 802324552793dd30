import { type CoreObserver, KEY_OUTCOMES, type KeyOutcome } from '@pc/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsSources {
  cacheSizes(): { positive: number; negative: number };
  /** Mail waiting: in the background queue, or for a retry. */
  mailQueued(): number;
  /** PostgreSQL only. */
  pool?: () => { total: number; idle: number; waiting: number };
}

/**
 * The server's Prometheus metrics (prom-client), in a registry of its own. Labels are bounded by
 * construction: route templates, methods, status codes, outcomes, never an id, a key, an e-mail or
 * an address. A request's histogram child is bound once per route, method and status and kept, so
 * a request does not build its labels (prom-client still validates and hashes them per observation).
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

  const requests = new Histogram({
    name: 'pc_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status, with their duration (the _count is the number of requests).',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const bound = new Map<string, { observe(v: number): void }>();

  const keyChecks = new Counter({ name: 'pc_api_key_checks_total', help: 'API-key checks by outcome.', labelNames: ['outcome'], registers: [registry] });
  const byOutcome = Object.fromEntries(KEY_OUTCOMES.map((o) => [o, keyChecks.labels(o)])) as Record<KeyOutcome, { inc(): void }>;
  const cacheLookups = new Counter({ name: 'pc_api_key_cache_lookups_total', help: 'API-key cache look-ups: hit (the key, or its absence, was cached) or miss (read from the store).', labelNames: ['result'], registers: [registry] });
  const hit = cacheLookups.labels('hit');
  const miss = cacheLookups.labels('miss');
  const flushSeconds = new Histogram({ name: 'pc_usage_flush_duration_seconds', help: 'Writes of coalesced last use, by table.', labelNames: ['table'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const flushRows = new Counter({ name: 'pc_usage_flush_rows_total', help: 'Rows of last use written, by table.', labelNames: ['table'], registers: [registry] });
  const mail = new Counter({ name: 'pc_mail_total', help: 'Mail delivery attempts that succeeded (sent) or failed, and messages given up.', labelNames: ['event'], registers: [registry] });
  const signIns = new Counter({ name: 'pc_sign_ins_total', help: 'Sign-ins by magic link, by whether the account was new.', labelNames: ['account'], registers: [registry] });
  const webhooks = new Counter({ name: 'pc_webhook_attempts_total', help: 'Webhook delivery attempts, by whether the receiver answered 2xx.', labelNames: ['outcome'], registers: [registry] });
  for (const e of ['sent', 'failed', 'given_up']) mail.labels(e);
  for (const o of ['succeeded', 'failed']) webhooks.labels(o);
  for (const a of ['new', 'existing']) signIns.labels(a);

  const observer: CoreObserver = {
    keyChecked: (outcome) => byOutcome[outcome].inc(),
    keyCacheLookup: (isHit) => (isHit ? hit : miss).inc(),
    usageFlushed: (table, rows, ms) => {
      flushSeconds.labels(table).observe(ms / 1000);
      flushRows.labels(table).inc(rows);
    },
    mail: (event) => mail.labels(event).inc(),
    signedIn: (isNew) => signIns.labels(isNew ? 'new' : 'existing').inc(),
    webhookAttempted: (outcome) => webhooks.labels(outcome).inc(),
  };

  return {
    registry,
    observer,
    /** One answered request. */
    request(route: string, method: string, status: number, seconds: number): void {
      const key = `${route} ${method} ${status}`;
      let child = bound.get(key);
      if (!child) {
        child = requests.labels(route, method, String(status));
        bound.set(key, child);
      }
      child.observe(seconds);
    },
    /** Gauges read when scraped. */
    watch(sources: MetricsSources): void {
      new Gauge({
        name: 'pc_api_key_cache_entries',
        help: 'API-key cache entries: positive (keys) and negative (unknown hashes).',
        labelNames: ['kind'],
        registers: [registry],
        collect() {
          const s = sources.cacheSizes();
          this.set({ kind: 'positive' }, s.positive);
          this.set({ kind: 'negative' }, s.negative);
        },
      });
      new Gauge({
        name: 'pc_mail_queued',
        help: 'Mail not yet delivered: queued, or waiting for a retry.',
        registers: [registry],
        collect() {
          this.set(sources.mailQueued());
        },
      });
      const pool = sources.pool;
      if (pool) {
        new Gauge({
          name: 'pc_db_pool_connections',
          help: 'PostgreSQL pool connections: total open, idle, and requests waiting for one.',
          labelNames: ['state'],
          registers: [registry],
          collect() {
            const p = pool();
            this.set({ state: 'total' }, p.total);
            this.set({ state: 'idle' }, p.idle);
            this.set({ state: 'waiting' }, p.waiting);
          },
        });
      }
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
