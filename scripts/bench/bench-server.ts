// The benchmark's own server entry, bundled by `npm run bench` (scripts/bench/bundle.mjs) into
// .bench/bench-server.mjs with apps/server/build.mjs's options. It is the real server
// (apps/server/src/boot.ts) plus one route, GET /bench/event-loop, and it is used both for the keyed
// scenarios it is compared in and for the baseline below, so a ratio between them compares one build.
//
// The baseline: with BENCH_UNCHECKED_WORKSPACE_ID and BENCH_UNCHECKED_KEY_ID set, `requireKeyOrSession`
// skips the key check and puts that key's principal on the request, so GET /v1/agents does the keyed
// route's work (same route, headers, query, JSON) without the check. No configuration of the real
// server (apps/server/src/main.ts) reaches this: only this file passes other guards to boot().
import { dirname, join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
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

/**
 * GET /bench/event-loop: this process's event-loop delay since the last reset, in ms (p50, p99,
 * p99.9, max, and how many samples). `?reset=1` answers, then starts a new measurement (the first
 * call starts the monitor); `?stop=1` answers, then stops the monitor's timer, so that a server
 * idle between its rounds does not wake 1,000 times a second while other servers are measured.
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
    });
    if (req.query.reset === '1') {
      h.reset();
      h.enable();
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
