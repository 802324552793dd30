import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForOutput } from './instances.js';

// The built entry point as `npm start` runs it: outbox mail, graceful SIGTERM, restart on the same file.
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, cwd: string): Running {
  const child = spawn(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close': after the pipes gave up their last lines, which 'exit' can precede.
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, output: () => out, exited };
}

let dir: string;
let port: number;
let env: Record<string, string>;

beforeAll(async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the server first (npx turbo run build --filter=@pc/server)`);
  dir = mkdtempSync(join(tmpdir(), 'pc-main-'));
  port = await freePort();
  env = { PORT: String(port), DATABASE_URL: 'file:./data/pc.db' };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dist/main.js', () => {
  it('signs up with no SMTP (link in the log and an .eml in data/outbox), drains on SIGTERM and keeps everything across a restart', async () => {
    const base = `http://localhost:${port}/v1`;
    let server = start(env, dir);
    await waitForOutput(server.output, /listening on http:\/\/127\.0\.0\.1:\d+/);
    expect((await fetch(`http://localhost:${port}/health`)).status).toBe(200);

    const reg = await fetch(`${base}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'owner@example.com', workspaceName: 'main-test' }),
    });
    expect(reg.status).toBe(200);
    const [, link] = await waitForOutput(server.output, /(http:\/\/localhost:\d+\/auth\/verify\?token=[A-Za-z0-9_-]+)/);
    // The outbox's own line carries the link; the delivery line says the message went there, not out.
    await waitForOutput(server.output, /"recipientDomain":"example\.com","attempt":1,"msg":"mail written to the outbox"/);
    expect(server.output()).not.toMatch(/"msg":"mail sent"/);
    const outbox = join(dir, 'data', 'outbox');
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(readFileSync(join(outbox, readdirSync(outbox)[0]!), 'utf8')).toContain('To: owner@example.com');

    const token = new URL(link!).searchParams.get('token')!;
    const verified = await fetch(`${base}/auth/verify?token=${token}`);
    expect(verified.status).toBe(200);
    const cookie = verified.headers.getSetCookie()[0]!.split(';')[0]!;
    const created = await fetch(`${base}/api-keys`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: 'survives' }),
    });
    const key = (await created.json()) as { id: string; key: string };
    expect((await fetch(`${base}/agents`, { headers: { 'x-api-key': key.key } })).status).toBe(200);

    // The use is only in memory (flushed each second); SIGTERM must flush it before exiting.
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/stopped cleanly/);
    expect(server.output()).not.toContain(key.key);
    expect(server.output()).not.toContain(cookie.split('=')[1]!);

    server = start(env, dir);
    await waitForOutput(server.output, /listening on/);
    const detail = await fetch(`${base}/api-keys/${key.id}`, { headers: { cookie } });
    expect(detail.status).toBe(200);
    const body = (await detail.json()) as { lastUsedAt: string | null; lastUsedIp: string | null };
    expect(body.lastUsedAt).not.toBeNull();
    expect(body.lastUsedIp).toBe('127.0.0.1');
    expect((await fetch(`${base}/agents`, { headers: { 'x-api-key': key.key } })).status).toBe(200);
    server.child.kill('SIGINT');
    expect(await server.exited).toBe(0);
  });

  it('refuses a bad configuration with a message naming the variable', async () => {
    const bad = start({ ...env, PORT: 'eighty' }, dir);
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT must be a whole number/);
  });
});
