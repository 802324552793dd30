import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Server, type Socket, createServer, connect } from 'node:net';
import { join } from 'node:path';
import { testStore } from '@pc/db/testing';
import { type PostgresCluster, startPostgresCluster } from '@pc/db/testing/postgres-cluster.mjs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Reply, type SmtpSink, call, startSmtpSink } from './harness.js';
import { type Instance, signUpAt, startInstance } from './instances.js';

// What the instances do when PostgreSQL goes away, hangs, restarts or is cut off from one of them.
// This file runs its own cluster: stopping the one the other test files share would break them.
const onPostgres = testStore() === 'postgres';

let cluster: PostgresCluster;
let sink: SmtpSink;
let dbSeq = 0;
let url: string;
const running: Instance[] = [];

beforeAll(async () => {
  if (!onPostgres) return;
  cluster = await startPostgresCluster();
  sink = await startSmtpSink();
}, 60_000);
afterAll(async () => {
  if (!onPostgres) return;
  await sink.close();
  await cluster.stop();
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') for (const i of running) process.stderr.write(`\n--- instance ${i.url} (exit ${i.child.exitCode}):\n${i.output()}\n`);
  await Promise.all(running.splice(0).map((i) => i.stop()));
});

async function freshDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  const name = `outage_${dbSeq++}`;
  await admin.query(`create database ${name}`);
  await admin.end();
  return cluster.url(name);
}

async function instance(databaseUrl = url): Promise<Instance> {
  const started = await startInstance({ DATABASE_URL: databaseUrl, SMTP_URL: sink.url, DATABASE_POOL_MAX: '4' });
  running.push(started);
  return started;
}

/** A request and how long its answer took. */
async function timed(at: Instance, method: string, path: string, opts: Parameters<typeof call>[3] = {}): Promise<Reply & { ms: number }> {
  const started = performance.now();
  const res = await call(at, method, path, opts);
  return { ...res, ms: performance.now() - started };
}

async function until(check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server processes of the cluster: the postmaster and its children. */
function clusterPids(): number[] {
  const postmaster = Number(readFileSync(join(cluster.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('pgrep', ['-P', String(postmaster)]).toString().trim().split('\n').map(Number).filter(Boolean);
  return [postmaster, ...children];
}

function expectUnavailable(res: Reply & { ms: number }): void {
  expect(res.status, JSON.stringify(res.body)).toBe(503);
  expect(res.body).toMatchObject({ statusCode: 503, error: 'Service Unavailable', code: 'database_unavailable' });
  expect(res.headers.get('retry-after')).toBe('1');
  expect(res.ms).toBeLessThan(5000);
}

/** A TCP hop between one instance and PostgreSQL that the test can cut and restore: a network partition. */
function partitionableLink(targetPort: number) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server: Server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  return {
    async listen(): Promise<number> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return (server.address() as { port: number }).port;
    },
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe.runIf(onPostgres)('PostgreSQL down, hung, restarted or out of reach', () => {
  it('down: /health and requests answer 503 within 5 s; back: every instance recovers without a restart', async () => {
    url = await freshDatabase();
    const [a, b] = [await instance(), await instance()];
    const cookie = await signUpAt(a, sink, 'owner@example.com', 'outage');
    const key = (await call(a, 'POST', '/v1/api-keys', { cookie, body: { name: 'k' } })).body as { id: string; key: string };
    expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);

    cluster.stopServer();
    for (const at of [a, b]) {
      const health = await timed(at, 'GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body).toEqual({ status: 'error', database: 'error' });
      expect(health.ms).toBeLessThan(5000);
    }
    await sleep(1200); // past the freshness bound: cached keys are no longer served
    expectUnavailable(await timed(b, 'GET', '/v1/agents', { apiKey: key.key }));
    expectUnavailable(await timed(a, 'GET', '/v1/auth/me', { cookie }));
    const viaTrpc = await timed(a, 'GET', '/trpc/auth.me', { cookie });
    expect(viaTrpc.status).toBe(503);
    expect(viaTrpc.body.error.data).toMatchObject({ appCode: 'database_unavailable', httpStatus: 503 });

    cluster.startServer();
    for (const at of [a, b]) await until(async () => (await call(at, 'GET', '/health')).status === 200, 10_000);
    await until(async () => (await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status === 200, 5000);
    // The listeners are back: a revocation at A holds at B on the next request.
    expect((await call(a, 'DELETE', `/v1/api-keys/${key.id}`, { cookie })).status).toBe(200);
    expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(401);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
  });

  it('restarted: instances reconnect by themselves and revocations still reach every instance', async () => {
    url = await freshDatabase();
    const [a, b] = [await instance(), await instance()];
    const cookie = await signUpAt(a, sink, 'restart@example.com', 'restart');
    const key = (await call(a, 'POST', '/v1/api-keys', { cookie, body: { name: 'k' } })).body as { id: string; key: string };
    expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    cluster.restart();
    for (const at of [a, b]) await until(async () => (await call(at, 'GET', '/v1/agents', { apiKey: key.key })).status === 200, 10_000);
    await sleep(500); // the listener is back too (it retries within 2 s)
    await until(async () => (await call(a, 'GET', '/health')).status === 200, 5000);
    expect((await call(a, 'DELETE', `/v1/api-keys/${key.id}`, { cookie })).status).toBe(200);
    expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(401);
  });

  it('hung (every server process stopped): answers within 5 s instead of hanging, and recovers when it resumes', async () => {
    url = await freshDatabase();
    const a = await instance();
    const cookie = await signUpAt(a, sink, 'hung@example.com', 'hung');
    const key = (await call(a, 'POST', '/v1/api-keys', { cookie, body: { name: 'k' } })).body as { key: string };
    expect((await call(a, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
    const pids = clusterPids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      const health = await timed(a, 'GET', '/health');
      expect(health.status).toBe(503);
      expect(health.ms).toBeLessThan(5000);
      await sleep(1200);
      expectUnavailable(await timed(a, 'GET', '/v1/agents', { apiKey: key.key }));
      expectUnavailable(await timed(a, 'POST', '/v1/api-keys', { cookie, body: { name: 'while-hung' } }));
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await until(async () => (await call(a, 'GET', '/v1/agents', { apiKey: key.key })).status === 200, 10_000);
  });

  it('out of reach of one instance: the revocation made at another is never answered from the cut-off cache', async () => {
    url = await freshDatabase();
    const link = partitionableLink(cluster.port);
    const viaLink = new URL(url);
    viaLink.port = String(await link.listen());
    try {
      const a = await instance();
      const b = await instance(viaLink.toString());
      const cookie = await signUpAt(a, sink, 'cut@example.com', 'cut');
      const key = (await call(a, 'POST', '/v1/api-keys', { cookie, body: { name: 'k' } })).body as { id: string; key: string };
      expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);

      link.cut();
      const revoke = await timed(a, 'DELETE', `/v1/api-keys/${key.id}`, { cookie });
      expect(revoke.status).toBe(200);
      // A waited for B's confirmation up to the bound past which B cannot serve from its cache.
      expect(revoke.ms).toBeGreaterThanOrEqual(900);
      expect(revoke.ms).toBeLessThan(2500);
      for (let i = 0; i < 5; i++) {
        const res = await timed(b, 'GET', '/v1/agents', { apiKey: key.key });
        expect(res.status, 'a cut-off instance must not serve the revoked key').not.toBe(200);
        expectUnavailable(res);
      }

      link.restore();
      await until(async () => (await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status === 401, 10_000);
    } finally {
      link.cut();
      await link.close();
    }
  });
});
