// Bundles the server and the workspace packages it imports into dist/main.js; npm dependencies stay external.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const external = new Set();
for (const pkg of ['.', '../../packages/core', '../../packages/db', '../../packages/api', '../../packages/contract']) {
  const json = JSON.parse(readFileSync(new URL(`${pkg}/package.json`, import.meta.url), 'utf8'));
  for (const dep of Object.keys(json.dependencies ?? {})) if (!dep.startsWith('@pc/')) external.add(dep);
}

await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: [...external].flatMap((d) => [d, `${d}/*`]),
  logLevel: 'warning',
});
