import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sqlitePathFromUrl } from '@pc/db';
import { type TestDatabase, createTestDatabase, testStore } from '@pc/db/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, call, startSmtpSink } from './harness.js';
import { type Instance, signUpAt, startInstance } from './instances.js';

// `npx private-connect …` as an operator runs it: the real bin, beside a real server process.
const BIN = fileURLToPath(new URL('../bin/private-connect.mjs', import.meta.url));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // 'close': after the pipes gave up their last lines, which 'exit' can precede.
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let sink: SmtpSink;
let database: TestDatabase;
let server: Instance | undefined;
let env: Record<string, string>;
const dirs: string[] = [];

beforeAll(async () => {
  sink = await startSmtpSink();
});
afterAll(async () => {
  await sink.close();
});
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await database?.drop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function withServer(extra: Record<string, string> = {}) {
  database = await createTestDatabase();
  server = await startInstance({ DATABASE_URL: database.url, SMTP_URL: sink.url, ...extra });
  env = { DATABASE_URL: database.url, PUBLIC_URL: 'http://localhost:3000', SMTP_URL: sink.url };
  return server;
}

const tokenOf = (link: string) => new URL(link.trim()).searchParams.get('token')!;

describe('private-connect, beside a running server', () => {
  it('create-workspace works with sign-up closed, and its link signs in at the server', async () => {
    const s = await withServer({ SIGNUP: 'closed' });
    expect((await call(s, 'POST', '/v1/auth/register', { body: { email: 'boss@example.com', workspaceName: 'hq' } })).body.code).toBe('signup_closed');
    const made = await cli(['create-workspace', 'Boss@Example.com', 'hq'], env);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^http:\/\/localhost:3000\/auth\/verify\?token=[A-Za-z0-9_-]{43}\n$/);
    expect(made.stderr).toContain('Created the workspace "hq"');
    const signedIn = await call(s, 'GET', `/v1/auth/verify?token=${tokenOf(made.stdout)}`);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ user: { email: 'boss@example.com' }, workspace: { name: 'hq' } });
    expect((await call(s, 'GET', `/v1/auth/verify?token=${tokenOf(made.stdout)}`)).status).toBe(400); // single use
    const again = await cli(['create-workspace', 'boss@example.com', 'hq-2'], env);
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toContain('already has an account');
  });

  it('sign-in-link: a single-use link for an account, recorded in the audit log; an unknown e-mail exits 1', async () => {
    const s = await withServer();
    const cookie = await signUpAt(s, sink, 'owner@example.com', 'acme');
    const issued = await cli(['sign-in-link', 'owner@example.com'], env);
    expect(issued.code, issued.stderr).toBe(0);
    expect(issued.stderr).toMatch(/Single use, valid until .* signs in to "acme"/);
    expect((await call(s, 'GET', `/v1/auth/verify?token=${tokenOf(issued.stdout)}`)).status).toBe(200);
    const log = (await call(s, 'GET', '/v1/audit-logs?action=auth.sign_in_link_issued', { cookie })).body.data;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ actor: { type: 'system', id: null }, metadata: { email: 'owner@example.com' } });
    expect(JSON.stringify(log)).not.toContain(tokenOf(issued.stdout));
    const nobody = await cli(['sign-in-link', 'nobody@example.com'], env);
    expect(nobody).toMatchObject({ code: 1, stdout: '' });
    expect(nobody.stderr).toContain('No account has the e-mail nobody@example.com.');
  });

  it('users, workspaces and keys list what is there', async () => {
    const s = await withServer();
    const cookie = await signUpAt(s, sink, 'owner@example.com', 'acme');
    const key = (await call(s, 'POST', '/v1/api-keys', { cookie, body: { name: 'deploy' } })).body;
    const users = await cli(['users'], env);
    expect(users.stdout).toMatch(/^EMAIL\s+CREATED\s+WORKSPACES\nowner@example\.com\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+acme\n$/);
    const workspaces = await cli(['workspaces'], env);
    expect(workspaces.stdout).toMatch(/acme\s+ws_\w+\s+owner@example\.com\s+1\s/);
    const keys = await cli(['keys', 'acme'], env);
    expect(keys.stdout).toContain(key.id);
    expect(keys.stdout).toMatch(/deploy\s+pc_live_\w{4}\s+active/);
    expect(keys.stdout).not.toContain(key.key);
    expect((await cli(['keys', 'nope'], env)).stderr).toContain('No workspace is named nope.');
  });

  it('revoke-key: the running server refuses the key on the very next request after the command returns', async () => {
    const s = await withServer();
    const cookie = await signUpAt(s, sink, 'owner@example.com', 'acme');
    for (let i = 0; i < 3; i++) {
      const key = (await call(s, 'POST', '/v1/api-keys', { cookie, body: { name: `k${i}` } })).body;
      expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200); // cached by the server
      const revoked = await cli(['revoke-key', key.id], env);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`Revoked ${key.id} (k${i})`);
      expect((await call(s, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(401);
    }
    expect((await cli(['revoke-key', 'key_doesnotexist00000'], env)).code).toBe(1);
  });

  it('backup: a consistent copy while the server runs, which a restore brings back', async () => {
    const s = await withServer();
    const cookie = await signUpAt(s, sink, 'owner@example.com', 'acme');
    const key = (await call(s, 'POST', '/v1/api-keys', { cookie, body: { name: 'kept' } })).body;
    const dir = mkdtempSync(join(tmpdir(), 'pc-backup-'));
    dirs.push(dir);
    const file = join(dir, 'backup.db');
    const made = await cli(['backup', file], env);
    expect(made.code, made.stderr).toBe(0);
    expect(existsSync(file)).toBe(true);
    expect((await cli(['backup', file], env)).stderr).toContain('exists already');
    // After the backup: a key the restore must not bring back.
    const later = (await call(s, 'POST', '/v1/api-keys', { cookie, body: { name: 'after-backup' } })).body;
    await s.stop();
    server = undefined;

    let restoredUrl: string;
    if (testStore() === 'sqlite') {
      // The README's restore: stop the server, put the copy in place, start it.
      const path = sqlitePathFromUrl(database.url);
      for (const f of [`${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
      copyFileSync(file, path);
      restoredUrl = database.url;
    } else {
      const admin = new pg.Client({ connectionString: process.env.PC_TEST_POSTGRES_URL });
      await admin.connect();
      const name = `restored_${Date.now()}`;
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = new URL(process.env.PC_TEST_POSTGRES_URL!);
      url.pathname = `/${name}`;
      restoredUrl = url.toString();
      const restore = spawnSync('pg_restore', ['--no-owner', `--dbname=${restoredUrl}`, file], { encoding: 'utf8' });
      expect(restore.status, restore.stderr).toBe(0);
      const drop = database.drop;
      database = { url: restoredUrl, drop: async () => { await drop(); const a = new pg.Client({ connectionString: process.env.PC_TEST_POSTGRES_URL }); await a.connect(); await a.query(`drop database if exists ${name} with (force)`); await a.end(); } };
    }
    server = await startInstance({ DATABASE_URL: restoredUrl, SMTP_URL: sink.url });
    expect((await call(server, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    expect((await call(server, 'GET', '/v1/agents', { apiKey: later.key })).status).toBe(401);
    expect((await call(server, 'GET', '/v1/auth/me', { cookie })).status).toBe(200);
  });

  it('doctor: says all is well when it is, names the relay that refuses, exits 1', async () => {
    const s = await withServer();
    const good = await cli(['doctor'], { ...env, PUBLIC_URL: s.url });
    expect(good.code, good.stdout).toBe(0);
    expect(good.stdout).toMatch(/^ok {4}configuration: parsed$/m);
    expect(good.stdout).toMatch(/^ok {4}database: reachable and migrated/m);
    expect(good.stdout).toMatch(/^ok {4}mail: connected to 127\.0\.0\.1:\d+$/m);
    expect(good.stdout).toMatch(/^ok {4}PUBLIC_URL .* answers as this server$/m);
    expect(good.stdout).toContain('No problems found.');

    const bad = await cli(['doctor'], { ...env, SMTP_URL: 'smtp://127.0.0.1:1' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL {2}mail: 127\.0\.0\.1:1 did not accept us/m);
    expect(bad.stdout).toMatch(/→ Check the host, port, user and password in SMTP_URL/);
    expect(bad.stdout).toMatch(/^warn {2}PUBLIC_URL http:\/\/localhost:3000: nothing answers/m);
  });
});

describe('private-connect, on its own', () => {
  it('openapi prints the document the server serves, for PUBLIC_URL, with no database', async () => {
    const ran = await cli(['openapi'], { PUBLIC_URL: 'https://auth.example.org', DATABASE_URL: 'file:/nonexistent/never.db' });
    expect(ran.code).toBe(0);
    const doc = JSON.parse(ran.stdout);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://auth.example.org/v1' }]);
    expect(Object.keys(doc.paths)).toContain('/api-keys/{id}/roll');
    expect(existsSync('/nonexistent/never.db')).toBe(false);
  });

  it('--help lists every command; an unknown one exits 1; no database is never created by it', async () => {
    const help = await cli(['--help'], {});
    expect(help.code).toBe(0);
    for (const c of ['sign-in-link', 'create-workspace', 'users', 'workspaces', 'keys', 'revoke-key', 'backup', 'doctor', 'openapi', 'agent']) expect(help.stdout).toContain(c);
    expect((await cli(['frobnicate'], {})).code).toBe(1);
    const dir = mkdtempSync(join(tmpdir(), 'pc-cli-'));
    dirs.push(dir);
    const missing = await cli(['users'], { DATABASE_URL: `file:${join(dir, 'none.db')}` });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No database at ${join(dir, 'none.db')} (DATABASE_URL). Start the server once`);
    expect(existsSync(join(dir, 'none.db'))).toBe(false);
    const doctor = await cli(['doctor'], { DATABASE_URL: `file:${join(dir, 'none.db')}` });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/^FAIL {2}database: no SQLite file at/m);
    expect(doctor.stdout).toMatch(/^warn {2}mail: SMTP_URL is not set/m);
  });
});
