// Bundles the bench's TypeScript entries (bench-server.ts, flush-probe.ts) into .bench/ with the
// options apps/server/build.mjs uses for dist/main.js, so the bench server starts and runs as the
// shipped one does. better-sqlite3 (a native addon) stays external, loaded from node_modules.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
const NATIVE = ['better-sqlite3'];

/** Builds `<name>.ts` from this folder into `<outDir>/<name>.mjs` for each name; returns their paths. */
export async function bundleBenchEntries(outDir, names = ['bench-server', 'flush-probe']) {
  const out = {};
  for (const name of names) {
    const outfile = join(outDir, `${name}.mjs`);
    await build({
      entryPoints: [join(HERE, `${name}.ts`)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: true,
      external: NATIVE,
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'warning',
    });
    out[name] = outfile;
  }
  return out;
}
