#!/usr/bin/env node
// `npx private-connect <command>`: the admin command, built with the server (`npm start` or
// `npm run build`); built here first if it is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  process.stderr.write('private-connect: building the server first (once)…\n');
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const built = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@pc/server', '--output-logs=errors-only'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
  if (built.status !== 0) process.exit(1);
}
await import(cli.href);
