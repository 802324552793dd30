// What the REST guard costs inside a server, from its CPU profile. Run the pair with profiles, e.g.
//   BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=$PWD/.bench/prof-pair" BENCH_ONLY=2u,2k npm run bench
//   node scripts/bench/guard-profile.mjs .bench/prof-pair
// For every profile of a bench-bundle server it prints the share of its busy (non-idle) samples that
// fall inside `requireKeyOrSession` but not inside the `next()` it calls, i.e. the guard's own work,
// by the function the sample was in (inlined functions count as their caller). The guard calls
// next() synchronously for a cached key, so what follows it in the request is left out.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/bench/guard-profile.mjs <directory of .cpuprofile files>');
const top = Number(process.argv[3] ?? 20);

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  if (!profile.nodes.some((n) => n.callFrame.url.endsWith('bench-server.mjs'))) continue;

  let busy = 0;
  let guard = 0;
  const byLeaf = new Map();
  for (const [id, us] of self) {
    const leaf = nodes.get(id).callFrame;
    if (leaf.functionName === '(idle)') continue;
    busy += us;
    let passedNext = false;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const name = nodes.get(cur).callFrame.functionName;
      if (name === 'requireKeyOrSession') {
        if (!passedNext) {
          guard += us;
          const key = leaf.functionName || '(anonymous)';
          byLeaf.set(key, (byLeaf.get(key) ?? 0) + us);
        }
        break;
      }
      if (name === 'next') passedNext = true;
    }
  }
  const pct = (us) => `${((100 * us) / busy).toFixed(2)} %`;
  console.log(`${file}: busy ${(busy / 1000).toFixed(0)} ms, in the guard ${(guard / 1000).toFixed(0)} ms = ${pct(guard)}`);
  for (const [name, us] of [...byLeaf].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us).padStart(7)}  ${name}`);
}
