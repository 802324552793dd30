// What the access log and metrics cost inside a server, from its CPU profile. Run 2k and 2o with profiles:
//   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$PWD/.bench/prof-observe" BENCH_ONLY=2k,2o npm run bench
//   node scripts/bench/observe-profile.mjs .bench/prof-observe
// For every profile of a bench-bundle server that logged requests it prints the share of its busy
// (non-idle) samples spent in the observation: the `observeAnswer` handler each answered request
// runs (the metrics' histogram, the access line's fields and pino's formatting of it), sonic-boom's
// writes of the buffered lines to stdout (they run later, from libuv callbacks), prom-client's
// collection when /metrics is scraped, and pino's time. The garbage collector's share is printed
// beside it, for the allocations the lines add; it is not attributed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/bench/observe-profile.mjs <directory of .cpuprofile files>');

/** A sample is the observation's if one of its frames is one of these. */
const OBSERVATION = [
  (f) => f.functionName === 'observeAnswer',
  (f) => f.functionName.startsWith('SonicBoom') || ['actualWrite', 'releaseWritingBuf'].includes(f.functionName),
  (f) => ['getMetricsAsString', 'collect', 'metrics'].includes(f.functionName) && f.url.endsWith('bench-server.mjs'),
];

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  if (!profile.nodes.some((n) => n.callFrame.url.endsWith('bench-server.mjs'))) continue;
  const logs = profile.nodes.some((n) => n.callFrame.functionName === 'observeAnswer');
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  let busy = 0;
  let observing = 0;
  let gc = 0;
  const byKind = [0, 0, 0];
  for (const [id, us] of self) {
    const leaf = nodes.get(id).callFrame;
    if (leaf.functionName === '(idle)') continue;
    busy += us;
    if (leaf.functionName === '(garbage collector)') gc += us;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const kind = OBSERVATION.findIndex((is) => is(nodes.get(cur).callFrame));
      if (kind >= 0) {
        observing += us;
        byKind[kind] += us;
        break;
      }
    }
  }
  const pct = (x) => `${((100 * x) / busy).toFixed(1)} %`;
  console.log(
    `${file}: ${logs ? 'access log and/or metrics on' : 'off'}; busy ${(busy / 1e6).toFixed(2)} s; observation ${pct(observing)}` +
      ` (per request ${pct(byKind[0])}, writes to stdout ${pct(byKind[1])}, scrapes ${pct(byKind[2])}); garbage collector ${pct(gc)}`,
  );
}
