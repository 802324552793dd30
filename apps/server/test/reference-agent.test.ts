import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type TestDatabase, createTestDatabase, testStore } from '@pc/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, call, startSmtpSink } from './harness.js';
import { eventually, unknownWellFormedKey } from './helpers.js';
import { type Instance, signUpAt, startInstance, waitForOutput } from './instances.js';

// `npx private-connect agent` as an operator runs it: the real bin, a real server process, no fakes.
// The agent is a client of /v1 and never opens the database, so one store (SQLite) is enough.
const BIN = fileURLToPath(new URL('../bin/private-connect.mjs', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
const VERSION = pkg.version ?? '0.0.0';

interface Line {
  at: number;
  text: string;
}

interface AgentProcess {
  child: ChildProcess;
  lines: Line[];
  output(): string;
  exited: Promise<number | null>;
  /** Sends `signal` and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

const running: AgentProcess[] = [];

function runAgent(args: string[], env: Record<string, string>): AgentProcess {
  const child = spawn(process.execPath, [BIN, 'agent', ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Line[] = [];
  let out = '';
  let partial = '';
  const take = (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const whole = partial.split('\n');
    partial = whole.pop()!;
    for (const text of whole) lines.push({ at: Date.now(), text });
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  // 'close': after the pipes gave up their last lines, which 'exit' can precede.
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const agent: AgentProcess = {
    child,
    lines,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      const t0 = Date.now();
      child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
  running.push(agent);
  return agent;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The access-log lines of `server` (JSON, one a line). */
function accessLog(server: Instance): Array<{ route?: string; status?: number; keyPrefix?: string; msg?: string }> {
  return server
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((l) => l.msg === 'request');
}
const HEARTBEAT_ROUTE = '/v1/agents/:id/heartbeat';

/** The "retry N in X s" lines: attempt, delay in ms, when the test saw it. */
const retries = (a: AgentProcess) =>
  a.lines.flatMap((l) => {
    const m = /retry (\d+) in (\d+\.\d) s$/.exec(l.text);
    return m ? [{ attempt: Number(m[1]), delayMs: Number(m[2]) * 1000, at: l.at, text: l.text }] : [];
  });

let sink: SmtpSink;
const databases: TestDatabase[] = [];
const servers: Instance[] = [];

async function serverWith(env: Record<string, string> = {}, database?: TestDatabase): Promise<Instance> {
  const db = database ?? (await createTestDatabase());
  if (!database) databases.push(db);
  const s = await startInstance({ DATABASE_URL: db.url, SMTP_URL: sink.url, ...env });
  servers.push(s);
  return s;
}

async function keyFor(server: Instance, cookie: string, name: string): Promise<{ id: string; key: string }> {
  const res = await call(server, 'POST', '/v1/api-keys', { cookie, body: { name } });
  if (res.status !== 201) throw new Error(`create key: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

describe.runIf(testStore() === 'sqlite')('private-connect agent', () => {
  let server: Instance;
  let cookie: string;

  beforeAll(async () => {
    sink = await startSmtpSink();
    server = await serverWith({ AGENT_OFFLINE_AFTER_SECONDS: '2' });
    cookie = await signUpAt(server, sink, 'ops@example.com', 'fleet');
  });
  afterEach(async () => {
    for (const a of running.splice(0)) if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
  });
  afterAll(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const d of databases.splice(0)) await d.drop();
    await sink?.close();
  });

  const agentsNamed = async (key: string, name: string) =>
    ((await call(server, 'GET', '/v1/agents?limit=1000', { apiKey: key })).body as Array<{ id: string; name: string }>).filter((a) => a.name === name);

  it('registers once, heartbeats every interval without a log line each, exits 0 at once on SIGTERM, shows offline, and a restart reuses the agent', async () => {
    const { key } = await keyFor(server, cookie, 'gateway');
    const env = { PRIVATE_CONNECT_URL: server.url, PRIVATE_CONNECT_API_KEY: key };
    const first = runAgent(['--name', 'office-gw', '--label', 'Office', '--interval', '1'], env);
    await waitForOutput(first.output, /: online\n/);
    expect(first.output()).toMatch(new RegExp(`starting \\(version ${VERSION.replace(/\./g, '\\.')}\\): ${server.url}, a heartbeat every 1 s`));
    const named = await agentsNamed(key, 'office-gw');
    expect(named).toHaveLength(1);
    const registered = named[0];
    expect(first.output()).toContain(`registered as ${registered!.id}\n`);

    const seen = (await call(server, 'GET', `/v1/agents/${registered!.id}`, { apiKey: key })).body;
    expect(seen).toMatchObject({ name: 'office-gw', label: 'Office', status: 'online', version: VERSION, lastSeenIp: '127.0.0.1' });
    expect(Date.now() - Date.parse(seen.lastSeenAt)).toBeLessThan(5000);

    // A heartbeat a second, each one a request, none of them a log line.
    const quietFrom = first.lines.length;
    const beatsBefore = accessLog(server).filter((l) => l.route === HEARTBEAT_ROUTE && l.keyPrefix === key.slice(0, 12)).length;
    await sleep(3200);
    const beats = accessLog(server).filter((l) => l.route === HEARTBEAT_ROUTE && l.keyPrefix === key.slice(0, 12));
    expect(beats.length - beatsBefore).toBeGreaterThanOrEqual(2);
    expect(beats.length - beatsBefore).toBeLessThanOrEqual(5);
    expect(beats.every((l) => l.status === 200)).toBe(true);
    expect(first.lines.slice(quietFrom)).toEqual([]);
    const later = (await call(server, 'GET', `/v1/agents/${registered!.id}`, { apiKey: key })).body;
    expect(Date.parse(later.lastSeenAt)).toBeGreaterThan(Date.parse(seen.lastSeenAt));

    const stopped = await first.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(1000);
    expect(first.output()).toMatch(/stopped \(SIGTERM\)\n$/);
    expect(first.output()).not.toContain(key);
    await eventually(async () => {
      expect((await call(server, 'GET', `/v1/agents/${registered!.id}`, { apiKey: key })).body.status).toBe('offline');
    }, 8000);

    const second = runAgent(['--name', 'office-gw', '--interval', '1'], env);
    await waitForOutput(second.output, /: online\n/);
    expect(second.output()).toContain(`found as ${registered!.id}; reusing it\n`);
    expect(second.output()).not.toContain('registered as');
    expect(await agentsNamed(key, 'office-gw')).toHaveLength(1);
    expect((await call(server, 'GET', `/v1/agents/${registered!.id}`, { apiKey: key })).body).toMatchObject({ status: 'online', label: 'Office' });
    const interrupted = await second.stop('SIGINT');
    expect(interrupted).toMatchObject({ code: 0 });
    expect(interrupted.ms).toBeLessThan(1000);
  });

  it('registers again when its agent is deleted while it runs', async () => {
    const { key } = await keyFor(server, cookie, 'deleted');
    const a = runAgent(['--name', 'ephemeral', '--interval', '1'], { PRIVATE_CONNECT_URL: server.url, PRIVATE_CONNECT_API_KEY: key });
    await waitForOutput(a.output, /registered as (agt_\w+)\n/);
    await waitForOutput(a.output, /: online\n/);
    const [old] = await agentsNamed(key, 'ephemeral');
    expect((await call(server, 'DELETE', `/v1/agents/${old!.id}`, { apiKey: key })).status).toBe(200);

    await waitForOutput(a.output, /answered 404 not_found: .*; registering again; retry 1 in \d+\.\d s\n/, 5000);
    await waitForOutput(a.output, /online again after 1 failed attempt\n/, 5000);
    const now = await agentsNamed(key, 'ephemeral');
    expect(now).toHaveLength(1);
    expect(now[0]!.id).not.toBe(old!.id);
    expect(a.output()).toContain(`registered as ${now[0]!.id}\n`);
    expect((await a.stop()).code).toBe(0);
  });

  it('finds its agent on a later page (Link rel="next") rather than registering a twin', async () => {
    const owner = await signUpAt(server, sink, 'big@example.com', 'big-fleet');
    const { key } = await keyFor(server, owner, 'pager');
    // Listed newest first: the oldest agent is on the second page of 1000.
    const deep = (await call(server, 'POST', '/v1/agents', { cookie: owner, body: { name: 'deep' } })).body as { id: string };
    for (let batch = 0; batch < 1000; batch += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => call(server, 'POST', '/v1/agents', { cookie: owner, body: { name: `filler-${batch + i}` } })));
    }
    const firstPage = await call(server, 'GET', '/v1/agents?limit=1000', { apiKey: key });
    expect(firstPage.body).toHaveLength(1000);
    expect(firstPage.headers.get('link')).toMatch(/rel="next"/);

    const a = runAgent(['--name', 'deep', '--interval', '1'], { PRIVATE_CONNECT_URL: server.url, PRIVATE_CONNECT_API_KEY: key });
    await waitForOutput(a.output, /: online\n/);
    expect(a.output()).toContain(`found as ${deep.id}; reusing it\n`);
    // No twin: the first page is still all fillers, and the second holds only the original.
    const pageOne = await call(server, 'GET', '/v1/agents?limit=1000', { apiKey: key });
    expect((pageOne.body as Array<{ name: string }>).filter((x) => x.name === 'deep')).toEqual([]);
    const next = /<([^>]+)>; rel="next"/.exec(pageOne.headers.get('link') ?? '')![1]!;
    const pageTwo = await call(server, 'GET', `/v1/agents${new URL(next).search}`, { apiKey: key });
    expect((pageTwo.body as Array<{ id: string }>).map((x) => x.id)).toEqual([deep.id]);
    expect((await call(server, 'GET', `/v1/agents/${deep.id}`, { apiKey: key })).body.status).toBe('online');
    expect((await a.stop()).code).toBe(0);
  }, 60_000);

  it('on 429 waits for Retry-After instead of backing off from a second, and still stops at once', async () => {
    const limited = await serverWith({ RATE_LIMIT_PER_MINUTE: '3' });
    const owner = await signUpAt(limited, sink, 'limited@example.com', 'limited');
    const { key } = await keyFor(limited, owner, 'three-a-minute');
    // The budget is per minute of the clock: start early in one, so that the wait is long.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 40_000) await sleep(61_000 - intoMinute);
    const a = runAgent(['--name', 'chatty', '--interval', '1'], { PRIVATE_CONNECT_URL: limited.url, PRIVATE_CONNECT_API_KEY: key });
    // List, register, one heartbeat: the minute's three requests. The next heartbeat is refused.
    await waitForOutput(a.output, /: online\n/);
    await waitForOutput(a.output, /answered 429 rate_limited: .*; retry 1 in \d+\.\d s\n/, 5000);
    const probe = await call(limited, 'GET', '/v1/agents', { apiKey: key });
    expect(probe.status).toBe(429);
    const retryAfter = Number(probe.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(15);
    const [wait] = retries(a);
    expect(wait!.delayMs).toBeGreaterThanOrEqual(retryAfter * 1000 - 50);
    await sleep(3000);
    // Exponential backoff alone would have retried twice by now (after 0.5–1 s, then 1–2 s).
    expect(accessLog(limited).filter((l) => l.status === 429)).toHaveLength(2); // the agent's one, and the probe
    expect(retries(a)).toHaveLength(1);
    const stopped = await a.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(1000);
  }, 60_000);

  it('backs off exponentially with jitter while the server is down, and comes online when it is back', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const port = await freePort();
    let down = await serverWith({ PORT: String(port) }, db);
    const owner = await signUpAt(down, sink, 'outage@example.com', 'outage');
    const { key } = await keyFor(down, owner, 'patient');
    await down.stop();

    const a = runAgent(['--name', 'patient', '--interval', '1'], { PRIVATE_CONNECT_URL: `http://127.0.0.1:${port}`, PRIVATE_CONNECT_API_KEY: key });
    await eventually(async () => expect(retries(a).length).toBeGreaterThanOrEqual(4), 15_000);
    const seen = retries(a).slice(0, 4);
    expect(seen.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    for (const r of seen) expect(r.text).toMatch(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
    seen.forEach((r, i) => {
      // Attempt n waits between half and all of 2^(n-1) s (printed to a tenth).
      const step = 1000 * 2 ** i;
      expect(r.delayMs).toBeGreaterThanOrEqual(step / 2 - 50);
      expect(r.delayMs).toBeLessThanOrEqual(step + 50);
      // … and really waits that long before the next attempt.
      const next = seen[i + 1];
      if (next) {
        expect(next.at - r.at).toBeGreaterThanOrEqual(r.delayMs - 100);
        expect(next.at - r.at).toBeLessThan(r.delayMs + 1000);
      }
    });
    expect(a.child.exitCode).toBeNull();

    down = await serverWith({ PORT: String(port) }, db);
    await waitForOutput(a.output, /registered as agt_\w+\n.*online again after \d+ failed attempts\n/s, 20_000);
    const [back] = (await call(down, 'GET', '/v1/agents', { apiKey: key })).body as Array<{ id: string; status: string; name: string }>;
    expect(back).toMatchObject({ name: 'patient', status: 'online' });
    const stopped = await a.stop();
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(1000);
  }, 60_000);

  it('retries a 403 ip_not_allowed (the ranges can change) and comes online once the key allows it', async () => {
    const { id, key } = await keyFor(server, cookie, 'fenced');
    expect((await call(server, 'PUT', `/v1/api-keys/${id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } })).status).toBe(200);
    const a = runAgent(['--name', 'fenced', '--interval', '1'], { PRIVATE_CONNECT_URL: server.url, PRIVATE_CONNECT_API_KEY: key });
    await eventually(async () => expect(retries(a).length).toBeGreaterThanOrEqual(2), 5000);
    expect(retries(a)[0]!.text).toMatch(/answered 403 ip_not_allowed: .*127\.0\.0\.1/);
    expect(a.child.exitCode).toBeNull();
    expect((await call(server, 'PUT', `/v1/api-keys/${id}/ip-restrictions`, { cookie, body: { allowedIpRanges: [] } })).status).toBe(200);
    await waitForOutput(a.output, /registered as agt_\w+\n.*online again after \d+ failed attempts\n/s, 10_000);
    expect((await a.stop()).code).toBe(0);
  });

  it('exits 1 with a clear message when its key is revoked while it runs, or was never valid', async () => {
    const { id, key } = await keyFor(server, cookie, 'doomed');
    const a = runAgent(['--name', 'doomed', '--interval', '1'], { PRIVATE_CONNECT_URL: server.url, PRIVATE_CONNECT_API_KEY: key });
    await waitForOutput(a.output, /: online\n/);
    expect((await call(server, 'DELETE', `/v1/api-keys/${id}`, { cookie })).status).toBe(200);
    expect(await a.exited).toBe(1);
    expect(a.output()).toMatch(/stopped: POST \/v1\/agents\/agt_\w+\/heartbeat answered 401 invalid_api_key: .*set PRIVATE_CONNECT_API_KEY to an active key/);
    expect(retries(a)).toEqual([]);
    expect(a.output()).not.toContain(key);

    const wrong = runAgent(['--name', 'doomed'], { PRIVATE_CONNECT_URL: server.url, PRIVATE_CONNECT_API_KEY: unknownWellFormedKey() });
    expect(await wrong.exited).toBe(1);
    expect(wrong.output()).toMatch(/GET \/v1\/agents answered 401 invalid_api_key/);
  });

  it('refuses a bad command line or environment before any request', async () => {
    const url = 'http://127.0.0.1:1';
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [[], { PRIVATE_CONNECT_URL: url, PRIVATE_CONNECT_API_KEY: 'k' }, /--name is required/],
      [['--name', 'x'.repeat(51)], { PRIVATE_CONNECT_URL: url, PRIVATE_CONNECT_API_KEY: 'k' }, /--name: Name must be at most 50 characters/],
      [['--name', 'gw', '--interval', '0.5'], { PRIVATE_CONNECT_URL: url, PRIVATE_CONNECT_API_KEY: 'k' }, /--interval must be a whole number of seconds from 1 to 3600/],
      [['--name', 'gw', '--nmae', 'typo'], { PRIVATE_CONNECT_URL: url, PRIVATE_CONNECT_API_KEY: 'k' }, /Unknown option '--nmae'/],
      [['--name', 'gw'], { PRIVATE_CONNECT_URL: url }, /PRIVATE_CONNECT_API_KEY is not set/],
      [['--name', 'gw'], { PRIVATE_CONNECT_API_KEY: 'k', PUBLIC_URL: 'http://localhost:3000' }, /PRIVATE_CONNECT_URL is not set/],
      [['--name', 'gw'], { PRIVATE_CONNECT_URL: `${url}/v1/`, PRIVATE_CONNECT_API_KEY: 'k' }, /without \/v1 \(http:\/\/127\.0\.0\.1:1\)/],
    ];
    for (const [args, env, message] of cases) {
      const a = runAgent(args, env);
      expect(await a.exited, a.output()).toBe(1);
      expect(a.output()).toMatch(message);
      expect(a.output()).not.toMatch(/starting/);
    }
  });
});
