import { type TestDatabase, createTestDatabase, testStore } from '@pc/db/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpSink, call, startSmtpSink } from './harness.js';
import { type Instance, signUpAt, startInstance } from './instances.js';

// Several server processes on one PostgreSQL database, as behind a load balancer.
const onPostgres = testStore() === 'postgres';

let sink: SmtpSink;
let database: TestDatabase;
const running: Instance[] = [];
let ipSeq = 0;
/** Each request from its own client address (the instances trust X-Forwarded-For from loopback), so per-IP sign-up limits stay out of the way. */
const fresh = () => ({ 'x-forwarded-for': `198.18.${(ipSeq >> 8) & 255}.${ipSeq++ & 255}` });

async function instances(n: number, env: Record<string, string> = {}): Promise<Instance[]> {
  const started = await Promise.all(
    Array.from({ length: n }, () => startInstance({ DATABASE_URL: database.url, SMTP_URL: sink.url, TRUST_PROXY: 'loopback', DATABASE_POOL_MAX: '4', ...env })),
  );
  running.push(...started);
  return started;
}

beforeAll(async () => {
  if (onPostgres) sink = await startSmtpSink();
});
afterAll(async () => {
  if (onPostgres) await sink.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((i) => i.stop()));
  await database?.drop();
});

async function keyFor(at: Instance, cookie: string, name: string) {
  const res = await call(at, 'POST', '/v1/api-keys', { cookie, body: { name } });
  expect(res.status).toBe(201);
  return res.body as { id: string; key: string };
}

describe.runIf(onPostgres)('several instances on one PostgreSQL database', () => {
  it('a key revoked, restricted or rolled at A is refused at B on the very next request, trial after trial', async () => {
    database = await createTestDatabase();
    const [a, b] = (await instances(2)) as [Instance, Instance];
    const cookie = await signUpAt(a, sink, 'owner@example.com', 'scale-out');
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      const key = await keyFor(a, cookie, `trial-${i}`);
      // B has the key in its cache.
      expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
      expect((await call(b, 'GET', '/v1/agents', { apiKey: key.key })).status).toBe(200);
      if (i % 3 === 0) {
        expect((await call(a, 'DELETE', `/v1/api-keys/${key.id}`, { cookie })).status).toBe(200);
      } else if (i % 3 === 1) {
        expect((await call(a, 'PUT', `/v1/api-keys/${key.id}/ip-restrictions`, { cookie, body: { allowedIpRanges: ['10.0.0.0/8'] } })).status).toBe(200);
      } else {
        expect((await call(a, 'POST', `/v1/api-keys/${key.id}/roll`, { cookie, body: { gracePeriodSeconds: 0 } })).status).toBe(201);
      }
      const next = await call(b, 'GET', '/v1/agents', { apiKey: key.key });
      outcomes.push(`${next.status} ${next.body.code}`);
    }
    expect(outcomes).toEqual(Array.from({ length: 30 }, (_, i) => (i % 3 === 1 ? '403 ip_not_allowed' : '401 invalid_api_key')));
  });

  it('one rate limit per key across instances, within 10 % of the limit, with true headers', async () => {
    database = await createTestDatabase();
    const [a, b] = (await instances(2, { RATE_LIMIT_PER_MINUTE: '100' })) as [Instance, Instance];
    const cookie = await signUpAt(a, sink, 'owner@example.com', 'limits');
    let key = await keyFor(a, cookie, 'metered');
    // Windows are whole minutes of the clock: start the count well inside one.
    const probe = await call(a, 'GET', '/v1/agents', { apiKey: key.key });
    if (Number(probe.headers.get('x-ratelimit-reset')) < 10) {
      await new Promise((r) => setTimeout(r, Number(probe.headers.get('x-ratelimit-reset')) * 1000 + 200));
    }
    key = await keyFor(a, cookie, 'metered-2');
    const statuses: number[] = [];
    const remaining: number[] = [];
    for (let i = 0; i < 300; i++) {
      const res = await call(i % 2 === 0 ? a : b, 'GET', '/v1/agents', { apiKey: key.key });
      statuses.push(res.status);
      expect(res.headers.get('x-ratelimit-limit')).toBe('100');
      if (res.status === 200) remaining.push(Number(res.headers.get('x-ratelimit-remaining')));
      else {
        expect(res.status).toBe(429);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
      }
    }
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(90);
    expect(ok).toBeLessThanOrEqual(100);
    // Once refused, refused: the budget is not found again within the window.
    expect(statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true);
    expect(Math.min(...remaining)).toBeLessThanOrEqual(5);
  });

  it('concurrent creates of one key name across instances: exactly one 201, the rest 409', async () => {
    database = await createTestDatabase();
    const [a, b, c] = (await instances(3)) as [Instance, Instance, Instance];
    const cookie = await signUpAt(a, sink, 'owner@example.com', 'names');
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([a, b, c, a, b, c].map((at) => call(at, 'POST', '/v1/api-keys', { cookie, body: { name: `contested-${round}` } })));
      expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('api_key_name_taken');
    }
  });

  it('one magic link verified at two instances at once makes exactly one session', async () => {
    database = await createTestDatabase();
    const [a, b] = (await instances(2)) as [Instance, Instance];
    for (let round = 0; round < 5; round++) {
      const email = `race-${round}@example.com`;
      expect((await call(a, 'POST', '/v1/auth/register', { headers: fresh(), body: { email, workspaceName: `race-${round}` } })).status).toBe(200);
      const [mail] = await sink.waitFor(email);
      const path = `/v1/auth/verify?token=${encodeURIComponent(mail!.token!)}`;
      const [x, y] = await Promise.all([call(a, 'GET', path, { headers: fresh() }), call(b, 'GET', path, { headers: fresh() })]);
      expect([x.status, y.status].sort()).toEqual([200, 400]);
      const cookie = (x.status === 200 ? x : y).cookie!;
      expect((await call(b, 'GET', '/v1/auth/sessions', { cookie })).body).toHaveLength(1);
    }
    // And each mail went out once, from the instance that took the request.
    expect(sink.messages.filter((m) => m.to.startsWith('race-'))).toHaveLength(5);
  });

  it('instances starting together on an empty database migrate it once', async () => {
    database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('drop schema public cascade; create schema public');
      const all = await instances(3);
      for (const at of all) expect((await call(at, 'GET', '/health')).status).toBe(200);
      const applied = await admin.query('select name from kysely_migration order by name');
      expect(applied.rows.map((r: { name: string }) => r.name)).toEqual(['0001-initial', '0002-scale-out', '0003-audit-retention', '0004-webhooks-presence', '0005-usage-history', '0006-teams']);
    } finally {
      await admin.end();
    }
  });

  it('kill -9 of an instance under write load loses no acknowledged write', async () => {
    database = await createTestDatabase();
    const [a, victim] = (await instances(2)) as [Instance, Instance];
    const cookie = await signUpAt(a, sink, 'owner@example.com', 'crash');
    const key = await keyFor(a, cookie, 'writer');
    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const res = await call(victim, 'POST', '/v1/agents', { apiKey: key.key, body: { name: `w${w}-${i}` } }).catch(() => null);
        if (res?.status === 201) acknowledged.push(res.body.id as string);
        if (!res) return;
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    await new Promise((r) => setTimeout(r, 600));
    victim.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(10);
    const stored = new Set(((await call(a, 'GET', '/v1/agents?limit=1000', { apiKey: key.key })).body as Array<{ id: string }>).map((x) => x.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });

  it('an instance that stops cleanly leaves the registry, so the next revocation does not wait for it', async () => {
    database = await createTestDatabase();
    const [a, b] = (await instances(2)) as [Instance, Instance];
    const cookie = await signUpAt(a, sink, 'owner@example.com', 'leave');
    expect(await b.stop()).toBe(0);
    const key = await keyFor(a, cookie, 'k');
    const started = performance.now();
    expect((await call(a, 'DELETE', `/v1/api-keys/${key.id}`, { cookie })).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
