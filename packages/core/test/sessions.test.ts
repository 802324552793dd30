import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SESSION_TTL_MS, sha256Hex } from '../src/index.js';
import { DAY, type Harness, MINUTE, auditActions, closeHarnesses, count, createHarness, databaseBytes, expectAppError, meta, signIn, signUp } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(closeHarnesses);

const expiresAt = async (token: string) =>
  (await h.handle.db.selectFrom('sessions').select('expires_at').where('token_hash', '=', sha256Hex(token)).executeTakeFirstOrThrow()).expires_at;

describe('sessions at rest', () => {
  it('only a SHA-256 of the token is stored', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    const row = await h.handle.db.selectFrom('sessions').select('token_hash').executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(sha256Hex(alice.sessionToken));
    const bytes = await databaseBytes(h);
    expect(bytes).not.toContain(alice.sessionToken);
    expect(bytes).toContain(row.token_hash);
  });

  it('refuses unknown, empty and oversized tokens', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    expect(await h.core.auth.authenticateSession(`${alice.sessionToken}x`)).toBeNull();
    expect(await h.core.auth.authenticateSession('')).toBeNull();
    expect(await h.core.auth.authenticateSession('x'.repeat(5000))).toBeNull();
  });
});

describe('sliding 30-day lifetime', () => {
  it('is not renewed before half its life, renewed after, and the renewal moves the end', async () => {
    expect(SESSION_TTL_MS).toBe(30 * DAY);
    const alice = await signUp(h, 'alice@example.com', 'acme');
    const first = await expiresAt(alice.sessionToken);
    expect(first).toBe('2026-04-01T10:00:00.000Z');

    h.clock.advance(15 * DAY); // exactly half: 15 days left, not less
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toMatchObject({ renewedMaxAgeSeconds: null });
    expect(await expiresAt(alice.sessionToken)).toBe(first);

    h.clock.advance(1);
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toMatchObject({ renewedMaxAgeSeconds: 2_592_000 });
    expect(await expiresAt(alice.sessionToken)).toBe(new Date(h.clock.now().getTime() + 30 * DAY).toISOString());

    // Within the first half of the new life it is not renewed again...
    h.clock.advance(14 * DAY);
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toMatchObject({ renewedMaxAgeSeconds: null });
    // ...and past the original end (day 31) it still works.
    h.clock.advance(2 * DAY);
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toMatchObject({ renewedMaxAgeSeconds: 2_592_000 });
  });

  it('ends 30 days after the last renewal', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    h.clock.advance(30 * DAY - 1);
    // The use just before the end renews it...
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).not.toBeNull();
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    h.clock.advance(30 * DAY);
    // ...while an unused one is gone at its end.
    expect(await h.core.auth.authenticateSession(bob.sessionToken)).toBeNull();
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toBeNull();
  });

  it('is gone exactly at 30 days when never used', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    h.clock.advance(30 * DAY);
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toBeNull();
    await h.core.auth.sweepExpired();
    expect(await count(h, 'sessions')).toBe(0);
  });
});

describe('logout', () => {
  async function threeSessions() {
    const a1 = await signUp(h, 'alice@example.com', 'acme');
    const a2 = await signIn(h, 'alice@example.com');
    const a3 = await signIn(h, 'alice@example.com');
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    return { a1, a2, a3, bob };
  }
  const alive = async (token: string) => (await h.core.auth.authenticateSession(token)) !== null;

  it('local ends only this session', async () => {
    const { a1, a2, a3, bob } = await threeSessions();
    await h.core.auth.logout(a1.principal, 'local', meta());
    expect([await alive(a1.sessionToken), await alive(a2.sessionToken), await alive(a3.sessionToken), await alive(bob.sessionToken)]).toEqual([false, true, true, true]);
  });

  it('others ends every other session of the user', async () => {
    const { a1, a2, a3, bob } = await threeSessions();
    await h.core.auth.logout(a2.principal, 'others', meta());
    expect([await alive(a1.sessionToken), await alive(a2.sessionToken), await alive(a3.sessionToken), await alive(bob.sessionToken)]).toEqual([false, true, false, true]);
  });

  it('global ends all of the user’s sessions and no one else’s', async () => {
    const { a1, a2, a3, bob } = await threeSessions();
    await h.core.auth.logout(a3.principal, 'global', meta());
    expect([await alive(a1.sessionToken), await alive(a2.sessionToken), await alive(a3.sessionToken), await alive(bob.sessionToken)]).toEqual([false, false, false, true]);
    const entries = await h.core.audit.list(a1.workspaceId, { limit: 1 });
    expect(entries.data[0]).toMatchObject({ action: 'auth.signed_out', metadata: { scope: 'global', sessionsEnded: 3 } });
  });
});

describe('listSessions / revokeSession', () => {
  it('lists the user’s live sessions, newest use first, marking the current one', async () => {
    const a1 = await signUp(h, 'alice@example.com', 'acme');
    h.clock.advance(MINUTE);
    const a2 = await signIn(h, 'alice@example.com', meta('192.0.2.44', 'Safari'));
    await signUp(h, 'bob@example.com', 'bobco');
    h.clock.advance(MINUTE);
    await h.core.auth.authenticateSession(a1.sessionToken); // a1 is now the most recently used

    const list = await h.core.auth.listSessions(a2.principal);
    expect(list.map((s) => s.id)).toEqual([a1.principal.sessionId, a2.principal.sessionId]);
    expect(list[0]).toMatchObject({ current: false, lastUsedAt: '2026-03-02T10:02:00.000Z', createdAt: '2026-03-02T10:00:00.000Z' });
    expect(list[1]).toMatchObject({ current: true, ip: '192.0.2.44', userAgent: 'Safari', expiresAt: '2026-04-01T10:01:00.000Z' });

    // The coalesced last use reaches the database on flush.
    await h.core.flush();
    const row = await h.handle.db.selectFrom('sessions').select('last_used_at').where('id', '=', a1.principal.sessionId).executeTakeFirstOrThrow();
    expect(row.last_used_at).toBe('2026-03-02T10:02:00.000Z');
  });

  it('revokes one of the user’s sessions; it stops working and is audited', async () => {
    const a1 = await signUp(h, 'alice@example.com', 'acme');
    const a2 = await signIn(h, 'alice@example.com');
    await h.core.auth.revokeSession(a1.principal, a2.principal.sessionId, meta());
    expect(await h.core.auth.authenticateSession(a2.sessionToken)).toBeNull();
    expect(await h.core.auth.authenticateSession(a1.sessionToken)).not.toBeNull();
    expect((await h.core.auth.listSessions(a1.principal)).map((s) => s.id)).toEqual([a1.principal.sessionId]);
    expect(await auditActions(h, a1.workspaceId)).toContain('session.revoked');
  });

  it('another user’s session id is not_found, and that session lives on', async () => {
    const alice = await signUp(h, 'alice@example.com', 'acme');
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    const err = await expectAppError(h.core.auth.revokeSession(alice.principal, bob.principal.sessionId, meta()), 'not_found');
    expect(err.status).toBe(404);
    expect(await h.core.auth.authenticateSession(bob.sessionToken)).not.toBeNull();
    expect(await auditActions(h, alice.workspaceId)).not.toContain('session.revoked');
  });
});
