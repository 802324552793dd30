import { type TestDatabase, createTestDatabase, testStore } from '@pc/db/testing';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OPERATIONS } from '../src/rest/v1/operations.js';
import { type Reply, type SmtpSink, call, startSmtpSink } from './harness.js';
import { unknownWellFormedKey } from './helpers.js';
import { type Instance, MAIN, signUpAt, startInstance, waitForOutput } from './instances.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

// The built server as `npm start` runs it: its real stdout and its real /metrics.
const TOKEN = 'metrics-token-for-the-test-0123456789';
const onPostgres = testStore() === 'postgres';

let sink: SmtpSink;
let database: TestDatabase;
beforeAll(async () => {
  sink = await startSmtpSink();
  database = await createTestDatabase();
});
afterAll(async () => {
  await sink.close();
  await database.drop();
});

type Line = Record<string, unknown> & { level: string; time: string; msg: string };
const linesOf = (output: string): Line[] =>
  output
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}
const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);

describe('JSON logs, the access log and /metrics of a running server', () => {
  let server: Instance;
  const answers: Array<{ res: Reply; path: string }> = [];
  const secrets: string[] = [];
  let ids: string[] = [];
  let keyPrefix = '';
  let userId = '';
  /** tRPC calls: by a session procedure, by the signed-out probe with a session, and by an API key. */
  const trpc: Record<'session' | 'probe' | 'keyed', Reply | undefined> = { session: undefined, probe: undefined, keyed: undefined };

  beforeAll(async () => {
    server = await startInstance({
      DATABASE_URL: database.url,
      SMTP_URL: sink.url,
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: 'debug',
      RATE_LIMIT_PER_MINUTE: '30',
    });
    const at = (res: Reply, path: string) => (answers.push({ res, path }), res);
    const cookie = await signUpAt(server, sink, 'observed@example.com', 'observed');
    secrets.push(cookie, sink.messages.at(-1)!.token!);
    const me = at(await call(server, 'GET', '/v1/auth/me', { cookie }), '/v1/auth/me');
    userId = me.body.user.id;
    const created = at(await call(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'observed-key' } }), '/v1/api-keys');
    const key: string = created.body.key;
    keyPrefix = created.body.prefix;
    secrets.push(key);
    const agent = at(await call(server, 'POST', '/v1/agents', { apiKey: key, body: { name: 'office-gw' } }), '/v1/agents');
    at(await call(server, 'GET', `/v1/agents/${agent.body.id}`, { apiKey: key }), '/v1/agents/:id');
    at(await call(server, 'GET', `/v1/api-keys/${created.body.id}`, { cookie }), '/v1/api-keys/:id');
    // Each refusal the check can end in.
    at(await call(server, 'GET', '/v1/agents', { apiKey: 'nope' }), '/v1/agents');
    at(await call(server, 'GET', '/v1/agents', { apiKey: unknownWellFormedKey() }), '/v1/agents');
    const fenced = await call(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'fenced' } });
    secrets.push(fenced.body.key);
    at(await call(server, 'PUT', `/v1/api-keys/${fenced.body.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } }), '/v1/api-keys/:id/ip-restrictions');
    at(await call(server, 'GET', '/v1/agents', { apiKey: fenced.body.key }), '/v1/agents');
    const soon = await call(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'short-lived', expiresAt: new Date(Date.now() + 1500).toISOString() } });
    secrets.push(soon.body.key);
    const revoked = await call(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'revoked' } });
    secrets.push(revoked.body.key);
    await call(server, 'DELETE', `/v1/api-keys/${revoked.body.id}`, { cookie });
    at(await call(server, 'GET', '/v1/agents', { apiKey: revoked.body.key }), '/v1/agents');
    const busy = await call(server, 'POST', '/v1/api-keys', { cookie, body: { name: 'busy' } });
    secrets.push(busy.body.key);
    for (let i = 0; i < 32; i++) await call(server, 'GET', '/v1/agents', { apiKey: busy.body.key });
    // URLs full of ids and made-up names: their labels must stay templates.
    await call(server, 'GET', '/v1/api-keys/key_doesnotexist0000', { cookie });
    await call(server, 'GET', '/v1/no/such/route/observed@example.com');
    await call(server, 'GET', '/trpc/evil.procedure_observed');
    trpc.session = await call(server, 'GET', '/trpc/apiKeys.list', { cookie });
    trpc.probe = await call(server, 'GET', '/trpc/auth.session', { cookie });
    trpc.keyed = await call(server, 'GET', '/trpc/agents.list', { apiKey: key });
    await new Promise((r) => setTimeout(r, 1600));
    const last = at(await call(server, 'GET', '/v1/agents', { apiKey: soon.body.key }), '/v1/agents');
    ids = [userId, me.body.workspace.id, created.body.id, agent.body.id, fenced.body.id, soon.body.id, revoked.body.id, busy.body.id];
    // Log lines are written asynchronously; usage is flushed each second.
    await waitForOutput(server.output, new RegExp(`"requestId":"${last.headers.get('x-request-id')}"`), 5000);
    await waitForOutput(server.output, /"table":"api_keys","rows":\d+,"durationMs"[^\n]*"msg":"usage flushed"/, 5000);
  }, 60_000);
  afterAll(() => server.stop());

  it('writes only JSON lines with a level name, an ISO time and a message', () => {
    const lines = linesOf(server.output());
    expect(lines.length).toBeGreaterThan(20);
    for (const l of lines) {
      expect(['debug', 'info', 'warn', 'error']).toContain(l.level);
      expect(l.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(typeof l.msg).toBe('string');
    }
    const start = lines.find((l) => l.msg.startsWith('listening on'))!;
    expect(start).toMatchObject({ level: 'info', host: '127.0.0.1', metrics: 'on (/metrics)', accessLog: true, database: expect.any(String), instance: expect.stringMatching(/^inst_/) });
    expect(typeof start.port).toBe('number');
    expect(lines.find((l) => l.msg === 'mail sent')).toMatchObject({ recipientDomain: 'example.com', attempt: 1, requestId: expect.stringMatching(/\S/) });
    expect(lines.find((l) => l.msg === 'usage flushed' && l.table === 'api_keys')).toMatchObject({ level: 'debug', rows: expect.any(Number), durationMs: expect.any(Number) });
  });

  it('logs one access line per request with the route template, status, duration, request id, client IP and who', () => {
    const access = linesOf(server.output()).filter((l) => l.msg === 'request');
    for (const { res, path } of answers) {
      const requestId = res.headers.get('x-request-id');
      const mine = access.filter((l) => l.requestId === requestId);
      expect(mine, `${path} ${res.status} ${requestId}`).toHaveLength(1);
      expect(mine[0]).toMatchObject({ level: 'info', route: path, status: res.status, ip: '127.0.0.1' });
      expect(['GET', 'POST', 'PUT', 'DELETE']).toContain(mine[0]!.method);
      expect(mine[0]!.durationMs).toBeGreaterThanOrEqual(0);
    }
    const byId = (res: Reply) => access.find((l) => l.requestId === res.headers.get('x-request-id'))!;
    expect(byId(answers[0]!.res)).toMatchObject({ userId });
    const keyed = answers.find((a) => a.path === '/v1/agents/:id')!.res;
    expect(byId(keyed)).toMatchObject({ keyPrefix });
    expect(byId(keyed).userId).toBeUndefined();
    // tRPC names who called too, whichever way the procedure read the session or the key.
    for (const res of [trpc.session!, trpc.probe!]) {
      expect(res.status).toBe(200);
      expect(byId(res)).toMatchObject({ userId });
    }
    expect(trpc.keyed!.status).toBe(200);
    expect(byId(trpc.keyed!)).toMatchObject({ keyPrefix });
    // Unmatched and made-up routes are labelled as such, never by their URL.
    expect(access.some((l) => String(l.route).includes('doesnotexist') || String(l.route).includes('evil'))).toBe(false);
    expect(access.some((l) => l.route === '/trpc/(unknown)')).toBe(true);
  });

  it('never logs a key, a session cookie, or a sign-in token', () => {
    const output = server.output();
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    for (const s of secrets) expect(output.includes(s), `a secret of ${s.length} characters in the log`).toBe(false);
    expect(output).not.toMatch(/pc_live_[0-9A-Za-z]{32}/);
    expect(output).not.toMatch(/token=/);
  });

  it('refuses /metrics without the bearer token (401), and serves the Prometheus text format with it', async () => {
    const none = await call(server, 'GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('authentication_required');
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await call(server, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await call(server, 'GET', '/metrics', { headers: { authorization: TOKEN } })).status).toBe(401);

    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const s = parseMetrics(await res.text());

    expect(value(s, 'pc_http_request_duration_seconds_count', { route: '/v1/agents', method: 'GET', status: '200' })).toBeGreaterThanOrEqual(30);
    expect(value(s, 'pc_http_request_duration_seconds_bucket', { route: '/v1/agents', method: 'GET', status: '429', le: '+Inf' })).toBeGreaterThanOrEqual(1);
    // Exactly what was sent: three uses of the first key (one over tRPC) and 30 of "busy" (its 31st and 32nd over the limit), one of each refusal.
    const checks = Object.fromEntries(['ok', 'malformed', 'unknown', 'revoked', 'expired', 'ip_not_allowed', 'rate_limited'].map((o) => [o, value(s, 'pc_api_key_checks_total', { outcome: o })]));
    expect(checks).toEqual({ ok: 33, malformed: 1, unknown: 1, revoked: 1, expired: 1, ip_not_allowed: 1, rate_limited: 2 });
    expect(value(s, 'pc_api_key_cache_lookups_total', { result: 'hit' })).toBeGreaterThanOrEqual(30);
    expect(value(s, 'pc_api_key_cache_lookups_total', { result: 'miss' })).toBeGreaterThanOrEqual(1);
    expect(value(s, 'pc_api_key_cache_entries', { kind: 'positive' })).toBeGreaterThanOrEqual(1);
    expect(value(s, 'pc_usage_flush_rows_total', { table: 'api_keys' })).toBeGreaterThanOrEqual(1);
    expect(value(s, 'pc_usage_flush_duration_seconds_count', { table: 'api_keys' })).toBeGreaterThanOrEqual(1);
    expect(value(s, 'pc_mail_total', { event: 'sent' })).toBe(1);
    expect(value(s, 'pc_mail_total', { event: 'failed' })).toBe(0);
    expect(s.some((x) => x.name === 'pc_mail_queued')).toBe(true);
    expect(value(s, 'pc_sign_ins_total', { account: 'new' })).toBe(1);
    expect(s.some((x) => x.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(s.some((x) => x.name === 'process_resident_memory_bytes')).toBe(true);
    expect(s.some((x) => x.name === 'pc_db_pool_connections')).toBe(onPostgres);
    if (onPostgres) expect(value(s, 'pc_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
  });

  it('labels nothing with an id, a key, an e-mail or an address: routes are templates from a known set', async () => {
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const s = parseMetrics(await res.text());
    const templates = new Set([
      ...OPERATIONS.map((o) => `/v1${o.path}`),
      '/health',
      '/metrics',
      '/docs',
      '/docs/init.js',
      '/docs/assets/*',
      '/assets/*',
      '/*',
      '(unmatched)',
      '/trpc/(batch)',
      '/trpc/(unknown)',
    ]);
    const routes = new Set(s.filter((x) => x.labels.route !== undefined).map((x) => x.labels.route!));
    expect(routes.has('(unmatched)')).toBe(true);
    for (const route of routes) expect(templates.has(route) || /^\/trpc\/[a-zA-Z]+\.[a-zA-Z]+$/.test(route), route).toBe(true);
    const values = s.flatMap((x) => Object.values(x.labels)).join('\n');
    for (const id of ids) expect(values.includes(id), id).toBe(false);
    for (const secret of secrets) expect(values.includes(secret)).toBe(false);
    expect(values).not.toMatch(/@|127\.0\.0\.1|::1|pc_live_|evil/);
  });

  it('logs the shutdown with its signal, and stops cleanly', async () => {
    expect(await server.stop()).toBe(0);
    const lines = linesOf(server.output());
    expect(lines.find((l) => l.msg === 'draining requests')).toMatchObject({ signal: 'SIGTERM', openRequests: expect.any(Number) });
    // The last line at info or above (debug lines of the final flush may be written after it).
    expect(lines.filter((l) => l.level !== 'debug' && l.level !== 'trace').at(-1)).toMatchObject({ level: 'info', msg: 'stopped cleanly', code: 0 });
  });
});

describe('with ACCESS_LOG=off, LOG_FORMAT=pretty and no METRICS_TOKEN', () => {
  it('writes readable text, no access lines, and /metrics is a JSON 404 (not the SPA)', async () => {
    const server = await startInstance({ DATABASE_URL: database.url, SMTP_URL: sink.url, ACCESS_LOG: 'off', LOG_FORMAT: 'pretty' });
    try {
      const metrics = await call(server, 'GET', '/metrics');
      expect(metrics.status).toBe(404);
      expect(metrics.body.code).toBe('not_found');
      expect(metrics.body.message).toMatch(/METRICS_TOKEN/);
      expect((await call(server, 'GET', '/health')).status).toBe(200);
      expect((await call(server, 'GET', '/v1/agents')).status).toBe(401);

      // The API reference, from the server's own files, under a CSP of its own.
      const page = await call(server, 'GET', '/docs');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain('/docs/assets/swagger-ui-bundle.js');
      expect(page.body).not.toMatch(/https?:\/\//);
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toMatch(/connect-src 'self'/);
      expect(csp).toMatch(/frame-ancestors 'none'/);
      const site = (await call(server, 'GET', '/')).headers.get('content-security-policy')!;
      expect(site).not.toMatch(/unsafe-inline/);
      const bundle = await fetch(`${server.url}/docs/assets/swagger-ui-bundle.js`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      expect((await bundle.text()).length).toBeGreaterThan(100_000);
      expect((await fetch(`${server.url}/docs/init.js`)).status).toBe(200);
      const missing = await call(server, 'GET', '/docs/assets/nothing-here.js');
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('not_found');
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const text = server.output();
    expect(text).toMatch(/INFO.*listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(text).toMatch(/metrics: "off \(METRICS_TOKEN unset\)"/);
    expect(text).toMatch(/INFO.*stopped cleanly/);
    for (const line of text.split('\n').filter((l) => l.trim().startsWith('{'))) expect(() => JSON.parse(line), line).toThrow();
    expect(text).not.toMatch(/INFO.*\brequest\b/);
  }, 30_000);

  it('LOG_LEVEL=warn keeps info lines out, and a bad LOG_LEVEL names the variable', async () => {
    const port = await freePort();
    const quiet = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', PORT: String(port), DATABASE_URL: database.url, SMTP_URL: sink.url, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    quiet.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    quiet.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => quiet.on('close', (code) => r(code)));
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200), { timeout: 15_000, interval: 50 });
    await fetch(`http://127.0.0.1:${port}/v1/agents`);
    quiet.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toBe('');

    const bad = await startInstance({ DATABASE_URL: database.url, LOG_LEVEL: 'loud' }).catch((e: Error) => e);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent/);
    const short = await startInstance({ DATABASE_URL: database.url, METRICS_TOKEN: 'short' }).catch((e: Error) => e);
    expect((short as Error).message).toMatch(/METRICS_TOKEN must be at least 16 characters/);
  });
});
