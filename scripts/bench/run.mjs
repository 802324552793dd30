// `npm run bench`: the API-key hot path against a bare Express route, side by side, in one run.
// Every server runs in its own child process on 127.0.0.1; autocannon drives them from this process.
// Scenarios are measured in interleaved rounds, so a burst of load from elsewhere on the machine
// falls on all of them alike rather than on whichever happened to run at that moment.
//
// Besides dist/main.js (the shipped build), the bench bundles its own entry (bench-server.ts) into
// .bench/: the same server plus GET /bench/event-loop, and, with BENCH_UNCHECKED_* set, the same
// server without the key check (the baseline the keyed route is compared with, from one build).
// PostgreSQL scenarios run on a throwaway cluster with production-like WAL durability.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createKeyAndAgent, probe, signUp, workspaceIdOf } from './account.mjs';
import { bundleBenchEntries } from './bundle.mjs';
import { malformedKeys, numberedKey, randomSeed } from './keys.mjs';
import { commitsBetween, spaInitialJs, walState, watchCommits } from './measure.mjs';
import { pacedLoad } from './paced.mjs';
import { classifyWal, lsnValue, startBenchPostgres } from './postgres.mjs';
import { printReport, summarise } from './report.mjs';
import { NODE_FLAGS, cpuMsOf, startServer } from './processes.mjs';
import { insertKeys } from './bulk-keys.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const WORK = join(ROOT, '.bench');
/** Another build can be measured against the same ceiling, e.g. an older commit's dist/main.js. */
const SERVER = process.env.BENCH_SERVER ?? join(ROOT, 'apps/server/dist/main.js');
/** Optional: another build run as a second scenario 2 in the same rounds, for a fair before/after. */
const BASELINE = process.env.BENCH_BASELINE;
const BARE = join(ROOT, 'scripts/bench/bare-server.mjs');
const WEB_DIST = join(ROOT, 'apps/web/dist');

const CONNECTIONS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const ROUND_S = Number(process.env.BENCH_DURATION ?? 2);
const WARMUP_S = Number(process.env.BENCH_WARMUP ?? 2);
const SOAK_S = Number(process.env.BENCH_SOAK ?? 15);
const LARGE_KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
/**
 * BENCH_ONLY=2,2u,2k,2o runs only those scenarios (and the ceiling, 1), e.g. with many more rounds for
 * one comparison; add `probe` to run the flush probe too.
 */
const ONLY = process.env.BENCH_ONLY ? new Set(['1', ...process.env.BENCH_ONLY.split(',').map((x) => x.trim())]) : null;
const wanted = (id) => !ONLY || ONLY.has(id);
/** BENCH_PG=0 skips the PostgreSQL scenarios and probe (e.g. on a machine without its binaries). */
const WITH_PG = process.env.BENCH_PG !== '0' && (!ONLY || ['p1', 'p1u', 'p2'].some(wanted));
/** BENCH_PROBE=0 skips the in-process flush measurement. */
const WITH_PROBE = process.env.BENCH_PROBE !== '0' && wanted('probe');
/** Scenario 3b's distinct keys, all from the seeded million, and the flush probe's. */
const ROTATED_KEYS = Math.min(5000, Math.floor(LARGE_KEYS / 10));
const PROBE_KEYS = Number(process.env.BENCH_PROBE_KEYS ?? 5000);
/**
 * Under saturating load an event-loop turn serves many requests, so its delay says more about the
 * load than about the flush. Scenarios 2p and 3p send this many requests a second, evenly spread
 * (paced.mjs), about half of what the machine serves, so the flush's share of the delay shows.
 */
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
const PROBE_REPEAT = Number(process.env.BENCH_PROBE_REPEAT ?? 5);
/** The server's usage flush interval (core's default). */
const FLUSH_MS = 1000;
/** High enough that the bench's keys are never refused with 429 (and PostgreSQL leases budget rarely). */
const RATE_LIMIT = '1000000000';
/** A few ranges, the client's among them: the check walks past the others. */
const RANGES = ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '127.0.0.1/32'];

const SMALL_DB = join(WORK, 'small', 'pc.db');
const LARGE_DIR = join(WORK, `large-${LARGE_KEYS}`);
const LARGE_DB = join(LARGE_DIR, 'pc.db');
/** PostgreSQL servers run here, so that their outbox (data/outbox) stays inside .bench/. */
const PG_CWD = join(WORK, 'pg');
/** One database per PostgreSQL scenario, copied from the first after its account is made. */
const PG_DBS = { one: 'bench_one', unchecked: 'bench_unchecked', two: 'bench_two', probe: 'bench_probe' };

const baseEnv = (databaseUrl) => ({
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: databaseUrl,
  PUBLIC_URL: 'http://localhost:3000',
  RATE_LIMIT_PER_MINUTE: RATE_LIMIT,
  WEB_DIST: join(WORK, 'no-web'),
  // Off in every scenario but 2o, which is 2k with the access log and metrics on: their cost is 2o against 2k.
  ACCESS_LOG: 'off',
});
/** Scenario 2o: what an operator turns on (the access log is on by default; metrics with METRICS_TOKEN). */
const observedEnv = { ACCESS_LOG: 'on', LOG_FORMAT: 'json', METRICS_TOKEN: 'bench-metrics-token-0123456789' };
const appEnv = (dbFile) => baseEnv(`file:${dbFile}`);
/** The bench bundle's baseline: requests act as this key, unchecked. */
const uncheckedEnv = (account) => ({ BENCH_UNCHECKED_WORKSPACE_ID: account.workspaceId, BENCH_UNCHECKED_KEY_ID: account.keyId });
/** The bench bundle on SQLite with the event-loop monitor also times the flush's statements where they run. */
const withLastUseLog = (s) => ({ ...s, eventLoop: true, lastUseLog: true, env: { ...s.env, BENCH_LAST_USE_LOG: '1' } });

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every server this run started, so that an interrupted run stops them (by pid, each ours). */
const live = new Set();
async function start(script, env, opts) {
  const server = await startServer(script, env, opts);
  live.add(server);
  const stop = server.stop;
  server.stop = async () => {
    await stop();
    live.delete(server);
  };
  return server;
}

/** A signed-in user with a restricted key and one agent, in the database the env names. */
async function prepareAccount(env, opts) {
  const server = await start(SERVER, env, opts);
  try {
    const tag = `${Date.now().toString(36)}${randomSeed(4).toLowerCase()}`;
    const cookie = await signUp(server, `bench-${tag}@example.com`, `bench-${tag}`);
    const key = await createKeyAndAgent(server, cookie, RANGES);
    return { cookie, key: key.key, keyId: key.id, workspaceId: await workspaceIdOf(server, cookie) };
  } finally {
    await server.stop();
  }
}

/** The million-key database, built once (migrated by the server, then filled directly) and kept under .bench/. */
async function ensureLargeDb() {
  const marker = join(LARGE_DIR, 'seeded.json');
  if (existsSync(marker) && existsSync(LARGE_DB)) {
    const info = JSON.parse(readFileSync(marker, 'utf8'));
    if (info.seed) return info;
  }
  const tmp = `${LARGE_DIR}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const migrate = await start(SERVER, appEnv(join(tmp, 'pc.db')));
  await migrate.stop();
  log(`seeding ${LARGE_KEYS.toLocaleString('en')} keys (once; kept in ${LARGE_DIR})`);
  const seed = randomSeed(6);
  const seconds = insertKeys(join(tmp, 'pc.db'), LARGE_KEYS, seed);
  // The random seed lets later runs present the seeded keys themselves (scenario 3b).
  const info = { keys: LARGE_KEYS, seed, seedSeconds: Math.round(seconds * 10) / 10, at: new Date().toISOString() };
  writeFileSync(join(tmp, 'seeded.json'), JSON.stringify(info, null, 2));
  rmSync(LARGE_DIR, { recursive: true, force: true });
  renameSync(tmp, LARGE_DIR);
  return info;
}

/** A copy of a closed database (and its WAL, if one was left), so that each server's WAL counts only its own writes. */
function copyDb(from, to) {
  copyFileSync(from, to);
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`);
  else rmSync(`${to}-wal`, { force: true });
  return to;
}

/** Starts a scenario's server(s) and checks that one request to each answers what the scenario expects. */
async function startScenario(s) {
  const servers = [];
  for (let i = 0; i < (s.instances ?? 1); i++) {
    const server = await start(s.script, s.env, { cwd: s.cwd, ...(s.stdoutFile ? { stdoutFile: s.stdoutFile } : {}) });
    servers.push(server);
    const first = await probe(server, s.path, s.headers ?? s.requests?.[0]?.headers);
    if (first.status !== s.expect) throw new Error(`${s.name}: expected ${s.expect}, got ${first.status} ${JSON.stringify(first.body)}`);
  }
  return { ...s, servers, server: servers[0], raw: [], seconds: 0, cpuMs: 0, rssAfterRound: [], loop: [], dbCpuMs: 0, walWindows: [] };
}

/**
 * One load burst against a scenario: CONNECTIONS in all, split over its servers, driven at once.
 * The raw results are kept for merging latencies across rounds; returns the burst's duration.
 */
async function load(s, seconds) {
  const connections = CONNECTIONS / s.servers.length;
  const results = await Promise.all(
    s.servers.map((server) =>
      s.rate
        ? pacedLoad({ url: server.url, path: s.path, rate: s.rate / s.servers.length, seconds, connections, headersFor: s.headersFor })
        : autocannon({ url: server.url + s.path, connections, duration: seconds, headers: s.headers, requests: s.requests, skipAggregateResult: true }),
    ),
  );
  return results;
}

/** The server's event-loop delay: `reset` starts a measurement, `stop` reads it and stops the monitor's timer. */
const eventLoop = async (server, action) => (await fetch(`${server.url}/bench/event-loop?${action}=1`)).json();

/** One measured round of a scenario: its load, and what its servers (and the PostgreSQL cluster) spent on it. */
/** Scenario 2o: the requests /metrics has counted on the bench route, and how long the scrape took. */
async function scrape(s) {
  const started = performance.now();
  const res = await fetch(`${s.server.url}/metrics`, { headers: { authorization: `Bearer ${s.metricsToken}` } });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  let counted = 0;
  for (const m of text.matchAll(/^pc_http_request_duration_seconds_count\{([^}]*)\} (\d+)$/gm)) if (m[1].includes(`route="${s.path}"`)) counted += Number(m[2]);
  return { counted, ms, bytes: text.length };
}

async function measureRound(s, pgb) {
  if (s.eventLoop) await Promise.all(s.servers.map((server) => eventLoop(server, 'reset')));
  const cpuBefore = s.servers.map((server) => cpuMsOf(server.pid));
  const pgBefore = s.store === 'postgres' ? { wal: await pgb.walNow(), cpu: pgb.cpuMs() } : null;
  const results = await load(s, ROUND_S);
  if (pgBefore) {
    const wal = await pgb.walNow();
    s.walWindows.push({ from: pgBefore.wal.lsn, to: wal.lsn, statRecords: wal.records - pgBefore.wal.records });
    s.dbCpuMs += pgb.cpuMs() - pgBefore.cpu;
  }
  const cpuMs = s.servers.reduce((n, server, i) => n + cpuMsOf(server.pid) - cpuBefore[i], 0);
  s.cpuMs += cpuMs;
  // CPU µs per request of this round, for ratios of two scenarios round by round.
  (s.cpuRounds ??= []).push((cpuMs * 1000) / Math.max(1, results.reduce((n, r) => n + r.totalCompletedRequests, 0)));
  s.raw.push(...results);
  s.seconds += Math.max(...results.map((r) => r.duration));
  s.rounds = (s.rounds ?? 0) + 1;
  if (s.eventLoop) s.loop.push(await Promise.all(s.servers.map((server) => eventLoop(server, 'stop'))));
  s.rssAfterRound.push(Math.max(...s.servers.map((server) => server.memory()?.rssKb ?? 0)));
  // As Prometheus would, between the measured bursts (a scrape a round is far more often than its usual 15 s).
  if (s.metricsToken) s.scrapes.push(await scrape(s));
}

/** Runs .bench/flush-probe.mjs once with `env` and returns what it printed. */
function runProbe(script, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1)));
      else reject(new Error(`flush probe (${env.PROBE_DATABASE_URL}) exited ${code}:\n${err}`));
    });
  });
}

/**
 * What each PostgreSQL scenario wrote: the WAL of its own rounds (cluster-wide, by position and by
 * record), and every record over the whole measured period that changed its own database, by table.
 */
async function analyseWal(pgb, scenarios, period) {
  const pgScenarios = scenarios.filter((s) => s.store === 'postgres');
  const records = await pgb.records(period.from.lsn, period.to.lsn, [...new Set(pgScenarios.map((s) => s.pgDb))]);
  const groups = records ? classifyWal(records) : null;
  const result = {
    walinspect: records !== null,
    periodSeconds: period.seconds,
    statRecords: period.to.records - period.from.records,
    walinspectRecords: records?.length ?? null,
    bytes: await pgb.bytesBetween(period.from.lsn, period.to.lsn),
    groups: groups ? [...groups].map(([key, g]) => ({ key, records: g.records, bytes: g.bytes, transactions: g.xids.size })) : [],
    scenarios: {},
  };
  for (const s of pgScenarios) {
    let windowBytes = 0;
    let windowRecords = 0;
    for (const w of s.walWindows) {
      windowBytes += await pgb.bytesBetween(w.from, w.to);
      if (records) {
        const [a, b] = [lsnValue(w.from), lsnValue(w.to)];
        windowRecords += records.filter((r) => r.lsn >= a && r.lsn < b).length;
      } else windowRecords += w.statRecords;
    }
    const tablesOf = (g) => g.key.replace(/^background:/, '').split('+');
    const own = result.groups.filter((g) => tablesOf(g).some((t) => t.startsWith(`${s.pgDb}.`)));
    const sum = (gs) => gs.reduce((acc, g) => ({ records: acc.records + g.records, bytes: acc.bytes + g.bytes, transactions: acc.transactions + g.transactions }), { records: 0, bytes: 0, transactions: 0 });
    // The flush's UPDATEs (and the pruning of the row versions they leave); autovacuum's ANALYZE and
    // VACUUM, which write only system catalogs (pg_statistic, pg_class…); and anything else.
    const isLastUse = (g) => tablesOf(g).every((t) => t === `${s.pgDb}.api_keys`);
    const isMaintenance = (g) => tablesOf(g).every((t) => !t.startsWith(`${s.pgDb}.`) || /^[^.]+\.pg_/.test(t));
    const other = own.filter((g) => !isLastUse(g) && !isMaintenance(g));
    result.scenarios[s.id] = {
      windowBytes,
      windowRecords,
      lastUse: sum(own.filter(isLastUse)),
      maintenance: sum(own.filter((g) => !isLastUse(g) && isMaintenance(g))),
      other: sum(other),
      otherTables: other.map((g) => g.key),
    };
  }
  return result;
}

async function main() {
  const started = performance.now();
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run bench\`, which builds it first.`);
  rmSync(join(WORK, 'small'), { recursive: true, force: true });
  rmSync(PG_CWD, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  mkdirSync(PG_CWD, { recursive: true });
  const bundles = await bundleBenchEntries(WORK);
  const BENCH = bundles['bench-server'];

  log('preparing accounts: register, verify through the logged link, create a key (REST)');
  const small = await prepareAccount(appEnv(SMALL_DB));
  const seeded = await ensureLargeDb();
  const large = await prepareAccount(appEnv(LARGE_DB));

  const runSeed = randomSeed(8);
  let unknownSent = 0;
  let rotated = 0;
  let rotatedPaced = 0;
  let pgb = null;
  const scenarios = [];
  let probes = null;
  let pgWal = null;
  try {
    let pgAccount = null;
    if (WITH_PG) {
      log('starting a PostgreSQL cluster (fsync, synchronous_commit and full_page_writes on)');
      pgb = await startBenchPostgres();
      await pgb.createDatabase(PG_DBS.one);
      // The server migrates the empty database on start; the account is made through the API.
      pgAccount = await prepareAccount(baseEnv(pgb.url(PG_DBS.one)), { cwd: PG_CWD });
      await pgb.createDatabase(PG_DBS.unchecked, PG_DBS.one);
      await pgb.createDatabase(PG_DBS.two, PG_DBS.one);
    }

    // 3b's server writes the last use of thousands of keys: its own copy keeps scenario 3's WAL count its own.
    const largeCopy = copyDb(LARGE_DB, join(LARGE_DIR, 'pc-3b.db'));
    const largePacedCopy = copyDb(LARGE_DB, join(LARGE_DIR, 'pc-3p.db'));
    // 3bn and 3pn (usage history off) need copies of their own too, made only when they run.
    const ownCopy = (id) => (wanted(id) ? copyDb(LARGE_DB, join(LARGE_DIR, `pc-${id}.db`)) : LARGE_DB);
    const largeOf = { '3b': () => largeCopy, '3p': () => largePacedCopy, '3bn': () => ownCopy('3bn'), '3pn': () => ownCopy('3pn') };
    const app = (id, script = SERVER) => {
      const dbFile =
        id === '3' ? LARGE_DB : id in largeOf ? largeOf[id]() : copyDb(SMALL_DB, join(WORK, 'small', `pc-${id}.db`));
      return { id, store: 'sqlite', script, env: appEnv(dbFile), dbFile, path: '/v1/agents', expect: 200, distinctKeys: 1 };
    };
    /** Seeded keys without ranges (every tenth has some), in turn: each flush writes the last use of every key used since the last. */
    const rotatingKeys = (next) => [
      {
        method: 'GET',
        path: '/v1/agents',
        headers: { 'x-api-key': numberedKey(seeded.seed, 1) },
        setupRequest: (req) => ({ ...req, headers: { 'x-api-key': numberedKey(seeded.seed, 10 * (next() % ROTATED_KEYS) + 1) } }),
      },
    ];
    const paced = `paced at ${PACED_RATE.toLocaleString('en')} req/s`;
    const historyOff = (d) => ({ ...d, env: { ...d.env, USAGE_HISTORY: 'off' } });
    /** 3b's keys in turn at a steady rate below saturation. */
    const paced3p = (id, name) => ({
      ...withLastUseLog(app(id, BENCH)),
      name,
      rate: PACED_RATE,
      distinctKeys: ROTATED_KEYS,
      // Long enough to present (and cache) every key once before the rounds.
      warmupS: Math.max(WARMUP_S, Math.ceil(ROTATED_KEYS / PACED_RATE)),
      headers: { 'x-api-key': numberedKey(seeded.seed, 1) },
      headersFor: () => ({ 'x-api-key': numberedKey(seeded.seed, 10 * (rotatedPaced++ % ROTATED_KEYS) + 1) }),
    });
    const pgApp = (id, db, extraEnv = {}) => ({
      id,
      store: 'postgres',
      script: BENCH,
      env: { ...baseEnv(pgb.url(db)), ...extraEnv },
      cwd: PG_CWD,
      pgDb: db,
      path: '/v1/agents',
      expect: 200,
      distinctKeys: 1,
      headers: { 'x-api-key': pgAccount.key },
    });
    const unchecked = app('2u', BENCH);
    /** 2k with some of the operator's switches on (2o: all of them; 2l and 2m apart, for where the cost is). */
    const observed = (id, name, env) => {
      const s = app(id, BENCH);
      return {
        ...s,
        name,
        env: { ...s.env, ...env },
        headers: { 'x-api-key': small.key },
        metricsToken: env.METRICS_TOKEN ?? null,
        accessLog: env.ACCESS_LOG === 'on',
        stdoutFile: join(WORK, 'small', `${id}.stdout.log`),
      };
    };
    const definitions = [
      { id: '1', name: '1 bare Express 5 route (ceiling)', script: BARE, env: { PORT: '0' }, path: '/bare', expect: 200 },
      { ...app('2'), name: '2 GET /v1/agents, API key', headers: { 'x-api-key': small.key } },
      // The pair the key check's cost is read from: one bundle, neither with the event-loop monitor.
      { ...unchecked, name: '2u same, key not checked (bench bundle)', env: { ...unchecked.env, ...uncheckedEnv(small) }, headers: { 'x-api-key': small.key } },
      { ...app('2k', BENCH), name: '2k same, key checked (bench bundle)', headers: { 'x-api-key': small.key } },
      observed('2o', '2o as 2k, access log and /metrics on', observedEnv),
      observed('2l', '2l as 2k, access log only', { ACCESS_LOG: 'on', LOG_FORMAT: 'json' }),
      observed('2m', '2m as 2k, /metrics only', { METRICS_TOKEN: observedEnv.METRICS_TOKEN }),
      // At a steady rate below saturation, where what a request costs the server is its CPU, not its share of a full machine.
      { ...observed('2kq', `2kq as 2k, ${paced}`, {}), rate: PACED_RATE, headersFor: () => ({ 'x-api-key': small.key }) },
      { ...observed('2oq', `2oq as 2o, ${paced}`, observedEnv), rate: PACED_RATE, headersFor: () => ({ 'x-api-key': small.key }) },

      { ...app('3'), name: `3 same, ${(seeded.keys / 1e6).toLocaleString('en')}M keys in the db`, headers: { 'x-api-key': large.key } },
      {
        ...withLastUseLog(app('3b', BENCH)),
        name: `3b ${(seeded.keys / 1e6).toLocaleString('en')}M keys, ${ROTATED_KEYS.toLocaleString('en')} of them in turn (bench bundle)`,
        distinctKeys: ROTATED_KEYS,
        // The warm-up caches them all, the rounds hit the cache.
        requests: rotatingKeys(() => rotated++),
      },
      { ...withLastUseLog(app('2p', BENCH)), name: `2p as 2k, ${paced}`, rate: PACED_RATE, headers: { 'x-api-key': small.key }, headersFor: () => ({ 'x-api-key': small.key }) },
      paced3p('3p', `3p as 3b, ${paced}`),
      // The same two with usage history off: what counting requests per key and hour costs.
      historyOff({ ...withLastUseLog(app('3bn', BENCH)), name: '3bn as 3b, USAGE_HISTORY=off', distinctKeys: ROTATED_KEYS, requests: rotatingKeys(() => rotated++) }),
      historyOff(paced3p('3pn', '3pn as 3p, USAGE_HISTORY=off')),
      {
        ...app('4a'),
        name: '4a flood: malformed keys',
        expect: 401,
        requests: malformedKeys(runSeed).map((k) => ({ method: 'GET', path: '/v1/agents', headers: { 'x-api-key': k } })),
      },
      {
        ...app('4b'),
        name: '4b flood: unknown well-formed keys',
        expect: 401,
        // A fresh key on every request: far more distinct keys than the negative cache may hold.
        requests: [
          {
            method: 'GET',
            path: '/v1/agents',
            headers: { 'x-api-key': numberedKey(runSeed, 0) },
            setupRequest: (req) => ({ ...req, headers: { 'x-api-key': numberedKey(runSeed, ++unknownSent) } }),
          },
        ],
      },
      { ...app('5'), name: '5 tRPC agents.list, session cookie', path: '/trpc/agents.list', headers: { cookie: `session=${small.cookie}` } },
    ];
    if (BASELINE) {
      definitions.splice(2, 0, { ...app('2b'), script: BASELINE, name: '2 again, BENCH_BASELINE build', headers: { 'x-api-key': small.key } });
    }
    if (pgb) {
      definitions.push(
        { ...pgApp('p1', PG_DBS.one), name: 'P1 PostgreSQL: GET /v1/agents, API key, 1 instance' },
        { ...pgApp('p1u', PG_DBS.unchecked, uncheckedEnv(pgAccount)), name: 'P1u PostgreSQL: same, key not checked' },
        { ...pgApp('p2', PG_DBS.two), instances: 2, name: 'P2 PostgreSQL: API key, 2 instances, 25+25 conns' },
      );
    }

    log('starting one server per scenario (two for P2)');
    for (const d of definitions.filter((x) => wanted(x.id))) scenarios.push(await startScenario(d));
    for (const s of [...scenarios]) {
      log(`${s.name}: ${s.warmupS ?? WARMUP_S} s warm-up`);
      await load(s, s.warmupS ?? WARMUP_S);
    }
    await sleep(FLUSH_MS * 1.2);
    for (const s of scenarios) {
      if (!s.dbFile) continue;
      s.walBefore = walState(s.dbFile);
      s.stopWatching = watchCommits(s.dbFile);
      if (s.lastUseLog) s.lastUseBefore = (await eventLoop(s.server, 'read')).lastUse.total;
    }
    for (const s of scenarios) {
      if (s.metricsToken) s.scrapes = [await scrape(s)];
      if (s.accessLog) s.accessLinesBefore = s.server.accessLines(s.path);
    }
    const pgPeriod = pgb ? { from: await pgb.walNow(), startedAt: performance.now() } : null;
    // The order of a round, in groups. The scenarios that write the last use of thousands of keys
    // (3p, 3b) leave the kernel writing back their database for a while after their burst, so they
    // run after the ones compared with each other, and the floods follow them. Within a group the
    // order turns by one each round, so that no member always runs first or right after another.
    const RUN_GROUPS = [['1'], ['2', '2b', '2u', '2k', '2o', '2l', '2m'], ['2kq', '2oq'], ['3'], ['2p', '3p', '3pn'], ['3b', '3bn'], ['4a'], ['4b'], ['5'], ['p1', 'p1u'], ['p2']];
    const roundOrder = (round) =>
      RUN_GROUPS.flatMap((ids) => {
        const members = ids.map((id) => scenarios.find((s) => s.id === id)).filter(Boolean);
        const k = members.length ? round % members.length : 0;
        return [...members.slice(k), ...members.slice(0, k)];
      });

    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: ${ROUND_S} s per scenario, ${CONNECTIONS} connections`);
      for (const s of roundOrder(round - 1)) await measureRound(s, pgb);
    }
    // The unknown-key flood once more, longer, watching the server's memory every second: with far
    // more distinct keys than the negative cache holds, RSS must level off rather than climb.
    const flood = scenarios.find((s) => s.id === '4b');
    if (flood) {
      const keysBefore = unknownSent;
      const samples = [];
      const watch = setInterval(() => samples.push(flood.server.memory()?.rssKb ?? 0), 1000);
      await load(flood, SOAK_S);
      clearInterval(watch);
      flood.soak = { seconds: SOAK_S, keys: unknownSent - keysBefore, samples };
    }
    // One more flush interval, so the last batch of usage is counted too.
    await sleep(FLUSH_MS * 1.2);
    for (const s of scenarios) {
      if (s.dbFile) s.writes = { ...commitsBetween(s.walBefore, walState(s.dbFile)), polled: s.stopWatching() };
      if (s.lastUseLog) s.writes.statements = (await eventLoop(s.server, 'read')).lastUse.total - s.lastUseBefore;
      s.peakKb = Math.max(...s.servers.map((server) => server.memory()?.peakKb ?? 0));
      if (s.accessLog) s.accessLinesLogged = s.server.accessLines(s.path) - s.accessLinesBefore;
    }
    if (pgb) {
      pgPeriod.to = await pgb.walNow();
      pgPeriod.seconds = (performance.now() - pgPeriod.startedAt) / 1000;
    }
    for (const s of scenarios) s.stopWatching?.();
    await Promise.all(scenarios.map((s) => Promise.all(s.servers.map((server) => server.stop()))));

    if (pgb) {
      log('reading the WAL of the PostgreSQL scenarios (pg_walinspect)');
      pgWal = await analyseWal(pgb, scenarios, pgPeriod);
    }

    if (WITH_PROBE) {
      probes = [];
      const probe = async (label, env) => {
        log(`flush probe: ${label}`);
        probes.push({ label, ...(await runProbe(bundles['flush-probe'], { PROBE_KEYS: String(PROBE_KEYS), PROBE_REPEAT: String(PROBE_REPEAT), ...env })) });
      };
      const probeDir = join(WORK, 'probe');
      rmSync(probeDir, { recursive: true, force: true });
      mkdirSync(probeDir, { recursive: true });
      await probe('SQLite, new file', { PROBE_DATABASE_URL: `file:${join(probeDir, 'fresh.db')}`, PROBE_OUTBOX: join(probeDir, 'outbox') });
      if (ROTATED_KEYS === PROBE_KEYS) {
        await probe(`SQLite, ${(seeded.keys / 1e6).toLocaleString('en')}M-key db (3b's keys)`, {
          PROBE_DATABASE_URL: `file:${largeCopy}`,
          PROBE_SEEDED: `${seeded.seed}:10`,
          PROBE_OUTBOX: join(probeDir, 'outbox'),
        });
      }
      if (pgb) {
        await pgb.createDatabase(PG_DBS.probe);
        await probe('PostgreSQL, new database', { PROBE_DATABASE_URL: pgb.url(PG_DBS.probe), PROBE_OUTBOX: join(probeDir, 'outbox') });
      }
    }
  } finally {
    for (const s of scenarios) s.stopWatching?.();
    await Promise.all([...live].map((server) => server.stop()));
    if (pgb) await pgb.stop();
  }

  printReport(
    scenarios.map((sc) => summarise(sc, CONNECTIONS)),
    {
      connections: CONNECTIONS,
      rounds: ROUNDS,
      roundSeconds: ROUND_S,
      flushMs: FLUSH_MS,
      nodeFlags: NODE_FLAGS,
      unknownSent,
      seeded,
      rotatedKeys: ROTATED_KEYS,
      spa: spaInitialJs(WEB_DIST),
      pgWal,
      probes,
    },
  );
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s${seeded.seedSeconds ? ` (the ${seeded.keys.toLocaleString('en')}-key database took ${seeded.seedSeconds} s to fill, once)` : ''}`);
}

// An interrupted run stops what it started: its servers (by pid) and, through the cluster's exit
// hook, the PostgreSQL cluster.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const server of live) {
      try {
        process.kill(server.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    process.exit(130);
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
