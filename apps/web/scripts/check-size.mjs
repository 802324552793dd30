// Fails when the JavaScript a first visit downloads (the scripts and modulepreloads of the built
// index.html, plus their static imports) exceeds the budget, measured gzipped.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 150;
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const indexPath = join(dist, 'index.html');
if (!existsSync(indexPath)) {
  console.error(`check-size: ${indexPath} not found; run "vite build" first.`);
  process.exit(1);
}
const html = readFileSync(indexPath, 'utf8');

const entries = [...html.matchAll(/<script[^>]*\bsrc="([^"]+)"[^>]*>/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"[^>]*>/g)].map(
  (m) => m[1],
);
if (entries.length === 0) {
  console.error('check-size: no <script src> in index.html');
  process.exit(1);
}
if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) {
  console.error('check-size: index.html has an inline <script>; the CSP (script-src \'self\') would block it.');
  process.exit(1);
}

// Static imports of a chunk load with it; dynamic import() ones (lazy pages) do not.
const STATIC_IMPORT = /(?:^|[;\n}])\s*import\s*(?:[\w$*{},\s]+from\s*)?["']([^"']+\.js)["']/g;
const seen = new Set();
const queue = entries.map((src) => join(dist, src.replace(/^\//, '')));
let raw = 0;
let gzip = 0;
while (queue.length > 0) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  const code = readFileSync(file);
  raw += code.length;
  gzip += gzipSync(code, { level: 9 }).length;
  for (const m of code.toString('utf8').matchAll(STATIC_IMPORT)) queue.push(resolve(dirname(file), m[1]));
}

const kb = (n) => (n / 1024).toFixed(1);
const files = [...seen].map((f) => f.slice(dist.length + 1)).join(', ');
console.log(`check-size: initial JS ${kb(gzip)} KB gzip (${kb(raw)} KB raw) in ${seen.size} file(s): ${files}; budget ${BUDGET_KB} KB`);
if (gzip > BUDGET_KB * 1024) {
  console.error(`check-size: FAILED: initial JS is ${kb(gzip)} KB gzip, over the ${BUDGET_KB} KB budget. Lazy-load more pages.`);
  process.exit(1);
}
