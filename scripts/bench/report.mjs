// What `npm run bench` prints: the table, the ratios against the ceiling and the checks beside them.
import autocannon from 'autocannon';

/** One scenario's rounds merged: req/s over the rounds, latency percentiles from the merged histograms. */
export function summarise(s, connections) {
  // Counted before aggregateResult, which adds the rounds' status counts into the first round's object.
  const codes = {};
  for (const r of s.raw) for (const [code, { count }] of Object.entries(r.statusCodeStats)) codes[code] = (codes[code] ?? 0) + count;
  const errors = s.raw.reduce((n, r) => n + r.errors, 0);
  // Paced bursts (paced.mjs) bring their latencies as they are; autocannon's come as histograms.
  const paced = s.raw[0]?.latencyMs !== undefined;
  const latencies = paced ? s.raw.flatMap((r) => r.latencyMs).sort((a, b) => a - b) : null;
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
  const merged = paced ? { latency: { p50: at(0.5), p99: at(0.99) } } : autocannon.aggregateResult(s.raw, { url: s.server.url + s.path, connections });
  const total = s.raw.reduce((n, r) => n + r.totalCompletedRequests, 0);
  // Bursts against several servers at once (P2) overlap: the time is the rounds', not the bursts' sum.
  const seconds = s.seconds || s.raw.reduce((n, r) => n + r.duration, 0);
  // Per round, the worse of the scenario's servers.
  const loopRounds = (s.loop ?? []).map((readings) => ({
    p99: Math.max(...readings.map((r) => r.p99)),
    max: Math.max(...readings.map((r) => r.max)),
    samples: readings.reduce((n, r) => n + r.samples, 0),
  }));
  return {
    ...s,
    total,
    seconds,
    rps: total / seconds,
    p50: merged.latency.p50,
    p99: merged.latency.p99,
    cpuUsPerReq: (s.cpuMs * 1000) / total,
    dbCpuUsPerReq: s.store === 'postgres' ? (s.dbCpuMs * 1000) / total : null,
    loopRounds,
    peakMb: s.peakKb / 1024,
    codes: Object.entries(codes)
      .map(([code, n]) => `${code}×${n}`)
      .join(' ') + (errors ? ` errors×${errors}` : ''),
  };
}

/** The exact WAL count, unless a checkpoint restarted the WAL: then the data_version count. */
const commitCount = (w) => (w.restarted ? String(w.polled) : String(w.commits));

/**
 * The fewest rows a flush statement carries but the last of a flush, by store
 * (packages/core/src/shared/last-use.ts): on SQLite each chunk is sized to take
 * LAST_USE_STATEMENT_MS = 4 ms at the pace just seen, a power of two within 16..1024 rows; on
 * PostgreSQL every chunk is 512 rows. The last chunk of a flush carries what is left, so a flush of
 * k keys takes at most ceil(k / 16) statements on SQLite and ceil(k / 512) on PostgreSQL.
 */
const MIN_ROWS = { sqlite: 16, postgres: 512 };
/** The reference writer the probe and the 3b/3p lines compare with: every row formatted first, then fixed 250-row chunks. */
const OLD_CHUNK = 250;

/** Rows per statement of the usage-history flush on SQLite (powers of two, at most 64: at most 7 statements for k < 64, ceil(k / 64) + 6 in general). */
const USAGE_ROWS = 64;

/**
 * The most commits "one flush a second, at most ceil(k / m) statements for k keys" allows for a
 * scenario's bursts (m = MIN_ROWS of its store): a burst of d seconds sees at most ceil(d) flush
 * ticks with usage pending plus the one that writes what was left when it ended, and
 * ceil(k / m) <= 1 + floor(k / m), so in all at most ticks + requests / m (each request puts at most
 * one key into one flush; with one key, ticks). With usage history on, each tick also adds the
 * hourly counts: one statement for one key, at most 7 + k / 64 for k keys.
 */
export function flushBound(r, flushMs) {
  const ticks = r.raw.reduce((n, burst) => n + Math.ceil((burst.duration * 1000) / flushMs) + 1, 0);
  const lastUse = ticks + (r.distinctKeys > 1 ? Math.floor(r.total / MIN_ROWS[r.store]) : 0);
  if (r.env?.USAGE_HISTORY === 'off') return lastUse;
  return lastUse + ticks + (r.distinctKeys > 1 ? 6 * ticks + Math.floor(r.total / USAGE_ROWS) : 0);
}

const n0 = (x) => Math.round(x).toLocaleString('en');
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
const fixed = (x, d = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));

/** A Markdown table with numbers right-aligned; `left` says which columns hold text. */
function table(head, body, left = [0]) {
  const isLeft = (i) => left.includes(i) || (left.includes(-1) && i === head.length - 1);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (isLeft(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (isLeft(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

/** Write transactions in a PostgreSQL scenario's own database over the measured period, heartbeats apart. */
const pgCommits = (r, pgWal) => {
  const w = pgWal?.scenarios[r.id];
  return w ? `${w.lastUse.transactions + w.other.transactions}*` : '-';
};

function printTable(rows, ceiling, pgWal) {
  const head = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS', 'vs 1', 'CPU µs/req', 'db commits', 'loop p99/max ms', 'answers'];
  const body = rows.map((r) => [
    r.name,
    n0(r.rps),
    String(r.p50),
    String(r.p99),
    `${r.peakMb.toFixed(0)} MB`,
    (r.rps / ceiling.rps).toFixed(2),
    r.cpuUsPerReq.toFixed(0),
    r.writes ? commitCount(r.writes) : pgCommits(r, pgWal),
    r.loopRounds.length ? `${fixed(Math.max(...r.loopRounds.map((l) => l.p99)))}/${fixed(Math.max(...r.loopRounds.map((l) => l.max)), 0)}` : '-',
    r.codes,
  ]);
  table(head, body, [0, -1]);
}

/** 2o against 2k: the access log and metrics on and off, same bundle, same rounds (2l and 2m: each alone); and that they counted every request. */
function printObservabilityCost(byId) {
  const off = byId['2k'];
  for (const id of ['2o', '2l', '2m']) {
    const on = byId[id];
    if (!on) continue;
    const ratio = on.rps / off.rps;
    const perRound = on.raw.map((b, i) => b.totalCompletedRequests / b.duration / (off.raw[i].totalCompletedRequests / off.raw[i].duration));
    console.log(
      `ratio ${id}/2k (${on.name.replace(/^\S+ as 2k, /, '')} vs off): ${ratio.toFixed(3)}${id === '2o' ? ` (target ≥ 0.95: ${ratio >= 0.95 ? 'met' : 'MISSED'})` : ''};` +
        ` per round ${perRound.map((x) => x.toFixed(2)).join(' ')} (median ${median(perRound).toFixed(3)}); server CPU ${on.cpuUsPerReq.toFixed(0)} vs ${off.cpuUsPerReq.toFixed(0)} µs/req (${(on.cpuUsPerReq / off.cpuUsPerReq).toFixed(2)}×)`,
    );
    const counted = on.scrapes ? on.scrapes.at(-1).counted - on.scrapes[0].counted : null;
    const parts = [`${on.total.toLocaleString('en')} requests completed in the rounds`];
    if (on.accessLog) parts.push(`${on.accessLinesLogged.toLocaleString('en')} access-log lines for the route`);
    if (counted !== null) parts.push(`${counted.toLocaleString('en')} in pc_http_request_duration_seconds_count, a scrape ${median(on.scrapes.map((x) => x.ms)).toFixed(1)} ms (median of ${on.scrapes.length}) for ${(on.scrapes.at(-1).bytes / 1024).toFixed(1)} KB`);
    console.log(`  ${id} counted: ${parts.join('; ')} (the server also answers the requests in flight when a round ends)`);
  }
}

/** Keyed vs unchecked from one bundle, per store. */
function printKeyCheckCost(byId) {
  const pairs = [
    ['SQLite (2k vs 2u)', byId['2k'], byId['2u'], 0.95],
    ['PostgreSQL, 1 instance (P1 vs P1u)', byId.p1, byId.p1u, null],
  ].filter(([, k, u]) => k && u);
  if (!pairs.length) return;
  console.log('\nThe key check against the same bundle without it (same route, headers, query and JSON; same rounds):\n');
  table(
    ['store', 'keyed req/s', 'unchecked req/s', 'keyed/unchecked', 'server CPU µs/req, keyed vs unchecked', 'db CPU µs/req, keyed vs unchecked', 'target'],
    pairs.map(([label, k, u, target]) => {
      const ratio = k.rps / u.rps;
      return [
        label,
        n0(k.rps),
        n0(u.rps),
        ratio.toFixed(3),
        `${k.cpuUsPerReq.toFixed(0)} vs ${u.cpuUsPerReq.toFixed(0)} (${(k.cpuUsPerReq / u.cpuUsPerReq).toFixed(2)}×)`,
        k.dbCpuUsPerReq === null ? '-' : `${k.dbCpuUsPerReq.toFixed(0)} vs ${u.dbCpuUsPerReq.toFixed(0)}`,
        target === null ? '(none)' : `≥ ${target}: ${ratio >= target ? 'met' : 'MISSED'}`,
      ];
    }),
    [0, 4, 5, 6],
  );
  // Within a round the two ran seconds apart, so a round's ratio is less exposed to the machine's other load.
  const perRound = (k, u) => k.raw.map((b, i) => b.totalCompletedRequests / b.duration / (u.raw[i].totalCompletedRequests / u.raw[i].duration));
  for (const [label, k, u] of pairs) {
    const ratios = perRound(k, u);
    console.log(`${label}, keyed/unchecked per round: ${ratios.map((x) => x.toFixed(2)).join(' ')} (median ${median(ratios).toFixed(3)})`);
  }
  const [two, one] = [byId.p2, byId.p1];
  if (two && one) {
    const per = two.servers.map((_, i) => two.raw.filter((__, j) => j % two.servers.length === i).reduce((n, r) => n + r.totalCompletedRequests, 0) / two.seconds);
    console.log(
      `\nPostgreSQL, two instances on one database, driven at once (25 + 25 connections): ${n0(two.rps)} req/s in all (${per.map(n0).join(' + ')})` +
        ` vs ${n0(one.rps)} for one instance (50 connections): ×${(two.rps / one.rps).toFixed(2)};` +
        ` server CPU ${two.cpuUsPerReq.toFixed(0)} vs ${one.cpuUsPerReq.toFixed(0)} µs/req, PostgreSQL CPU ${fixed(two.dbCpuUsPerReq, 0)} vs ${fixed(one.dbCpuUsPerReq, 0)} µs/req`,
    );
  }
}

/** The writer's sizes (powers of two, 16..1024 rows on SQLite) apart from the others (the last chunk of a flush carries what is left). */
const textsBySize = (sizes) => {
  if (!sizes?.length) return '';
  const isStep = (n) => n >= 16 && n <= 1024 && (n & (n - 1)) === 0;
  const steps = sizes.filter(isStep);
  const others = sizes.filter((n) => !isStep(n));
  return (
    `: ${steps.length ? `${steps.join(', ')} rows` : 'none'} of the powers of two 16..1024, and ${others.length}` +
    ` of other sizes${others.length ? ` (${others.length > 12 ? `${others.slice(0, 6).join(', ')} … ${others.slice(-6).join(', ')}` : others.join(', ')} rows)` : ''}`
  );
};

function printEventLoop(rows, c) {
  const withLoop = rows.filter((r) => r.loopRounds.length);
  if (!withLoop.length) return;
  console.log(
    `\nEvent-loop delay, each server's own (GET /bench/event-loop: monitorEventLoopDelay with a 1 ms timer, so an on-time turn reads ~1 ms;` +
      ` reset before each round, read after), ms per round, worse server of a scenario:`,
  );
  for (const r of withLoop) {
    console.log(
      `  ${r.id.padEnd(3)} p99 ${r.loopRounds.map((l) => fixed(l.p99)).join(' ')} (median ${fixed(median(r.loopRounds.map((l) => l.p99)))});` +
        ` max ${r.loopRounds.map((l) => fixed(l.max, 0)).join(' ')}`,
    );
  }
  const withLog = withLoop.filter((r) => r.loop.some((readings) => readings.some((x) => x.lastUse)));
  if (withLog.length) {
    console.log(
      `Flush statements, timed by each server in better-sqlite3's Statement#run (synchronous: that long the loop is held), within the rounds;` +
        ` per round: statements/flushes (most in one flush), rows a statement min–max, longest statement ms [longest of those that ran a WAL checkpoint (how many) | of the others]:`,
    );
    for (const r of withLog) {
      const rounds = r.loop.map((readings) => readings.find((x) => x.lastUse).lastUse);
      const all = rounds.reduce((a, l) => ({ statements: a.statements + l.statements, flushes: a.flushes + l.flushes, rows: a.rows + l.rows }), { statements: 0, flushes: 0, rows: 0 });
      const rowsPerFlush = all.flushes ? all.rows / all.flushes : 0;
      console.log(
        `  ${r.id.padEnd(3)} ${rounds
          .map((l) => `${l.statements}/${l.flushes} (${l.maxPerFlush}), ${l.minRows}–${l.maxRows} rows, ${fixed(l.longestMs)} ms [${l.checkpoints ? `${fixed(l.longestCheckpointMs)} (${l.checkpoints})` : '-'} | ${fixed(l.longestOtherMs)}]`)
          .join('; ')}`,
      );
      console.log(
        `      in all ${n0(all.statements)} statements in ${n0(all.flushes)} flushes (${fixed(all.flushes ? all.statements / all.flushes : 0)} a flush) for ~${n0(rowsPerFlush)} keys a flush;` +
          ` the fixed ${OLD_CHUNK}-row chunks would have taken ${Math.ceil(rowsPerFlush / OLD_CHUNK)} a flush; longest statement ${fixed(Math.max(...rounds.map((l) => l.longestMs)))} ms` +
          ` (median round ${fixed(median(rounds.map((l) => l.longestMs)))}); ${n0(rounds.reduce((n, l) => n + l.checkpoints, 0))} ran a checkpoint;` +
          ` longest without one ${fixed(Math.max(...rounds.map((l) => l.longestOtherMs)))} ms (median round ${fixed(median(rounds.map((l) => l.longestOtherMs)))});` +
          ` ${n0(rounds.at(-1).texts)} distinct statement texts (chunk sizes) since the server started${textsBySize(rounds.at(-1).textRows)}`,
      );
    }
  }
  for (const id of ['3b', '3p', '3bn', '3pn']) {
    const r = withLoop.find((x) => x.id === id);
    if (!r) continue;
    const worst = Math.max(...r.loopRounds.map((l) => l.p99));
    const mid = median(r.loopRounds.map((l) => l.p99));
    console.log(
      `${id}: ${c.rotatedKeys.toLocaleString('en')} keys in turn at ${n0(r.rps)} req/s, so each 1 s flush carried ~${n0(Math.min(r.rps, c.rotatedKeys))} distinct keys` +
        ` (the target speaks of 5,000 a second: see the flush probe); p99 median ${fixed(mid)} ms, worst round ${fixed(worst)} ms (target ≤ 10 ms: ${worst <= 10 ? 'met' : mid <= 10 ? 'met by the median round, not by the worst' : 'MISSED'} at this rate)`,
    );
  }
}

function printPgWal(byId, pgWal, c) {
  if (!pgWal) return;
  console.log(
    `\nPostgreSQL WAL (fsync, synchronous_commit, full_page_writes on). "Its rounds": positions (pg_current_wal_lsn) read before and after each of` +
      ` the scenario's bursts, cluster-wide. "Its database": every record over the whole measured period (${pgWal.periodSeconds.toFixed(0)} s)` +
      ` that changed the scenario's own database, by table (pg_walinspect), commit records with their transactions.\n`,
  );
  const rows = Object.entries(pgWal.scenarios).map(([id, w]) => {
    const r = byId[id];
    const allowed = flushBound(r, c.flushMs);
    const ownRecords = w.lastUse.records + w.other.records;
    const recs = (g) => `${n0(g.records)} rec, ${n0(g.transactions)} commits`;
    return [
      r.name.split(':')[0],
      n0(r.total),
      `${(w.windowBytes / 1024).toFixed(0)} kB, ${n0(w.windowRecords)} rec`,
      `${(w.windowBytes / r.total).toFixed(1)} B, ${(w.windowRecords / r.total).toFixed(3)} rec`,
      recs(w.lastUse),
      `≤ ${allowed} commits`,
      recs(w.other),
      recs(w.maintenance),
      (ownRecords / r.total).toFixed(4),
    ];
  });
  table(
    ['scenario', 'requests', 'WAL in its rounds', 'per request', 'its db: last use (api_keys)', 'the flush allows', 'its db: other tables', 'its db: autovacuum', 'server-written records per request'],
    rows,
    [0, 2, 3, 4, 5, 6, 7],
  );
  const commitOnly = pgWal.groups.find((g) => g.key.startsWith('commit-only'));
  const background = pgWal.groups.filter((g) => g.key.startsWith('background'));
  const instances = Object.keys(pgWal.scenarios).reduce((n, id) => n + byId[id].servers.length, 0);
  if (commitOnly) {
    console.log(
      `cluster-wide, load or not: ${n0(commitOnly.transactions)} transactions that changed only UNLOGGED tables wrote just a commit record each (not waited for),` +
        ` ${(commitOnly.transactions / pgWal.periodSeconds / instances).toFixed(1)} a second per instance (${instances} instances): the key-change poll's heartbeat every 250 ms` +
        ` (cluster_instances) and rate-limit leases (rate_limit_windows)`,
    );
  }
  const bg = background.reduce((n, g) => n + g.records, 0);
  console.log(
    `outside any transaction (checkpoints, running-transaction snapshots, page pruning): ${n0(bg)} records; all WAL in the period: ${(pgWal.bytes / 1024).toFixed(0)} kB,` +
      ` ${pgWal.walinspectRecords === null ? 'pg_walinspect unavailable' : `${n0(pgWal.walinspectRecords)} records by pg_walinspect`}, ${n0(pgWal.statRecords)} by pg_stat_wal` +
      ` (backends report to pg_stat_wal when idle, up to seconds late)`,
  );
  const others = [...new Set(Object.values(pgWal.scenarios).flatMap((w) => w.otherTables))];
  if (others.length) console.log(`"other tables" were: ${others.join(', ')}`);
  console.log(
    '"autovacuum": ANALYZE/VACUUM of the tables the flush updates, writing only system catalogs; "server-written" counts last use and other tables.\n' +
      '* db commits of a PostgreSQL scenario: write transactions the servers made in its own database, other than heartbeats and leases (see the WAL table)',
  );
}

/**
 * Statements by rows, e.g. "statements by rows 256×58, 512×3, 8×5 (3 distinct sizes)": every size is
 * one SQL text, so one prepared statement in the store's cache.
 */
const sizesOf = (sizes) => {
  const counts = new Map();
  for (const n of sizes) counts.set(n, (counts.get(n) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0]);
  return `core.flush()'s statements by rows ${sorted.map(([n, k]) => `${n}×${k}`).join(', ')} (${counts.size} distinct sizes)`;
};

function printProbes(probes) {
  if (!probes) return;
  const repeat = probes[0]?.flushes.length ?? 0;
  const keys = probes[0]?.keys.toLocaleString('en');
  console.log(
    `\nFlush probe (scripts/bench/flush-probe.ts, in process): ${keys} distinct keys each authenticated once, then core.flush() timed with a 1 ms` +
      ` event-loop monitor and every statement timed (the writer: on SQLite chunks sized by time, powers of two within 16..1024 rows; on PostgreSQL` +
      ` 512-row chunks); then the same rows, newer, with every row formatted first and fixed chunks of ${OLD_CHUNK}, and in one statement.` +
      ` "checkpoints": statements during which SQLite ran a WAL checkpoint (the file's mtime changed); "longest without": the longest of the other` +
      ` statements. ms, median (max) of ${repeat}:\n`,
  );
  const mm = (xs, d = 1) => `${fixed(median(xs), d)} (${fixed(Math.max(...xs), d)})`;
  const range = (xs) => (Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}–${Math.max(...xs)}`);
  // Labels by store: the writer sizes its chunks by time on SQLite only.
  const writers = [
    [(p) => (p.dialect === 'sqlite' ? 'core.flush(), time-sized chunks' : 'core.flush(), 512-row chunks'), (p) => p.flushes],
    [() => `fixed ${OLD_CHUNK}-row chunks, formatted first`, (p) => p.fixed],
    [() => 'one statement', (p) => p.single],
  ];
  table(
    ['store', 'writer', 'write', 'statements', 'rows a statement', 'before the first', 'longest statement', 'checkpoints', 'longest without', 'loop max during it'],
    probes.flatMap((p) =>
      writers
        .filter(([, of]) => of(p)?.length)
        .map(([label, of]) => {
          const ws = of(p);
          const many = ws[0].statements !== undefined;
          return [
            p.label,
            label(p),
            mm(ws.map((f) => f.ms)),
            many ? range(ws.map((f) => f.statements)) : '1',
            many ? `${Math.min(...ws.map((f) => f.minRows))}–${Math.max(...ws.map((f) => f.maxRows))}` : keys,
            many ? mm(ws.map((f) => f.beforeFirstStatementMs ?? NaN)) : '-',
            many ? mm(ws.map((f) => f.longestStatementMs)) : mm(ws.map((f) => f.ms)),
            p.dialect === 'sqlite' ? range(ws.map((f) => f.checkpoints)) : '-',
            many && p.dialect === 'sqlite' ? mm(ws.map((f) => f.longestOtherMs ?? NaN)) : '-',
            mm(ws.map((f) => f.loop.max)),
          ];
        }),
    ),
    [0, 1],
  );
  for (const p of probes) {
    const writes = [...p.flushes, ...(p.fixed ?? []), ...p.single];
    const short = writes.filter((f) => f.rowsUpdated !== p.keys).length;
    console.log(
      `${p.label}: keys ${p.seeded ? 'inserted in bulk' : `created through core.apiKeys.create in ${(p.createMs / 1000).toFixed(1)} s`};` +
        ` flush: statements' own time ${fixed(median(p.flushes.map((f) => f.statementsMs)))} ms of ${fixed(median(p.flushes.map((f) => f.ms)))},` +
        ` loop p99 during it ${fixed(median(p.flushes.map((f) => f.loop.p99)))} ms, over the second from its start ${mm(p.flushes.map((f) => f.second.p99))} ms;` +
        ` the key check of all ${p.keys.toLocaleString('en')} keys from the cache ${fixed(median(p.flushes.map((f) => f.authenticateAllMs)))} ms` +
        ` (${fixed((median(p.flushes.map((f) => f.authenticateAllMs)) * 1000) / p.keys)} µs a key, through the promise of authenticate());` +
        (p.flushes[0]?.sizes ? ` ${sizesOf(p.flushes.flatMap((f) => f.sizes))};` : '') +
        (p.checkUs !== undefined ? ` check() of one cached key ${fixed(p.checkUs, 2)} µs a call (${n0(p.checksSync)} of ${n0(p.checks)} calls answered synchronously);` : '') +
        ` ${short ? `${short} writes updated fewer rows than keys` : 'every write updated every row'}`,
    );
  }
}

/** Usage history on (3b, 3p) against off (3bn, 3pn): throughput, the server's CPU per request, event-loop p99. */
function printUsageHistoryCost(byId) {
  const p99s = (r) => (r.loopRounds ?? []).map((l) => l.p99);
  for (const [on, off] of [
    ['3b', '3bn'],
    ['3p', '3pn'],
  ]) {
    const [a, b] = [byId[on], byId[off]];
    if (!a || !b) continue;
    const perRound = a.cpuRounds.map((c, i) => c / b.cpuRounds[i]);
    console.log(
      `usage history, ${on} vs ${off} (on vs off, ${a.distinctKeys.toLocaleString('en')} keys in turn): ${n0(a.rps)} vs ${n0(b.rps)} req/s (${(a.rps / b.rps).toFixed(3)});` +
        ` server CPU ${a.cpuUsPerReq.toFixed(0)} vs ${b.cpuUsPerReq.toFixed(0)} µs/req (${(a.cpuUsPerReq / b.cpuUsPerReq).toFixed(3)}×, median round ${median(perRound).toFixed(3)}×);` +
        ` event-loop p99 median ${fixed(median(p99s(a)))} vs ${fixed(median(p99s(b)))} ms, worst ${fixed(Math.max(...p99s(a)))} vs ${fixed(Math.max(...p99s(b)))} ms`,
    );
  }
}

/** Prints the table and the lines under it; `rows` are summarised scenarios keyed by their `id`. */
export function printReport(rows, c) {
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  const ceiling = byId['1'];
  console.log(
    `\nAPI-key hot path: ${c.connections} connections, ${c.rounds} interleaved rounds of ${c.roundSeconds} s per scenario,` +
      ` Node ${process.version}${c.nodeFlags.length ? ` ${c.nodeFlags.join(' ')}` : ''}\n`,
  );
  printTable(rows, ceiling, c.pgWal);
  const ratio = (r) => (r.rps / ceiling.rps).toFixed(3);
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const mb = (kb) => `${(kb / 1024).toFixed(0)}`;
  console.log('');
  const has = (...ids) => ids.every((id) => byId[id]);
  if (has('2', '3')) console.log(`ratio 2/1: ${ratio(byId['2'])} (target ≥ 0.85)   ratio 3/1: ${ratio(byId['3'])}   3 vs 2: ${pct(byId['3'].rps / byId['2'].rps - 1)} (target within 5 %)`);
  if (has('2', '3b')) console.log(`ratio 3b/1: ${ratio(byId['3b'])}   3b vs 2: ${pct(byId['3b'].rps / byId['2'].rps - 1)}`);
  if (has('2k', '2u')) {
    console.log(
      `ratio 2k/2u (the key check vs none, one bundle): ${(byId['2k'].rps / byId['2u'].rps).toFixed(3)} (target ≥ 0.95)` +
        (byId['2'] ? `   2 vs 2k (dist/main.js vs the bench bundle): ${pct(byId['2'].rps / byId['2k'].rps - 1)}` : ''),
    );
  }
  if (has('2k') && ['2o', '2l', '2m'].some((id) => byId[id])) printObservabilityCost(byId);
  if (has('2kq', '2oq')) {
    const [off, on] = [byId['2kq'], byId['2oq']];
    console.log(
      `2oq/2kq at ${Math.round(off.rps)} req/s (access log and /metrics on vs off, paced): server CPU ${on.cpuUsPerReq.toFixed(0)} vs ${off.cpuUsPerReq.toFixed(0)} µs/req (${(on.cpuUsPerReq / off.cpuUsPerReq).toFixed(3)}×);` +
        ` per round ${on.cpuRounds.map((c, i) => (c / off.cpuRounds[i]).toFixed(2)).join(' ')} (median ${median(on.cpuRounds.map((c, i) => c / off.cpuRounds[i])).toFixed(3)}); p99 ${on.p99} vs ${off.p99} ms`,
    );
  }
  if (has('2')) console.log(`p99 of 2: ${byId['2'].p99} ms (target ≤ 5 ms)`);
  printUsageHistoryCost(byId);
  if (has('2', '2b')) {
    const [now, before] = [byId['2'], byId['2b']];
    console.log(
      `this build vs BENCH_BASELINE for scenario 2: ${pct(now.rps / before.rps - 1)} req/s, CPU per request ${now.cpuUsPerReq.toFixed(0)} vs ${before.cpuUsPerReq.toFixed(0)} µs,` +
        ` start-up ${now.server.startMs.toFixed(0)} vs ${before.server.startMs.toFixed(0)} ms`,
    );
  }
  // Less sensitive to other load on the machine than req/s: what one request costs the server process.
  const cpuVs1 = ['2', '3'].filter((id) => byId[id]).map((id) => `${id} vs 1: ${(byId[id].cpuUsPerReq / ceiling.cpuUsPerReq).toFixed(2)}×`);
  if (cpuVs1.length) console.log(`server CPU per request, ${cpuVs1.join('; ')}`);
  for (const id of ['2', '2u', '2k', '2p', '3', '3b', '3p', '3bn', '3pn']) {
    const r = byId[id];
    if (!r) continue;
    const allowed = flushBound(r, c.flushMs);
    const counted =
      (r.writes.restarted
        ? `${r.writes.polled} by data_version (the WAL was checkpointed and restarted, so frames cannot be counted)`
        : `${r.writes.commits} by WAL commit frames, ${r.writes.polled} by data_version`) +
      (r.writes.statements !== undefined ? `, ${r.writes.statements} last-use statements by the server's own count` : '');
    console.log(
      `db commits, scenario ${id}: ${counted}, for ${r.total.toLocaleString('en')} ${id === '2u' ? 'unchecked' : 'authenticated'} requests;` +
        ` one flush per ${c.flushMs} ms${r.distinctKeys > 1 ? `, at most ⌈keys/${MIN_ROWS[r.store]}⌉ statements a flush,` : ''} allows ≤ ${allowed} for these ${r.raw.length} rounds` +
        (r.distinctKeys > 1 ? ` (${r.distinctKeys.toLocaleString('en')} keys in turn)` : ''),
    );
  }
  const flood = byId['4b'];
  if (flood?.soak) {
    const soak = flood.soak.samples;
    const half = soak.slice(Math.floor(soak.length / 2));
    console.log(
      `unknown-key flood: ${c.unknownSent.toLocaleString('en')} distinct keys in all (the negative cache holds 10,000);` +
        ` RSS after each round ${flood.rssAfterRound.map(mb).join(' → ')} MB; during a further ${flood.soak.seconds} s flood of` +
        ` ${flood.soak.keys.toLocaleString('en')} new keys ${mb(Math.min(...soak))}–${mb(Math.max(...soak))} MB` +
        ` (second half ${mb(Math.min(...half))}–${mb(Math.max(...half))} MB); peak ${flood.peakMb.toFixed(0)} MB` +
        (byId['2'] ? ` vs ${byId['2'].peakMb.toFixed(0)} MB for scenario 2` : ''),
    );
  }
  const starts = rows.filter((r) => r.store === 'sqlite' && r.id !== '2b').map((r) => r.server.startMs);
  const sorted = [...starts].sort((a, b) => a - b);
  if (has('2', '3')) {
    const large = ['3', '3b', '3p'].filter((id) => byId[id]).map((id) => `${byId[id].server.startMs.toFixed(0)} (${id}, readyMs=${byId[id].server.readyMs})`);
    console.log(
      `start-up to ready with an existing SQLite database (spawn → "listening"; target < 1000 ms): median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms,` +
        ` max ${sorted.at(-1).toFixed(0)} ms over ${starts.length} starts; with a small database ${byId['2'].server.startMs.toFixed(0)} ms (2, readyMs=${byId['2'].server.readyMs}),` +
        ` with ${(c.seeded.keys / 1e6).toLocaleString('en')}M keys ${large.join(', ')} ms; readyMs is what main() itself logged (open, check, migrate, listen)`,
    );
  }
  const spa = c.spa;
  console.log(
    spa
      ? `SPA initial JS: ${(spa.gzipBytes / 1024).toFixed(1)} KiB gzip (${(spa.bytes / 1024).toFixed(1)} KiB raw) in ${spa.files.length} file(s) from apps/web/dist/index.html`
      : 'SPA initial JS: apps/web/dist is not built; skipped',
  );
  printKeyCheckCost(byId);
  printEventLoop(rows, c);
  printPgWal(byId, c.pgWal, c);
  printProbes(c.probes);
}
