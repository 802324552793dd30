// The usage flush of 5,000 distinct keys, measured in process. Over HTTP this machine serves 2,500
// to 3,500 keyed requests a second, so no flush there carries 5,000 keys, and the flush interval
// is not configurable. Here a core (packages/core, as the server wires it, but with its flush timer
// parked) authenticates N distinct keys, then `core.flush()` is timed while
// perf_hooks.monitorEventLoopDelay runs, with every SQL statement timed by a Kysely plugin (and its
// rows counted). For comparison, the same N rows are then written, newer, twice more: every row
// formatted first, then fixed chunks of 250 rows with a turn of the event loop between them (the
// writer before chunks were sized by time), and by ONE `UPDATE … FROM (VALUES …)` statement, what
// flushing without chunks would hold the connection (and, on SQLite, the event loop) for. Last,
// check() of one cached key (what the REST guard calls per keyed request) is timed over many calls.
//
// Bundled by `npm run bench` into .bench/flush-probe.mjs, run once per store, prints one JSON object.
//   PROBE_DATABASE_URL   file:… or postgres://… (migrated here)
//   PROBE_KEYS           distinct keys (5000)
//   PROBE_REPEAT         measured flushes (5)
//   PROBE_SEEDED         "<seed>:<stride>": present keys inserted by bulk-keys.mjs (numberedKey(seed, stride·i + 1))
//                        instead of creating them, e.g. on a copy of the million-key database
//   PROBE_OUTBOX         where the outbox mailer writes (the sign-up link)
import { statSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { normalizeIp } from '@pc/contract';
import { createCore, createOutboxMailer, type Logger } from '@pc/core';
import { createDb, migrateToLatest } from '@pc/db';
import { type KyselyPlugin, type QueryId, sql } from 'kysely';
import { numberedKey } from './keys.mjs';

const url = process.env.PROBE_DATABASE_URL;
if (!url) throw new Error('PROBE_DATABASE_URL is required');
const KEYS = Number(process.env.PROBE_KEYS ?? 5000);
const REPEAT = Number(process.env.PROBE_REPEAT ?? 5);
const SEEDED = process.env.PROBE_SEEDED;
const OUTBOX = process.env.PROBE_OUTBOX ?? '.bench/probe-outbox';
const META = { ip: '127.0.0.1', userAgent: 'bench-flush-probe' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round2 = (x: number) => Math.round(x * 100) / 100;

// Every flush statement's time from Kysely handing it to the driver to the result (compile,
// connection, run); on SQLite the run is synchronous, so that is how long it holds the event loop.
// The flush writes with raw SQL; the query-builder statements (on PostgreSQL, the key-change poll
// every 250 ms) are left out.
// On SQLite a statement during which the database file's mtime changed ran a WAL checkpoint (in WAL
// mode only a checkpoint writes the main file; SQLite runs one inside the commit that takes the WAL
// past 1,000 pages), whatever the size of the statement.
const handle = createDb(url);
const db = handle.db.withPlugin(timerPlugin());
const mtime = handle.path === null ? () => 0n : () => statSync(handle.path!, { bigint: true }).mtimeNs;

interface Timing {
  ms: number;
  rows: number;
  checkpoint: boolean;
}
const starts = new WeakMap<QueryId, { at: number; mtime: bigint }>();
let timings: Timing[] | null = null;
let firstStatementAt = 0;
function timerPlugin(): KyselyPlugin {
  return {
    transformQuery({ node, queryId }) {
      if (timings && node.kind === 'RawNode') {
        const before = mtime();
        const now = performance.now();
        if (timings.length === 0 && firstStatementAt === 0) firstStatementAt = now;
        starts.set(queryId, { at: now, mtime: before });
      }
      return node;
    },
    async transformResult({ result, queryId }) {
      const t = starts.get(queryId);
      if (t !== undefined && timings) {
        const ms = performance.now() - t.at;
        timings.push({ ms, rows: Number(result.numAffectedRows ?? 0), checkpoint: mtime() !== t.mtime });
      }
      return result;
    },
  };
}

/** The writer before last-use.ts sized its chunks by time (all rows formatted first, 250 a statement), for the same rows. */
const FIXED_CHUNK = 250;
async function fixedChunks(ids: string[], atMs: number): Promise<number> {
  const rows = ids.map((id) => ({ id, at: new Date(atMs).toISOString(), ip: normalizeIp('127.0.0.1') }));
  let updated = 0;
  for (let i = 0; i < rows.length; i += FIXED_CHUNK) {
    const values = sql.join(rows.slice(i, i + FIXED_CHUNK).map((r) => sql`(${r.id}, ${r.at}, ${r.ip})`));
    const result = await sql`update api_keys set last_used_at = v.column2, last_used_ip = v.column3 from (values ${values}) as v
      where api_keys.id = v.column1 and (api_keys.last_used_at is null or api_keys.last_used_at < v.column2)`.execute(db);
    updated += Number(result.numAffectedRows ?? 0);
    if (i + FIXED_CHUNK < rows.length) await new Promise<void>((r) => setImmediate(r));
  }
  return updated;
}

const stats = (h: IntervalHistogram) => {
  const empty = h.count === 0;
  return { samples: h.count, p50: empty ? 0 : round2(h.percentile(50) / 1e6), p99: empty ? 0 : round2(h.percentile(99) / 1e6), max: empty ? 0 : round2(h.max / 1e6) };
};

/**
 * Runs `work` while the event-loop delay is sampled every 1 ms; returns its duration and the delay
 * seen during it, and, with `windowMs`, also over that long from its start (a flush a second: what
 * the loop sees over the second that holds it).
 */
async function measured<T>(work: () => Promise<T>, windowMs = 0) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const w = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  w.enable();
  await sleep(5);
  h.reset();
  w.reset();
  // reset() forgets when the timer last ran, so the first interval after it is not recorded: let
  // the timer run a few times before the work starts.
  await sleep(5);
  const t0 = performance.now();
  firstStatementAt = 0;
  const value = await work();
  const ms = performance.now() - t0;
  const beforeFirstStatementMs = firstStatementAt === 0 ? null : round2(firstStatementAt - t0);
  // One more turn of the loop, so the timer records the gap the last statement left.
  await sleep(3);
  h.disable();
  if (windowMs > 0) await sleep(Math.max(0, t0 + windowMs - performance.now()));
  w.disable();
  return { value, ms: round2(ms), beforeFirstStatementMs, loop: stats(h), window: windowMs > 0 ? stats(w) : null };
}

async function main() {
  await migrateToLatest(handle);
  let onLink: (line: string) => void = () => {};
  const logger: Logger = {
    info: (m, f) => onLink(`${m} ${JSON.stringify(f ?? {})}`),
    warn: (m) => process.stderr.write(`[flush-probe] ${m}\n`),
    error: (m) => process.stderr.write(`[flush-probe] ${m}\n`),
  };
  const core = createCore({
    store: { db, dialect: handle.dialect, notifications: handle.notifications },
    mailer: createOutboxMailer(OUTBOX, 'bench <bench@localhost>', logger),
    publicUrl: 'http://localhost:3000',
    rateLimitPerMinute: 1_000_000_000,
    logger,
    // Parked: only this script flushes.
    usageFlushMs: 2_000_000_000,
  });
  await core.start();

  const created = performance.now();
  let keys: string[];
  if (SEEDED) {
    const [seed, stride] = SEEDED.split(':');
    keys = Array.from({ length: KEYS }, (_, i) => numberedKey(seed!, Number(stride) * i + 1));
  } else {
    // A user and workspace as the API makes them, then N keys through core.apiKeys.create.
    const email = `probe-${Date.now().toString(36)}@example.com`;
    const link = new Promise<string>((resolve) => {
      onLink = (m) => {
        const found = /([^\s"]+\/auth\/verify\?token=[A-Za-z0-9_%-]+)/.exec(m);
        if (found && m.includes(email)) resolve(found[1]!);
      };
    });
    await core.auth.register({ email, workspaceName: 'flush-probe' }, META);
    const token = new URL(await link).searchParams.get('token')!;
    const signedIn = await core.auth.verify(token, META);
    const session = await core.auth.authenticateSession(signedIn.sessionToken);
    if (!session) throw new Error('no session after verify');
    keys = new Array<string>(KEYS);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < KEYS; i = next++) keys[i] = (await core.apiKeys.create(session.principal, { name: `probe-${i}` }, META)).key;
    };
    await Promise.all(Array.from({ length: handle.dialect === 'postgres' ? 16 : 1 }, worker));
  }
  const createMs = performance.now() - created;

  /** One request's key check per key: every key ends up cached and with a pending last use. */
  const useAll = async () => Promise.all(keys.map((k) => core.apiKeys.authenticate(k, META)));
  const ids = (await useAll()).map((a) => a.principal.keyId);
  if (new Set(ids).size !== KEYS) throw new Error('keys are not distinct');
  await core.flush();

  const countSince = async (since: string) =>
    Number((await sql<{ n: number | string }>`select count(*) as n from api_keys where last_used_at >= ${since}`.execute(handle.db)).rows[0]!.n);

  /**
   * SQLite runs a checkpoint inside whichever commit takes the WAL past 1,000 pages, so where it
   * falls depends on what was written before. Each write starts with an empty WAL, so that the
   * three writers of a round are compared from the same state (and one does not always inherit
   * the others' pages).
   */
  const emptyWal = async () => {
    if (handle.dialect === 'sqlite') await sql`pragma wal_checkpoint(TRUNCATE)`.execute(handle.db);
  };

  const flushes = [];
  const fixed = [];
  const single = [];
  /** One write's statements: how many, their rows, the longest, their own time. */
  const statementsOf = (list: Timing[]) => {
    const others = list.filter((t) => !t.checkpoint).map((t) => t.ms);
    const checkpoints = list.filter((t) => t.checkpoint).map((t) => t.ms);
    return {
      statements: list.length,
      minRows: Math.min(...list.map((t) => t.rows)),
      maxRows: Math.max(...list.map((t) => t.rows)),
      longestStatementMs: round2(Math.max(...list.map((t) => t.ms))),
      statementsMs: round2(list.reduce((a, t) => a + t.ms, 0)),
      checkpoints: checkpoints.length,
      longestCheckpointMs: checkpoints.length ? round2(Math.max(...checkpoints)) : null,
      longestOtherMs: others.length ? round2(Math.max(...others)) : null,
      // Rows of each statement, in order: every row is updated, so these are the chunk sizes (one SQL text each).
      sizes: list.map((t) => t.rows),
    };
  };
  for (let r = 0; r < REPEAT; r++) {
    await sleep(2);
    const since = new Date().toISOString();
    await sleep(2);
    const useMs = await measured(useAll);
    await emptyWal();
    timings = [];
    const f = await measured(() => core.flush(), 1000);
    const statements = timings;
    timings = null;
    const updated = await countSince(since);
    flushes.push({
      ms: f.ms,
      loop: f.loop,
      second: f.window,
      ...statementsOf(statements),
      // Synchronous work before the first chunk goes out (taking the batch, formatting its rows).
      beforeFirstStatementMs: f.beforeFirstStatementMs,
      rowsUpdated: updated,
      authenticateAllMs: useMs.ms,
    });

    // The same rows, newer, formatted first and written in fixed chunks of 250.
    await emptyWal();
    await sleep(2);
    timings = [];
    const atMs = Date.now();
    const old = await measured(() => fixedChunks(ids, atMs));
    const oldStatements = timings;
    timings = null;
    fixed.push({ ms: old.ms, loop: old.loop, ...statementsOf(oldStatements), beforeFirstStatementMs: old.beforeFirstStatementMs, rowsUpdated: old.value });

    // The same rows, newer, in one statement (the SQL the writer runs per chunk).
    await emptyWal();
    await sleep(2);
    const at = new Date().toISOString();
    const values = sql.join(ids.map((id) => sql`(${id}, ${at}, ${'127.0.0.1'})`));
    const mtimeBefore = mtime();
    const one = await measured(() =>
      sql`update api_keys set last_used_at = v.column2, last_used_ip = v.column3 from (values ${values}) as v
        where api_keys.id = v.column1 and (api_keys.last_used_at is null or api_keys.last_used_at < v.column2)`.execute(handle.db),
    );
    single.push({ ms: one.ms, loop: one.loop, checkpoints: mtime() !== mtimeBefore ? 1 : 0, rowsUpdated: Number(one.value.numAffectedRows ?? -1) });
  }

  // What the REST guard calls on every keyed request: check() of one cached key, on its synchronous
  // path (the last use recorded in memory, the budget counted), many times over.
  const CHECKS = 200_000;
  let sync = 0;
  for (let i = 0; i < 10_000; i++) if (!(core.apiKeys.check(keys[0]!, META) instanceof Promise)) sync++;
  const checkStarted = performance.now();
  for (let i = 0; i < CHECKS; i++) {
    const a = core.apiKeys.check(keys[0]!, META);
    if (a instanceof Promise) await a;
    else sync++;
  }
  const checkUs = round2(((performance.now() - checkStarted) * 1000) / CHECKS);

  await core.stop();
  await handle.close();
  process.stdout.write(
    `${JSON.stringify({ dialect: handle.dialect, keys: KEYS, seeded: Boolean(SEEDED), createMs: Math.round(createMs), flushes, fixed, single, checkUs, checks: CHECKS, checksSync: sync - 10_000 })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[flush-probe] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
