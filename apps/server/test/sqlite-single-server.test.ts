import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testStore } from '@pc/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from './harness.js';
import { type Instance, startInstance } from './instances.js';

// A second server on one SQLite file would keep its own cache and counters: it is refused.
const dirs: string[] = [];
const running: Instance[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.runIf(testStore() === 'sqlite')('one server per SQLite file', () => {
  it('refuses a second server on the same file, naming the file and pointing at PostgreSQL; the first keeps serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pc-lock-'));
    dirs.push(dir);
    const file = join(dir, 'pc.db');
    const first = await startInstance({ DATABASE_URL: `file:${file}` });
    running.push(first);
    const second = startInstance({ DATABASE_URL: `file:${file}` });
    await expect(second).rejects.toThrow(/exited with 1 before listening/);
    const message = await second.catch((e: Error) => e.message);
    expect(message).toContain(`already using the SQLite database ${file}`);
    expect(message).toMatch(/DATABASE_URL=postgres:\/\//);
    expect((await call(first, 'GET', '/health')).status).toBe(200);

    // The lock goes with the process, even when it is killed.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = await startInstance({ DATABASE_URL: `file:${file}` });
    running.push(third);
    expect((await call(third, 'GET', '/health')).status).toBe(200);
  });
});
