// What `npm run bench` prints: the table, the ratios against the ceiling and the checks beside them.
import autocannon from 'autocannon';

/** One scenario's rounds merged: req/s over the rounds, latency percentiles from the merged histograms. */
export function summarise(s, connections) {
  // Counted before aggregateResult, which adds the rounds' status counts into the first round's object.
  const codes = {};
  for (const r of s.raw) for (const [code, { count }] of Object.entries(r.statusCodeStats)) codes[code] = (codes[code] ?? 0) + count;
  const errors = s.raw.reduce((n, r) => n + r.errors, 0);
  const merged = autocannon.aggregateResult(s.raw, { url: s.server.url + s.path, connections });
  const total = s.raw.reduce((n, r) => n + r.totalCompletedRequests, 0);
  const seconds = s.raw.reduce((n, r) => n + r.duration, 0);
  return {
    ...s,
    total,
    rps: total / seconds,
    p50: merged.latency.p50,
    p99: merged.latency.p99,
    cpuUsPerReq: (s.cpuMs * 1000) / total,
    peakMb: s.peakKb / 1024,
    codes: Object.entries(codes)
      .map(([code, n]) => `${code}×${n}`)
      .join(' ') + (errors ? ` errors×${errors}` : ''),
  };
}

/** The exact WAL count, unless a checkpoint restarted the WAL: then the data_version count. */
const commitCount = (w) => (w.restarted ? String(w.polled) : String(w.commits));

function printTable(rows, ceiling) {
  const head = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS', 'vs 1', 'CPU µs/req', 'db commits', 'answers'];
  const body = rows.map((r) => [
    r.name,
    Math.round(r.rps).toLocaleString('en'),
    String(r.p50),
    String(r.p99),
    `${r.peakMb.toFixed(0)} MB`,
    (r.rps / ceiling.rps).toFixed(2),
    r.cpuUsPerReq.toFixed(0),
    r.writes ? commitCount(r.writes) : '-',
    r.codes,
  ]);
  const left = (i) => i === 0 || i === head.length - 1;
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => (left(i) ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (left(i) ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

/** Prints the table and the lines under it; `rows` are summarised scenarios keyed by their `id`. */
export function printReport(rows, c) {
  const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
  const ceiling = byId['1'];
  console.log(
    `\nAPI-key hot path: ${c.connections} connections, ${c.rounds} interleaved rounds of ${c.roundSeconds} s per scenario,` +
      ` Node ${process.version}${c.nodeFlags.length ? ` ${c.nodeFlags.join(' ')}` : ''}\n`,
  );
  printTable(rows, ceiling);
  const ratio = (r) => (r.rps / ceiling.rps).toFixed(3);
  const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} %`;
  const mb = (kb) => `${(kb / 1024).toFixed(0)}`;
  console.log('');
  console.log(`ratio 2/1: ${ratio(byId['2'])} (target ≥ 0.85)   ratio 3/1: ${ratio(byId['3'])}   3 vs 2: ${pct(byId['3'].rps / byId['2'].rps - 1)} (target within 5 %)`);
  console.log(`ratio 3b/1: ${ratio(byId['3b'])}   3b vs 2: ${pct(byId['3b'].rps / byId['2'].rps - 1)}`);
  console.log(`p99 of 2: ${byId['2'].p99} ms (target ≤ 5 ms)`);
  if (byId['2b']) {
    const [now, before] = [byId['2'], byId['2b']];
    console.log(
      `this build vs BENCH_BASELINE for scenario 2: ${pct(now.rps / before.rps - 1)} req/s, CPU per request ${now.cpuUsPerReq.toFixed(0)} vs ${before.cpuUsPerReq.toFixed(0)} µs,` +
        ` start-up ${now.server.startMs.toFixed(0)} vs ${before.server.startMs.toFixed(0)} ms`,
    );
  }
  // Less sensitive to other load on the machine than req/s: what one request costs the server process.
  console.log(`server CPU per request, 2 vs 1: ${(byId['2'].cpuUsPerReq / ceiling.cpuUsPerReq).toFixed(2)}×; 3 vs 1: ${(byId['3'].cpuUsPerReq / ceiling.cpuUsPerReq).toFixed(2)}×`);
  for (const id of ['2', '3', '3b']) {
    const r = byId[id];
    // A round of d seconds sees at most ceil(d) flush ticks with usage pending, plus the one that writes
    // what was left when it ended: the most commits that "one batch per flush" allows.
    const allowed = r.raw.reduce((n, round) => n + Math.ceil((round.duration * 1000) / c.flushMs) + 1, 0);
    const counted = r.writes.restarted
      ? `${r.writes.polled} by data_version (the WAL was checkpointed and restarted, so frames cannot be counted)`
      : `${r.writes.commits} by WAL commit frames, ${r.writes.polled} by data_version`;
    console.log(
      `db commits, scenario ${id}: ${counted}, for ${r.total.toLocaleString('en')} authenticated requests;` +
        ` one batch per ${c.flushMs} ms flush allows ≤ ${allowed} for these ${r.raw.length} rounds`,
    );
  }
  const flood = byId['4b'];
  const soak = flood.soak.samples;
  const half = soak.slice(Math.floor(soak.length / 2));
  console.log(
    `unknown-key flood: ${c.unknownSent.toLocaleString('en')} distinct keys in all (the negative cache holds 10,000);` +
      ` RSS after each round ${flood.rssAfterRound.map(mb).join(' → ')} MB; during a further ${flood.soak.seconds} s flood of` +
      ` ${flood.soak.keys.toLocaleString('en')} new keys ${mb(Math.min(...soak))}–${mb(Math.max(...soak))} MB` +
      ` (second half ${mb(Math.min(...half))}–${mb(Math.max(...half))} MB); peak ${flood.peakMb.toFixed(0)} MB vs ${byId['2'].peakMb.toFixed(0)} MB for scenario 2`,
  );
  const starts = rows.filter((r) => r.id !== '1' && r.id !== '2b').map((r) => r.server.startMs);
  const sorted = [...starts].sort((a, b) => a - b);
  console.log(
    `start-up to ready with an existing database (spawn → "listening"): median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms,` +
      ` max ${sorted.at(-1).toFixed(0)} ms over ${starts.length} starts; with ${(c.seeded.keys / 1e6).toLocaleString('en')}M keys ${byId['3'].server.startMs.toFixed(0)} ms` +
      ` (target < 1000 ms); of that, main() itself logged readyMs=${byId['2'].server.readyMs}`,
  );
  const spa = c.spa;
  console.log(
    spa
      ? `SPA initial JS: ${(spa.gzipBytes / 1024).toFixed(1)} KiB gzip (${(spa.bytes / 1024).toFixed(1)} KiB raw) in ${spa.files.length} file(s) from apps/web/dist/index.html`
      : 'SPA initial JS: apps/web/dist is not built; skipped',
  );
}
