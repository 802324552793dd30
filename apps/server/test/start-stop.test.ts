import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Agent as HttpAgent, Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDb, migrateToLatest } from '@pc/db';
import { sql } from 'kysely';
import { type TestDatabase, createTestDatabase, testStore } from '@pc/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { call } from './harness.js';
import { type Instance, MAIN, signUpAt, startInstance, waitForOutput } from './instances.js';
import { startSmtpSink } from './harness.js';

// Starting and stopping the built server as an operator does, and what it does with its files.
const onSqlite = testStore() === 'sqlite';
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const dirs: string[] = [];
const running: Instance[] = [];
let database: TestDatabase | undefined;
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
  await database?.drop();
  database = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'pc-start-'));
  dirs.push(d);
  return d;
};

/** Runs the server until it exits (it should fail to start); its exit code, output and how long it took. */
function runToExit(env: Record<string, string>, shell?: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = shell
      ? spawn('sh', ['-c', shell], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    // 'close': after the pipes gave up their last lines, which 'exit' can precede.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: performance.now() - started });
    });
  });
}

describe.runIf(onSqlite)('start: every configuration error names what to change', () => {
  it('SMTP_URL that is not an SMTP URL: exit 1 naming SMTP_URL, without echoing it', async () => {
    const r = await runToExit({ DATABASE_URL: `file:${join(tempDir(), 'pc.db')}`, SMTP_URL: 'garbage-s3cret' });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/SMTP_URL: SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL/);
    expect(r.output).not.toContain('garbage-s3cret');
  });

  it('a database path that cannot be made: exit 1 at once, naming DATABASE_URL, the path and why', async () => {
    const proc = await runToExit({ DATABASE_URL: 'file:/proc/nope/pc.db' });
    expect(proc.code).toBe(1);
    expect(proc.ms).toBeLessThan(5000);
    expect(proc.output).toContain('DATABASE_URL: cannot create the directory /proc/nope');
    const dir = tempDir();
    writeFileSync(join(dir, 'afile'), 'x');
    const notDir = await runToExit({ DATABASE_URL: `file:${join(dir, 'afile', 'pc.db')}` });
    expect(notDir.code).toBe(1);
    expect(notDir.output).toContain(`DATABASE_URL: cannot use the directory ${join(dir, 'afile')}: a part of the path is not a directory.`);
  });

  it('a file that is not a database, or a database with damaged pages: exit 1 naming the path and the reason', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'junk.db'), 'this is not a database at all, just text'.repeat(200));
    const junk = await runToExit({ DATABASE_URL: `file:${join(dir, 'junk.db')}` });
    expect(junk.code).toBe(1);
    expect(junk.output).toContain(`DATABASE_URL: cannot open the SQLite database ${join(dir, 'junk.db')}: it is not a SQLite database`);

    const damaged = join(dir, 'damaged.db');
    const handle = createDb(`file:${damaged}`);
    await migrateToLatest(handle);
    for (let i = 0; i < 400; i++) await handle.db.insertInto('users').values({ id: `user_${i}`, email: `u${i}@example.com`, created_at: '2026-01-01T00:00:00.000Z' }).execute();
    await handle.close();
    // Overwrite a page in the middle of the file (not the header, not the schema page).
    const bytes = readFileSync(damaged);
    bytes.fill(0x5a, 4096 * 4, 4096 * 5);
    writeFileSync(damaged, bytes);
    const r = await runToExit({ DATABASE_URL: `file:${damaged}` });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(new RegExp(`DATABASE_URL: (the SQLite database ${damaged} is damaged|cannot \\w+ the SQLite database ${damaged}: (the file is damaged|it is not a SQLite database))`));
  });

  it('a database migrated by a newer version: exit 1 saying so', async () => {
    const file = join(tempDir(), 'newer.db');
    const handle = createDb(`file:${file}`);
    await migrateToLatest(handle);
    await sql`insert into kysely_migration (name, timestamp) values ('9999-from-the-future', '2030-01-01T00:00:00.000Z')`.execute(handle.db);
    await handle.close();
    const r = await runToExit({ DATABASE_URL: `file:${file}` });
    expect(r.code).toBe(1);
    expect(r.output).toContain('This database was migrated by a newer version of Private Connect (it has migration 9999-from-the-future, which this version does not know).');
  });

  it('a taken port: exit 1 naming PORT, and no "listening" line', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runToExit({ DATABASE_URL: `file:${join(tempDir(), 'pc.db')}`, PORT: String(port) });
      expect(r.code).toBe(1);
      expect(r.output).toContain(`PORT ${port} is already in use on 127.0.0.1`);
      expect(r.output).not.toContain('listening on');
    } finally {
      blocker.close();
    }
  });

  it('creates the database, -wal and -shm 0600 in a 0700 folder, whatever the umask', async () => {
    const dir = join(tempDir(), 'data');
    const child = spawn('sh', ['-c', `umask 000; exec "${process.execPath}" "${MAIN}"`], {
      env: { PATH: process.env.PATH ?? '', PORT: '0', DATABASE_URL: `file:${join(dir, 'pc.db')}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [, port] = await waitForOutput(() => out, /listening on http:\/\/[\d.]+:(\d+)/);
    // A write makes sure the WAL exists.
    await call({ url: `http://127.0.0.1:${port}` }, 'POST', '/v1/auth/login', { body: { email: 'x@example.com' } });
    const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
    expect(mode(dir)).toBe('700');
    for (const f of ['pc.db', 'pc.db-wal', 'pc.db-shm']) expect(mode(join(dir, f)), f).toBe('600');
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
  });
});

describe.runIf(onSqlite)('npm start', () => {
  it('stops the server when npm itself gets SIGTERM (node does not outlive it)', async () => {
    const dir = tempDir();
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', DATABASE_URL: `file:${join(dir, 'pc.db')}`, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const [, port] = await waitForOutput(() => out, /listening on http:\/\/[\d.]+:(\d+)/, 120_000);
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    await waitForOutput(() => out, /stopped cleanly/, 10_000);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  }, 150_000);
});

describe('stop: busy keep-alive clients do not hold the server open', () => {
  it('SIGTERM with eight clients hammering writes: exit 0 within 3 s, every acknowledged write kept, the last use flushed', async () => {
    database = await createTestDatabase();
    const sink = await startSmtpSink();
    try {
      const server = await startInstance({ DATABASE_URL: database.url, SMTP_URL: sink.url });
      running.push(server);
      const cookie = await signUpAt(server, sink, 'owner@example.com', 'drain');
      const key = (await call(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'busy' } })).body as { id: string; key: string };
      const agent: HttpAgent = new Agent({ keepAlive: true, maxSockets: 8 });
      const { port } = new URL(server.url);
      const post = (name: string) =>
        new Promise<{ status: number; id?: string; connection?: string }>((resolve) => {
          const req = request(
            { host: '127.0.0.1', port, method: 'POST', path: '/v1/agents', agent, headers: { 'content-type': 'application/json', 'x-api-key': key.key } },
            (res) => {
              let body = '';
              res.on('data', (d: Buffer) => (body += d.toString()));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, id: res.statusCode === 201 ? (JSON.parse(body) as { id: string }).id : undefined, connection: res.headers.connection }));
            },
          );
          req.on('error', () => resolve({ status: 0 }));
          req.end(JSON.stringify({ name }));
        });
      const acknowledged: string[] = [];
      const closes: string[] = [];
      let done = false;
      const clients = Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; !done; i++) {
          const r = await post(`c${c}-${i}`);
          if (r.id) acknowledged.push(r.id);
          if (r.connection === 'close') closes.push(r.connection);
          if (r.status === 0) return;
        }
      });
      await new Promise((r) => setTimeout(r, 400));
      const stopAt = performance.now();
      const stopWall = Date.now();
      server.child.kill('SIGTERM');
      const code = await server.exited;
      const took = performance.now() - stopAt;
      done = true;
      await Promise.all(clients);
      agent.destroy();
      expect(code).toBe(0);
      expect(took).toBeLessThan(3000);
      expect(server.output()).toContain('stopped cleanly');
      // On PostgreSQL a write is in flight when the signal lands, and its answer says Connection: close.
      // (With SQLite a request is answered within one turn of the event loop: none is mid-way then.)
      if (!onSqlite) expect(closes.length).toBeGreaterThan(0);
      expect(acknowledged.length).toBeGreaterThan(20);

      const again = await startInstance({ DATABASE_URL: database.url, SMTP_URL: sink.url });
      running.push(again);
      const stored = new Set(((await call(again, 'GET', '/v1/agents?limit=1000', { cookie })).body as Array<{ id: string }>).map((a) => a.id));
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      const detail = (await call(again, 'GET', `/v1/api-keys/${key.id}`, { cookie })).body as { lastUsedAt: string | null };
      // The use right before the stop (in memory until the shutdown flush) made it to the database.
      expect(Date.parse(detail.lastUsedAt!)).toBeGreaterThan(stopWall - 500);
    } finally {
      await sink.close();
    }
  });
});
