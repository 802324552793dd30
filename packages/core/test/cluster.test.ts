import type { Notifications } from '@pc/db';
import { sql } from 'kysely';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryId, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FRESH_MS } from '../src/index.js';
import { type Harness, MINUTE, TestClock, aliceWorkspace, closeHarnesses, count, createHarness, expectAppError, meta, peerOf, store } from './helpers.js';

afterEach(closeHarnesses);

/**
 * Holds the result of the next statement whose operation tree matches, until released: the
 * statement has run (and read what it read), but its caller has not seen the answer yet.
 */
class Gate implements KyselyPlugin {
  private match: RegExp | null = null;
  // By query id, since a query compiled once (the hot path's) is transformed once and run many times.
  private readonly textOf = new WeakMap<QueryId, string>();
  private onReached: () => void = () => {};
  private release: Promise<void> = Promise.resolve();

  arm(match: RegExp): { reached: Promise<void>; open: () => void } {
    this.match = match;
    let open: () => void = () => {};
    this.release = new Promise((r) => (open = r));
    const reached = new Promise<void>((r) => (this.onReached = r));
    return { reached, open };
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.textOf.set(args.queryId, JSON.stringify(args.node));
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.match?.test(this.textOf.get(args.queryId) ?? '')) {
      this.match = null;
      this.onReached();
      await this.release;
    }
    return args.result;
  }
}

/** The real listener, with the messages of some channels lost on the way (a fault, injected). */
function losing(channels: string[]) {
  return (real: Notifications): Notifications => ({
    listen: (channel, onMessage) => real.listen(channel, channels.includes(channel) ? () => {} : onMessage),
    onReconnect: (handler) => real.onReconnect(handler),
    get connected() {
      return real.connected;
    },
    start: (timeoutMs) => real.start(timeoutMs),
    stop: () => real.stop(),
  });
}

describe.runIf(store === 'postgres')('several instances on one PostgreSQL database', () => {
  it('a revocation, a range change or a roll at one instance holds at the other on its very next check, key after key', async () => {
    const { h: a, alice } = await aliceWorkspace();
    const b = await peerOf(a);
    for (let i = 0; i < 15; i++) {
      const k = await a.core.apiKeys.create(alice.principal, { name: `k${i}` }, meta());
      await b.core.apiKeys.authenticate(k.key, meta('192.0.2.1')); // cached at b
      await b.core.apiKeys.authenticate(k.key, meta('192.0.2.1'));
      if (i % 3 === 0) {
        await a.core.apiKeys.revoke(alice.principal, k.id, meta());
        await expectAppError(b.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'invalid_api_key');
      } else if (i % 3 === 1) {
        await a.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], meta());
        await expectAppError(b.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'ip_not_allowed');
        await expect(b.core.apiKeys.authenticate(k.key, meta('10.1.1.1'))).resolves.toBeDefined();
      } else {
        await a.core.apiKeys.roll(alice.principal, k.id, 0, meta());
        await expectAppError(b.core.apiKeys.authenticate(k.key, meta('192.0.2.1')), 'invalid_api_key');
      }
    }
  });

  it('a roll with a grace period moves the old key’s expiry at the other instance too', async () => {
    const { h: a, alice } = await aliceWorkspace();
    const b = await peerOf(a);
    const k = await a.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await b.core.apiKeys.authenticate(k.key, meta());
    const next = await a.core.apiKeys.roll(alice.principal, k.id, 60, meta());
    await expect(b.core.apiKeys.authenticate(k.key, meta())).resolves.toBeDefined();
    a.clock.advance(61_000);
    await expectAppError(b.core.apiKeys.authenticate(k.key, meta()), 'api_key_expired');
    await expect(b.core.apiKeys.authenticate(next.key, meta())).resolves.toBeDefined();
  });

  it('an instance that never hears the change (its notification lost) still refuses the key once the revoking call returns', async () => {
    const { h: a, alice } = await aliceWorkspace();
    const b = await peerOf(a, { notifications: losing(['pc_key_changes']) });
    const k = await a.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await b.core.apiKeys.authenticate(k.key, meta());
    const started = performance.now();
    await a.core.apiKeys.revoke(alice.principal, k.id, meta());
    const waited = performance.now() - started;
    // b found the change by polling the log and confirmed; a answered only then, within the bound.
    expect(waited).toBeLessThan(FRESH_MS + 200);
    await expectAppError(b.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
  });

  it('an instance that crashed a moment ago is waited for at most the freshness bound, since it could not be serving past it', async () => {
    const { h: a, alice } = await aliceWorkspace();
    const c = await peerOf(a, { notifications: losing(['pc_key_changes']) });
    const k = await a.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await c.core.apiKeys.authenticate(k.key, meta());
    // A kill -9 leaves the instance's last heartbeat behind, as fresh as this one.
    await sql`insert into cluster_instances (id, started_at, seen_at_ms) values ('inst_crashed', '2026-03-02T09:00:00.000Z', (extract(epoch from clock_timestamp()) * 1000)::bigint)`.execute(a.handle.db);
    const started = performance.now();
    await a.core.apiKeys.revoke(alice.principal, k.id, meta());
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(FRESH_MS);
    expect(waited).toBeLessThan(FRESH_MS + 500);
    await expectAppError(c.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
  });

  it('one budget per key across instances: together they admit the limit, never more', async () => {
    const { h: a, alice } = await aliceWorkspace({ rateLimitPerMinute: 100 });
    const b = await peerOf(a, { rateLimitPerMinute: 100 });
    const k = await a.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    let admitted = 0;
    let refused = 0;
    const remaining: number[] = [];
    for (let i = 0; i < 300; i++) {
      const at = i % 2 === 0 ? a : b;
      try {
        remaining.push((await at.core.apiKeys.authenticate(k.key, meta())).rateLimit.remaining);
        admitted++;
      } catch (e) {
        expect(e).toMatchObject({ code: 'rate_limited', extra: { rateLimit: { limit: 100, remaining: 0 } } });
        refused++;
      }
    }
    expect(admitted).toBeLessThanOrEqual(100);
    expect(admitted).toBeGreaterThanOrEqual(90);
    expect(refused).toBe(300 - admitted);
    expect(Math.min(...remaining)).toBeLessThan(10);
    // The next window gives the whole budget again.
    a.clock.advance(MINUTE);
    await expect(b.core.apiKeys.authenticate(k.key, meta())).resolves.toBeDefined();
  });

  it('admits within 10 % of the limit when both instances are called at once', async () => {
    const { h: a, alice } = await aliceWorkspace({ rateLimitPerMinute: 1000 });
    const b = await peerOf(a, { rateLimitPerMinute: 1000 });
    const k = await a.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    const calls = Array.from({ length: 2400 }, (_, i) => (i % 2 === 0 ? a : b).core.apiKeys.authenticate(k.key, meta()).then(() => 1, () => 0));
    const admitted = (await Promise.all(calls)).reduce<number>((n, x) => n + x, 0);
    expect(admitted).toBeLessThanOrEqual(1000);
    expect(admitted).toBeGreaterThanOrEqual(900);
  });

  it('abuse limits hold across instances: five logins a minute per IP, whichever instance answers', async () => {
    const limits = { loginPerIpPerMinute: 5 };
    const a = await createHarness({ authLimits: limits });
    const b = await peerOf(a, { authLimits: limits });
    for (let i = 0; i < 5; i++) await (i % 2 ? a : b).core.auth.login({ email: `u${i}@example.com` }, meta('203.0.113.9'));
    await expectAppError(a.core.auth.login({ email: 'x@example.com' }, meta('203.0.113.9')), 'rate_limited');
    await expectAppError(b.core.auth.login({ email: 'y@example.com' }, meta('203.0.113.9')), 'rate_limited');
  });

  it('of creates of one key name at two instances at once, exactly one succeeds', async () => {
    const { h: a, alice } = await aliceWorkspace();
    const b = await peerOf(a);
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([a, b, a, b].map((x) => x.core.apiKeys.create(alice.principal, { name: `race-${round}` }, meta())));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'api_key_name_taken' });
    }
  });

  it('one link verified at two instances at once signs in exactly once', async () => {
    const { h: a } = await aliceWorkspace();
    const b = await peerOf(a);
    for (let round = 0; round < 5; round++) {
      await a.core.auth.login({ email: 'alice@example.com' }, meta());
      await a.core.queue.idle();
      const token = a.mailer.lastToken('alice@example.com');
      const before = await count(a, 'sessions');
      const results = await Promise.allSettled([a.core.auth.verify(token, meta()), b.core.auth.verify(token, meta())]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'invalid_token' } });
      expect(await count(a, 'sessions')).toBe(before + 1);
    }
  });

  it('two links of one e-mail verified at two instances at once sign in exactly once', async () => {
    const { h: a } = await aliceWorkspace();
    const b = await peerOf(a);
    await a.core.auth.login({ email: 'alice@example.com' }, meta());
    await a.core.auth.login({ email: 'alice@example.com' }, meta());
    await a.core.queue.idle();
    const [t1, t2] = a.mailer.to('alice@example.com').slice(-2).map((m) => new URL(m.link).searchParams.get('token')!);
    const results = await Promise.allSettled([a.core.auth.verify(t1!, meta()), b.core.auth.verify(t2!, meta())]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('two sign-ups racing for one workspace name: one workspace and one 409, never a 500', async () => {
    const a = await createHarness();
    const b = await peerOf(a);
    await a.core.auth.register({ email: 'one@example.com', workspaceName: 'contested' }, meta());
    await b.core.auth.register({ email: 'two@example.com', workspaceName: 'contested' }, meta());
    await a.core.queue.idle();
    await b.core.queue.idle();
    const results = await Promise.allSettled([
      a.core.auth.verify(a.mailer.lastToken('one@example.com'), meta()),
      b.core.auth.verify(b.mailer.lastToken('two@example.com'), meta()),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'workspace_name_taken', status: 409 } });
    expect(await count(a, 'workspaces')).toBe(1);
  });

  it('last use never moves backwards when an instance with an older use flushes later', async () => {
    const { h: a, alice } = await aliceWorkspace();
    const behind = new TestClock(a.clock.now().toISOString());
    const b = await peerOf(a, { clock: behind });
    const k = await a.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    a.clock.advance(10_000);
    await a.core.apiKeys.authenticate(k.key, meta('192.0.2.10'));
    behind.advance(5_000);
    await b.core.apiKeys.authenticate(k.key, meta('192.0.2.5'));
    await a.core.flush();
    await b.core.flush();
    const row = await a.handle.db.selectFrom('api_keys').select(['last_used_at', 'last_used_ip']).where('id', '=', k.id).executeTakeFirstOrThrow();
    expect(row).toEqual({ last_used_at: '2026-03-02T10:00:10.000Z', last_used_ip: '192.0.2.10' });
  });

  it('a scheduled job runs once per period, whichever instances ask', async () => {
    const a = await createHarness();
    const b = await peerOf(a);
    const c = await peerOf(a);
    await Promise.all([a, b, c].map((x) => x.core.jobs.runDue()));
    const sweep = () => a.handle.db.selectFrom('scheduled_jobs').selectAll().where('name', '=', 'sweep').execute();
    const claims = await sweep();
    expect(claims).toEqual([{ name: 'sweep', next_run_at: '2026-03-02T10:10:00.000Z', claimed_by: expect.stringMatching(/^inst_/) }]);
    await Promise.all([a, b, c].map((x) => x.core.jobs.runDue()));
    expect(await sweep()).toEqual(claims);
    a.clock.advance(10 * MINUTE);
    await Promise.all([a, b, c].map((x) => x.core.jobs.runDue()));
    expect((await sweep())[0]!.next_run_at).toBe('2026-03-02T10:20:00.000Z');
  });
});

describe.runIf(store === 'postgres')('a look-up that races a change on a pooled connection', () => {
  it('a look-up made while a revocation is committing does not outlive the commit', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    // A deferred trigger makes COMMIT of any key update wait for an advisory lock the test holds:
    // every statement of the revocation has run, its commit has not happened yet.
    await sql`create function hold_commit() returns trigger language plpgsql as $$ begin perform pg_advisory_lock(4242); perform pg_advisory_unlock(4242); return null; end $$`.execute(h.handle.db);
    await sql`create constraint trigger hold_commit after update on api_keys deferrable initially deferred for each row execute function hold_commit()`.execute(h.handle.db);
    const holder = new pg.Client({ connectionString: h.handle.url });
    await holder.connect();
    try {
      await holder.query('select pg_advisory_lock(4242)');
      const revoking = h.core.apiKeys.revoke(alice.principal, k.id, meta());
      await vi.waitFor(async () => {
        const waiting = await holder.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`);
        expect(waiting.rows[0].n).toBe(1);
      });
      // Meanwhile another pooled connection reads the committed (unrevoked) row and caches it.
      await expect(h.core.apiKeys.authenticate(k.key, meta())).resolves.toBeDefined();
      await holder.query('select pg_advisory_unlock(4242)');
      await revoking;
      await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
    } finally {
      await holder.end();
    }
  });

  it('a look-up that read the old row before the commit and answers after it caches nothing', async () => {
    const gate = new Gate();
    const { h, alice } = await aliceWorkspace({ plugins: [gate] });
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    const held = gate.arm(/"name":"key_hash"/);
    const looking = h.core.apiKeys.authenticate(k.key, meta());
    await held.reached;
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    held.open();
    await expect(looking).resolves.toBeDefined(); // in flight when the revocation landed
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
  });

});

describe.runIf(store === 'sqlite')('one SQLite process', () => {
  it('evicts after the commit, and logs the change for a process beside the server (the admin command)', async () => {
    const { h, alice } = await aliceWorkspace();
    const k = await h.core.apiKeys.create(alice.principal, { name: 'deploy' }, meta());
    await h.core.apiKeys.authenticate(k.key, meta());
    await h.core.apiKeys.revoke(alice.principal, k.id, meta());
    await expectAppError(h.core.apiKeys.authenticate(k.key, meta()), 'invalid_api_key');
    expect(await count(h, 'key_invalidations')).toBe(1);
  });
});
