import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { testStore } from '@pc/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, waitForOutput } from './instances.js';

// The README's walk-through, as a new user pastes it: its own text, run by bash against the built
// server started as `npm start | tee server.log` would (no SMTP, so links go to the log), twice.
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** The shell blocks of the README's "Walk-through with curl" section, as one script. */
function walkThrough(): string {
  const readme = readFileSync(README, 'utf8');
  const section = /^## Walk-through with curl\n([\s\S]*?)^## /m.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no "## Walk-through with curl" section');
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(0);
  return blocks.join('\n');
}

/** The `# →` lines a run should print, in order: untagged ones every run, tagged ones on the first or later runs. */
function expectedLines(script: string, run: number): string[] {
  const lines: string[] = [];
  for (const m of script.matchAll(/^# → (?:(first run|later runs): )?(.*)$/gm)) {
    const tag = m[1];
    if (tag === undefined || (tag === 'first run') === (run === 1)) lines.push(m[2]!);
  }
  return lines;
}

/** `…` stands for anything; the rest must be printed exactly. */
const pattern = (expected: string) => new RegExp(`^${expected.split('…').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

let dir: string;
let port: number;
let server: ChildProcess;
const serverLog = () => readFileSync(join(dir, 'server.log'), 'utf8');

describe.runIf(testStore() === 'sqlite')('the README walk-through', () => {
  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first (npx turbo run build --filter=@pc/server)`);
    for (const tool of ['bash', 'curl']) {
      if (spawnSync(tool, ['--version']).error) throw new Error(`The walk-through needs ${tool}: apt-get install -y ${tool}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'pc-walkthrough-'));
    port = await freePort();
    // The defaults a new user has: the database under ./data, no SMTP, so links go to the log.
    const log = openSync(join(dir, 'server.log'), 'a');
    server = spawn(process.execPath, [MAIN], { cwd: dir, env: { PATH: process.env.PATH ?? '', PORT: String(port) }, stdio: ['ignore', log, log] });
    closeSync(log);
    await waitForOutput(serverLog, /listening on http:\/\//);
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints what the README says at every step, pasted twice in a row into the same directory', { timeout: 60_000 }, () => {
    const script = walkThrough();
    for (const run of [1, 2]) {
      const ran = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { cwd: dir, env: { PATH: process.env.PATH ?? '', PORT: String(port) }, encoding: 'utf8', timeout: 30_000 });
      const expected = expectedLines(script, run);
      const context = `run ${run} printed:\n${ran.stdout}${ran.stderr}\nthe README says:\n${expected.join('\n')}`;
      // Each answer ends its line, so none runs into the next prompt.
      expect(ran.stdout.endsWith('\n'), context).toBe(true);
      const printed = ran.stdout.slice(0, -1).split('\n');
      expect(printed.length, context).toBe(expected.length);
      printed.forEach((line, i) => expect(line, `run ${run}, answer ${i + 1}`).toMatch(pattern(expected[i]!)));
      expect({ status: ran.status, stderr: ran.stderr }).toEqual({ status: 0, stderr: '' });
    }
  });
});
