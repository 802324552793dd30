// The benchmark's own server entry, bundled by `npm run bench` (scripts/bench/bundle.mjs) into
// .bench/bench-server.mjs with apps/server/build.mjs's options. It is the real server
// (apps/server/src/boot.ts) plus one route, GET /bench/event-loop, and it is used both for the keyed
// scenarios it is compared in and for the baseline below, so a ratio between them compares one build.
//
// The baseline: with BENCH_UNCHECKED_WORKSPACE_ID and BENCH_UNCHECKED_KEY_ID set, `requireKeyOrSession`
// skips the key check and puts that key's principal on the request, so GET /v1/agents does the keyed
// route's work (same route, headers, query, JSON) without the check. No configuration of the real
// server (apps/server/src/main.ts) reaches this: only this file passes other guards to boot().
//
// With BENCH_LAST_USE_LOG=1 (SQLite only) the server also times every last-use statement of its
// usage flush where it runs, in better-sqlite3's Statement#run (synchronous, so its time is how long
// it holds the event loop), and reports them with the event-loop delay. A statement during which the
// database file's mtime changed ran a WAL checkpoint (in WAL mode only a checkpoint writes the main
// file; SQLite runs one inside the commit that takes the WAL past 1,000 pages). The pair the key
// check is read from (2u, 2k) runs without it.
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { Express, RequestHandler } from 'express';
import { boot } from '../../apps/server/src/boot.js';
import { createGuards } from '../../apps/server/src/http/auth.js';

/**
 * The histogram's timer period. A 1 ms timer records every event-loop turn that runs late by 1 ms or
 * more, so a stall of a few ms (one flush statement) is seen at its length; the cost is one
 * timer callback per millisecond, the same for every server that is compared.
 */
const RESOLUTION_MS = 1;

const uncheckedWorkspaceId = process.env.BENCH_UNCHECKED_WORKSPACE_ID;
const uncheckedKeyId = process.env.BENCH_UNCHECKED_KEY_ID;

let histogram: IntervalHistogram | null = null;
const ms = (ns: number) => Math.round(ns / 1e4) / 100;
const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * The flush's statements (`update "api_keys" set last_used_at …`, packages/core/src/shared/last-use.ts)
 * since the last reset, and in all since start. A statement that starts more than FLUSH_GAP_MS after
 * the previous one ended opens a new flush (flushes are 1 s apart; a flush's statements are one
 * turn of the event loop apart).
 */
const FLUSH_GAP_MS = 250;
const lastUse = {
  enabled: false,
  total: 0,
  /** Distinct SQL texts since start (one per chunk size): each is a prepared statement the store keeps. */
  texts: new Set<string>(),
  statements: 0,
  rows: 0,
  flushes: 0,
  longestMs: 0,
  checkpoints: 0,
  longestCheckpointMs: 0,
  longestOtherMs: 0,
  minRows: Infinity,
  maxRows: 0,
  maxPerFlush: 0,
  inFlush: 0,
  lastEnd: -Infinity,
};
function resetLastUse(): void {
  Object.assign(lastUse, { statements: 0, rows: 0, flushes: 0, longestMs: 0, checkpoints: 0, longestCheckpointMs: 0, longestOtherMs: 0, minRows: Infinity, maxRows: 0, maxPerFlush: 0, inFlush: 0 });
}
if (process.env.BENCH_LAST_USE_LOG === '1') {
  lastUse.enabled = true;
  const dbFile = (process.env.DATABASE_URL ?? '').replace(/^file:/, '');
  const mtime = () => statSync(dbFile, { bigint: true }).mtimeNs;
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as { run: (...args: unknown[]) => { changes: number } };
  probe.close();
  const run = proto.run;
  proto.run = function (this: { source: string }, ...args: unknown[]) {
    if (!this.source.startsWith('update "api_keys" set last_used_at')) return run.apply(this, args);
    const before = mtime();
    const started = performance.now();
    const result = run.apply(this, args);
    const end = performance.now();
    const checkpointed = mtime() !== before;
    if (started - lastUse.lastEnd > FLUSH_GAP_MS) {
      lastUse.flushes++;
      lastUse.inFlush = 0;
    }
    lastUse.lastEnd = end;
    lastUse.total++;
    lastUse.texts.add(this.source);
    lastUse.statements++;
    lastUse.inFlush++;
    lastUse.maxPerFlush = Math.max(lastUse.maxPerFlush, lastUse.inFlush);
    lastUse.rows += result.changes;
    lastUse.minRows = Math.min(lastUse.minRows, result.changes);
    lastUse.maxRows = Math.max(lastUse.maxRows, result.changes);
    lastUse.longestMs = Math.max(lastUse.longestMs, end - started);
    if (checkpointed) {
      lastUse.checkpoints++;
      lastUse.longestCheckpointMs = Math.max(lastUse.longestCheckpointMs, end - started);
    } else lastUse.longestOtherMs = Math.max(lastUse.longestOtherMs, end - started);
    return result;
  };
}

/**
 * GET /bench/event-loop: this process's event-loop delay since the last reset, in ms (p50, p99,
 * p99.9, max, and how many samples). `?reset=1` answers, then starts a new measurement (the first
 * call starts the monitor); `?stop=1` answers, then stops the monitor's timer, so that a server
 * idle between its rounds does not wake 1,000 times a second while other servers are measured.
 * With BENCH_LAST_USE_LOG=1 it also answers `lastUse`: the flush's statements since the reset.
 */
function eventLoopRoute(app: Express): void {
  app.get('/bench/event-loop', (req, res) => {
    histogram ??= monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    const h = histogram;
    const empty = h.count === 0;
    res.setHeader('Cache-Control', 'no-store');
    res.json({
      resolutionMs: RESOLUTION_MS,
      samples: h.count,
      p50: empty ? 0 : ms(h.percentile(50)),
      p99: empty ? 0 : ms(h.percentile(99)),
      p999: empty ? 0 : ms(h.percentile(99.9)),
      max: empty ? 0 : ms(h.max),
      lastUse: lastUse.enabled
        ? {
            total: lastUse.total,
            texts: lastUse.texts.size,
            // Rows of each distinct text (one `(?, ?, ?)` a row), smallest first: the chunk sizes prepared so far.
            textRows: [...lastUse.texts].map((t) => t.split('(?, ?, ?)').length - 1).sort((a, b) => a - b),
            statements: lastUse.statements,
            rows: lastUse.rows,
            flushes: lastUse.flushes,
            maxPerFlush: lastUse.maxPerFlush,
            minRows: lastUse.statements ? lastUse.minRows : 0,
            maxRows: lastUse.maxRows,
            longestMs: round2(lastUse.longestMs),
            checkpoints: lastUse.checkpoints,
            longestCheckpointMs: round2(lastUse.longestCheckpointMs),
            longestOtherMs: round2(lastUse.longestOtherMs),
          }
        : null,
    });
    if (req.query.reset === '1') {
      h.reset();
      h.enable();
      resetLastUse();
    } else if (req.query.stop === '1') h.disable();
  });
}

boot({
  defaultWebDist: join(dirname(fileURLToPath(import.meta.url)), '../apps/web/dist'),
  app: (core, config) => {
    if (!uncheckedWorkspaceId || !uncheckedKeyId) return { routes: eventLoopRoute };
    process.stderr.write(`[bench-server] UNCHECKED BASELINE: x-api-key is not checked; every /v1 request acts as ${uncheckedKeyId}\n`);
    // A new principal per request, as the real check hands one out per request.
    const requireKeyOrSession: RequestHandler = (_req, res, next) => {
      res.locals.principal = { kind: 'api_key', keyId: uncheckedKeyId, workspaceId: uncheckedWorkspaceId };
      next();
    };
    return { guards: { ...createGuards(core, config), requireKeyOrSession }, routes: eventLoopRoute };
  },
});
