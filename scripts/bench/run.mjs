// `npm run bench`: the API-key hot path against a bare Express route, side by side, in one run.
// Every server runs in its own child process on 127.0.0.1; autocannon drives them from this process.
// Scenarios are measured in interleaved rounds, so a burst of load from elsewhere on the machine
// falls on all of them alike rather than on whichever happened to run at that moment.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createKeyAndAgent, probe, signUp } from './account.mjs';
import { malformedKeys, numberedKey, randomSeed } from './keys.mjs';
import { commitsBetween, spaInitialJs, walState, watchCommits } from './measure.mjs';
import { printReport, summarise } from './report.mjs';
import { NODE_FLAGS, cpuMsOf, startServer } from './processes.mjs';
import { seedKeys } from './seed.mjs';

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
/** Scenario 3b's distinct keys, all from the seeded million. */
const ROTATED_KEYS = Math.min(5000, Math.floor(LARGE_KEYS / 10));
/** The server's usage flush interval (core's default). */
const FLUSH_MS = 1000;
/** High enough that the bench's keys are never refused with 429. */
const RATE_LIMIT = '1000000000';
/** A few ranges, the client's among them: the check walks past the others. */
const RANGES = ['10.0.0.0/8', '192.168.0.0/16', '2001:db8::/32', '127.0.0.1/32'];

const SMALL_DB = join(WORK, 'small', 'pc.db');
const LARGE_DIR = join(WORK, `large-${LARGE_KEYS}`);
const LARGE_DB = join(LARGE_DIR, 'pc.db');

const appEnv = (dbFile) => ({
  PORT: '0',
  HOST: '127.0.0.1',
  DATABASE_URL: `file:${dbFile}`,
  PUBLIC_URL: 'http://localhost:3000',
  RATE_LIMIT_PER_MINUTE: RATE_LIMIT,
  WEB_DIST: join(WORK, 'no-web'),
});

const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A signed-in user with a restricted key and one agent, in the database at `dbFile`. */
async function prepareAccount(dbFile) {
  const server = await startServer(SERVER, appEnv(dbFile));
  try {
    const tag = `${Date.now().toString(36)}${randomSeed(4).toLowerCase()}`;
    const cookie = await signUp(server, `bench-${tag}@example.com`, `bench-${tag}`);
    const key = await createKeyAndAgent(server, cookie, RANGES);
    return { cookie, key: key.key };
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
  const migrate = await startServer(SERVER, appEnv(join(tmp, 'pc.db')));
  await migrate.stop();
  log(`seeding ${LARGE_KEYS.toLocaleString('en')} keys (once; kept in ${LARGE_DIR})`);
  const seed = randomSeed(6);
  const seconds = seedKeys(join(tmp, 'pc.db'), LARGE_KEYS, seed);
  // The seed lets later runs present the seeded keys themselves (scenario 3b).
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

/** Starts a scenario's server and checks that one request answers what the scenario expects. */
async function startScenario(s) {
  const server = await startServer(s.script, s.env);
  const first = await probe(server, s.path, s.headers ?? s.requests?.[0]?.headers);
  if (first.status !== s.expect) throw new Error(`${s.name}: expected ${s.expect}, got ${first.status} ${JSON.stringify(first.body)}`);
  return { ...s, server, raw: [], cpuMs: 0, rssAfterRound: [] };
}

/** One load burst against a scenario; the raw result is kept for merging latencies across rounds. */
function load(s, seconds) {
  return autocannon({
    url: s.server.url + s.path,
    connections: CONNECTIONS,
    duration: seconds,
    headers: s.headers,
    requests: s.requests,
    skipAggregateResult: true,
  });
}

async function main() {
  const started = performance.now();
  if (!existsSync(SERVER)) throw new Error(`${SERVER} is missing: run \`npm run bench\`, which builds it first.`);
  rmSync(join(WORK, 'small'), { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });

  log('preparing accounts: register, verify through the logged link, create a key (REST)');
  const small = await prepareAccount(SMALL_DB);
  const seeded = await ensureLargeDb();
  const large = await prepareAccount(LARGE_DB);

  const runSeed = randomSeed(8);
  let unknownSent = 0;
  let rotated = 0;
  // 3b's server writes the last use of thousands of keys: its own copy keeps scenario 3's WAL count its own.
  const largeCopy = copyDb(LARGE_DB, join(LARGE_DIR, 'pc-3b.db'));
  const app = (id) => {
    const dbFile = id === '3' ? LARGE_DB : id === '3b' ? largeCopy : copyDb(SMALL_DB, join(WORK, 'small', `pc-${id}.db`));
    return { id, script: SERVER, env: appEnv(dbFile), dbFile, path: '/v1/agents', expect: 200 };
  };
  const definitions = [
    { id: '1', name: '1 bare Express 5 route (ceiling)', script: BARE, env: { PORT: '0' }, path: '/bare', expect: 200 },
    { ...app('2'), name: '2 GET /v1/agents, API key', headers: { 'x-api-key': small.key } },
    { ...app('3'), name: `3 same, ${(seeded.keys / 1e6).toLocaleString('en')}M keys in the db`, headers: { 'x-api-key': large.key } },
    {
      ...app('3b'),
      name: `3b ${(seeded.keys / 1e6).toLocaleString('en')}M keys, ${ROTATED_KEYS.toLocaleString('en')} of them in turn`,
      // Seeded keys without ranges (every tenth has some): the warm-up caches them all, the rounds hit
      // the cache, and each flush writes the last use of every key used in that second.
      requests: [
        {
          method: 'GET',
          path: '/v1/agents',
          headers: { 'x-api-key': numberedKey(seeded.seed, 1) },
          setupRequest: (req) => ({ ...req, headers: { 'x-api-key': numberedKey(seeded.seed, 10 * (rotated++ % ROTATED_KEYS) + 1) } }),
        },
      ],
    },
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

  log('starting one server per scenario');
  const scenarios = [];
  try {
    for (const d of definitions) scenarios.push(await startScenario(d));
    for (const s of scenarios) {
      log(`${s.name}: ${WARMUP_S} s warm-up`);
      await load(s, WARMUP_S);
    }
    await sleep(FLUSH_MS * 1.2);
    for (const s of scenarios) {
      if (!s.dbFile) continue;
      s.walBefore = walState(s.dbFile);
      s.stopWatching = watchCommits(s.dbFile);
    }

    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: ${ROUND_S} s per scenario, ${CONNECTIONS} connections`);
      for (const s of scenarios) {
        const cpuBefore = cpuMsOf(s.server.pid);
        s.raw.push(await load(s, ROUND_S));
        s.cpuMs += cpuMsOf(s.server.pid) - cpuBefore;
        s.rssAfterRound.push(s.server.memory()?.rssKb ?? 0);
      }
    }
    // The unknown-key flood once more, longer, watching the server's memory every second: with far
    // more distinct keys than the negative cache holds, RSS must level off rather than climb.
    const flood = scenarios.find((s) => s.id === '4b');
    const keysBefore = unknownSent;
    const samples = [];
    const watch = setInterval(() => samples.push(flood.server.memory()?.rssKb ?? 0), 1000);
    await load(flood, SOAK_S);
    clearInterval(watch);
    flood.soak = { seconds: SOAK_S, keys: unknownSent - keysBefore, samples };
    // One more flush interval, so the last batch of usage is counted too.
    await sleep(FLUSH_MS * 1.2);
    for (const s of scenarios) {
      if (s.dbFile) s.writes = { ...commitsBetween(s.walBefore, walState(s.dbFile)), polled: s.stopWatching() };
      s.peakKb = s.server.memory()?.peakKb ?? 0;
    }
  } finally {
    for (const s of scenarios) s.stopWatching?.();
    await Promise.all(scenarios.map((s) => s.server.stop()));
  }

  printReport(scenarios.map((sc) => summarise(sc, CONNECTIONS)), {
    connections: CONNECTIONS,
    rounds: ROUNDS,
    roundSeconds: ROUND_S,
    flushMs: FLUSH_MS,
    nodeFlags: NODE_FLAGS,
    unknownSent,
    seeded,
    spa: spaInitialJs(WEB_DIST),
  });
  console.log(`bench took ${((performance.now() - started) / 1000).toFixed(0)} s${seeded.seedSeconds ? ` (the ${seeded.keys.toLocaleString('en')}-key database took ${seeded.seedSeconds} s to seed, once)` : ''}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
