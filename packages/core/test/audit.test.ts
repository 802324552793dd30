import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type Harness, MINUTE, type SignedInUser, aliceWorkspace, closeHarnesses, count, expectAppError, meta, signIn, signUp, store } from './helpers.js';

let h: Harness;
let alice: SignedInUser;
beforeEach(async () => {
  ({ h, alice } = await aliceWorkspace({ rateLimitPerMinute: 1 }));
});
afterEach(closeHarnesses);

const ua = 'curl/8.5';
const m = () => meta('192.0.2.50', ua);

describe('audit entries', () => {
  it('are written for each action, with actor, target, ip and user agent, newest first', async () => {
    const second = await signIn(h, 'alice@example.com');
    const key = await h.core.apiKeys.create(alice.principal, { name: 'k' }, m());
    await h.core.apiKeys.updateIpRestrictions(alice.principal, key.id, ['10.0.0.0/8'], m());
    const rolled = await h.core.apiKeys.roll(alice.principal, key.id, 60, m());
    await h.core.apiKeys.revoke(alice.principal, rolled.id, m());
    const agent = await h.core.agents.create(alice.principal, { name: 'a', label: null }, m());
    await h.core.agents.remove(alice.principal, agent.id, m());
    await h.core.auth.revokeSession(alice.principal, second.principal.sessionId, m());
    await h.core.auth.logout(alice.principal, 'local', m());

    const page = await h.core.audit.list(alice.workspaceId, { limit: 100 });
    expect(page.nextCursor).toBeNull();
    expect(page.data.map((e) => e.action)).toEqual([
      'auth.signed_out',
      'session.revoked',
      'agent.deleted',
      'agent.created',
      'api_key.revoked',
      'api_key.rolled',
      'api_key.ip_restrictions_updated',
      'api_key.created',
      'auth.signed_in',
      'auth.signed_in',
      'auth.registered',
    ]);
    const byAction = Object.fromEntries(page.data.map((e) => [e.action, e]));
    expect(byAction['api_key.created']).toMatchObject({
      actor: { type: 'user', id: alice.userId },
      target: { type: 'api_key', id: key.id },
      ip: '192.0.2.50',
      userAgent: ua,
      createdAt: '2026-03-02T10:00:00.000Z',
      metadata: { name: 'k', prefix: key.prefix },
    });
    expect(byAction['api_key.ip_restrictions_updated']!.metadata).toEqual({ before: [], after: ['10.0.0.0/8'] });
    expect(byAction['auth.registered']).toMatchObject({ target: { type: 'workspace', id: alice.workspaceId } });
    expect(byAction['auth.signed_out']).toMatchObject({ target: { type: 'session', id: alice.principal.sessionId }, metadata: { scope: 'local' } });
  });

  it('never contain a secret: no key, session token or link token', async () => {
    const key = await h.core.apiKeys.create(alice.principal, { name: 'k' }, m());
    const rolled = await h.core.apiKeys.roll(alice.principal, key.id, 0, m());
    const second = await signIn(h, 'alice@example.com');
    const rows = JSON.stringify(await h.handle.db.selectFrom('audit_logs').selectAll().execute());
    const secrets = [key.key, rolled.key, alice.sessionToken, second.sessionToken, ...h.mailer.sent.map((s) => new URL(s.link).searchParams.get('token')!)];
    for (const s of secrets) expect(rows).not.toContain(s);
  });

  it('are written in the same transaction as the change: no entry, no change', async () => {
    const before = { keys: await count(h, 'api_keys'), agents: await count(h, 'agents') };
    const key = await h.core.apiKeys.create(alice.principal, { name: 'k' }, m());
    if (store === 'sqlite') {
      await sql`create trigger audit_down before insert on audit_logs begin select raise(abort, 'audit is down'); end`.execute(h.handle.db);
    } else {
      await sql`create function audit_down() returns trigger language plpgsql as $$ begin raise exception 'audit is down'; end $$`.execute(h.handle.db);
      await sql`create trigger audit_down before insert on audit_logs for each row execute function audit_down()`.execute(h.handle.db);
    }

    await expect(h.core.apiKeys.create(alice.principal, { name: 'other' }, m())).rejects.toThrow(/audit is down/);
    await expect(h.core.agents.create(alice.principal, { name: 'a', label: null }, m())).rejects.toThrow(/audit is down/);
    await expect(h.core.apiKeys.revoke(alice.principal, key.id, m())).rejects.toThrow(/audit is down/);
    await expect(h.core.apiKeys.updateIpRestrictions(alice.principal, key.id, ['10.0.0.0/8'], m())).rejects.toThrow(/audit is down/);
    await expect(h.core.auth.logout(alice.principal, 'global', m())).rejects.toThrow(/audit is down/);

    expect(await count(h, 'api_keys')).toBe(before.keys + 1);
    expect(await count(h, 'agents')).toBe(before.agents);
    expect(await h.core.apiKeys.get(alice.workspaceId, key.id)).toMatchObject({ isActive: true, allowedIpRanges: [] });
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).not.toBeNull();
  });

  it('are listed for the caller’s workspace only', async () => {
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    await h.core.agents.create(bob.principal, { name: 'b', label: null }, m());
    const actions = (await h.core.audit.list(alice.workspaceId, { limit: 100 })).data;
    expect(actions.every((e) => e.actor.id === alice.userId)).toBe(true);
    expect(actions.map((e) => e.action)).not.toContain('agent.created');
  });
});

describe('paging', () => {
  it('walks every entry once, newest first, with a cursor', async () => {
    for (let i = 0; i < 7; i++) await h.core.agents.create(alice.principal, { name: `a${i}`, label: null }, m());
    const all = (await h.core.audit.list(alice.workspaceId, { limit: 100 })).data; // 7 + registered + signed_in
    expect(all).toHaveLength(9);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.core.audit.list(alice.workspaceId, { limit: 4, cursor });
      expect(page.data.length).toBeLessThanOrEqual(4);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('stays stable under concurrent writers: no entry twice, none that was there skipped', async () => {
    for (let i = 0; i < 20; i++) await h.core.agents.create(alice.principal, { name: `before-${i}`, label: null }, m());
    const present = (await h.core.audit.list(alice.workspaceId, { limit: 100 })).data.map((e) => e.id);
    let writing = true;
    let written = 0;
    const writers = Array.from({ length: 3 }, async (_, w) => {
      for (let i = 0; writing; i++) {
        await h.core.agents.create(alice.principal, { name: `during-${w}-${i}`, label: null }, m());
        written++;
        // As requests arrive: through the event loop (SQLite answers without one, and would starve the reader).
        await new Promise((r) => setImmediate(r));
      }
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await h.core.audit.list(alice.workspaceId, { limit: 3, cursor });
        seen.push(...page.data.map((e) => e.id));
        cursor = page.nextCursor ?? undefined;
        // Between pages, always some writes land (besides the writers' own pace).
        const target = written + 2;
        await vi.waitFor(() => expect(written).toBeGreaterThanOrEqual(target), { timeout: 5000, interval: 1 });
      } while (cursor);
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(present.filter((id) => !seen.includes(id))).toEqual([]);
  });

  it('has no next cursor when the page is exactly full', async () => {
    const page = await h.core.audit.list(alice.workspaceId, { limit: 2 }); // registered + signed_in
    expect(page.data).toHaveLength(2);
    expect(page.nextCursor).toBeNull();
  });

  it('filters by action', async () => {
    await h.core.agents.create(alice.principal, { name: 'a', label: null }, m());
    expect((await h.core.audit.list(alice.workspaceId, { limit: 10, action: 'agent.created' })).data.map((e) => e.action)).toEqual(['agent.created']);
  });

  it.each(['garbage', '!!!', Buffer.from('a:').toString('base64url'), Buffer.from('b:12').toString('base64url'), Buffer.from('a:1e3').toString('base64url')])(
    'refuses the malformed cursor %j with invalid_request',
    async (cursor) => {
      const err = await expectAppError(h.core.audit.list(alice.workspaceId, { limit: 10, cursor }), 'invalid_request');
      expect(err.status).toBe(400);
      expect(err.extra.details).toEqual([{ path: 'cursor', message: expect.any(String) }]);
    },
  );
});

describe('denials', () => {
  const denials = async (action: string) =>
    Number((await h.handle.db.selectFrom('audit_logs').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow()).n);

  it('ip_denied is recorded at most once a minute per key', async () => {
    const key = await h.core.apiKeys.create(alice.principal, { name: 'k' }, m());
    const other = await h.core.apiKeys.create(alice.principal, { name: 'other' }, m());
    for (const k of [key, other]) await h.core.apiKeys.updateIpRestrictions(alice.principal, k.id, ['10.0.0.0/8'], m());

    for (let i = 0; i < 20; i++) await expectAppError(h.core.apiKeys.authenticate(key.key, meta('192.0.2.1')), 'ip_not_allowed');
    await vi.waitFor(async () => expect(await denials('api_key.ip_denied')).toBe(1));
    await expectAppError(h.core.apiKeys.authenticate(other.key, meta('192.0.2.1')), 'ip_not_allowed');
    await vi.waitFor(async () => expect(await denials('api_key.ip_denied')).toBe(2));

    h.clock.advance(MINUTE - 1);
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta('192.0.2.1')), 'ip_not_allowed');
    h.clock.advance(1);
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta('192.0.2.2')), 'ip_not_allowed');
    await vi.waitFor(async () => expect(await denials('api_key.ip_denied')).toBe(3));
    expect(await denials('api_key.ip_denied')).toBe(3);

    const entry = (await h.core.audit.list(alice.workspaceId, { limit: 1, action: 'api_key.ip_denied' })).data[0];
    expect(entry).toMatchObject({ actor: { type: 'api_key', id: key.id }, ip: '192.0.2.2' });
  });

  it('rate_limited is recorded at most once a minute per key, apart from ip_denied', async () => {
    const key = await h.core.apiKeys.create(alice.principal, { name: 'k' }, m()); // 1 request a minute
    await h.core.apiKeys.authenticate(key.key, m());
    for (let i = 0; i < 20; i++) await expectAppError(h.core.apiKeys.authenticate(key.key, m()), 'rate_limited');
    await vi.waitFor(async () => expect(await denials('api_key.rate_limited')).toBe(1));
    h.clock.advance(MINUTE);
    await h.core.apiKeys.authenticate(key.key, m());
    await expectAppError(h.core.apiKeys.authenticate(key.key, m()), 'rate_limited');
    await vi.waitFor(async () => expect(await denials('api_key.rate_limited')).toBe(2));
    expect(await denials('api_key.ip_denied')).toBe(0);
  });
});
