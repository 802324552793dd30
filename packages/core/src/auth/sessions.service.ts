import type { LogoutScope, MeResult, SessionItem } from '@pc/contract';
import { compileOnce } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import { createLastUseFlush } from '../shared/last-use.js';
import type { CoreObserver } from '../shared/observer.js';
import type { SessionPrincipal } from '../shared/principal.js';
import { type Clock, type RequestMeta, iso, sha256Hex } from '../shared/runtime.js';
import { UsageBuffer } from '../shared/usage-buffer.js';
import type { Store } from '../store/store.js';
import { SESSION_TTL_MS } from './auth-limits.js';

export interface AuthenticatedSession {
  principal: SessionPrincipal;
  /** Set when the sliding expiry moved: the transport re-sets the cookie for this many seconds. */
  renewedMaxAgeSeconds: number | null;
}

/**
 * Sessions after sign-in. They are read from the database on every request (never cached), so
 * ending one takes effect at every instance at once.
 */
export function createSessionsService(deps: { store: Store; clock: Clock; audit: AuditService; observer: CoreObserver }) {
  const { store, clock, audit, observer } = deps;
  const { db } = store;
  const sessionUse = new UsageBuffer<string>();

  // Every SPA request looks its session up: compiled once, not per request. The membership is
  // read with it, so a role change or a removal holds from the next request, at every instance.
  const sessionByHash = compileOnce((tokenHash: string) =>
    db
      .selectFrom('sessions as s')
      .innerJoin('workspace_members as m', (j) => j.onRef('m.user_id', '=', 's.user_id').onRef('m.workspace_id', '=', 's.workspace_id'))
      .select(['s.id', 's.user_id', 's.workspace_id', 's.expires_at', 'm.role'])
      .where('s.token_hash', '=', tokenHash),
  );

  /**
   * Slides the expiry forward, only from the value this request read: of two instances renewing at
   * once one writes; a session ended meanwhile is not brought back, and the request is refused.
   */
  async function renew(id: string, readExpiry: string, now: Date): Promise<boolean> {
    const res = await db.updateTable('sessions').set({ expires_at: iso(new Date(now.getTime() + SESSION_TTL_MS)) }).where('id', '=', id).where('expires_at', '=', readExpiry).executeTakeFirst();
    if (res.numUpdatedRows === 1n) return true;
    const current = await db.selectFrom('sessions').select('expires_at').where('id', '=', id).executeTakeFirst();
    return current !== undefined && current.expires_at > iso(now);
  }

  /** The session behind a cookie value, or null. Extends it (sliding) once past half its life. */
  async function authenticateSession(token: string): Promise<AuthenticatedSession | null> {
    if (token.length === 0 || token.length > 200) return null;
    const row = (await db.executeQuery(sessionByHash(sha256Hex(token)))).rows[0];
    const now = clock.now();
    if (!row || row.expires_at <= iso(now)) return null;
    let renewedMaxAgeSeconds: number | null = null;
    if (new Date(row.expires_at).getTime() - now.getTime() < SESSION_TTL_MS / 2) {
      if (!(await renew(row.id, row.expires_at, now))) return null;
      renewedMaxAgeSeconds = SESSION_TTL_MS / 1000;
    }
    sessionUse.record(row.id, iso(now));
    return { principal: { kind: 'session', sessionId: row.id, userId: row.user_id, workspaceId: row.workspace_id, role: row.role }, renewedMaxAgeSeconds };
  }

  async function me(p: SessionPrincipal): Promise<MeResult> {
    const user = await db.selectFrom('users').select(['id', 'email', 'created_at']).where('id', '=', p.userId).executeTakeFirstOrThrow();
    const ws = await db.selectFrom('workspaces').select(['id', 'name', 'created_at']).where('id', '=', p.workspaceId).executeTakeFirstOrThrow();
    return {
      user: { id: user.id, email: user.email, createdAt: user.created_at },
      workspace: { id: ws.id, name: ws.name, createdAt: ws.created_at },
      role: p.role,
    };
  }

  async function logout(p: SessionPrincipal, scope: LogoutScope, meta: RequestMeta): Promise<void> {
    await store.transaction(async (trx) => {
      let q = trx.deleteFrom('sessions').where('user_id', '=', p.userId);
      if (scope === 'local') q = q.where('id', '=', p.sessionId);
      if (scope === 'others') q = q.where('id', '!=', p.sessionId);
      const res = await q.executeTakeFirst();
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'auth.signed_out',
        actor: { type: 'user', id: p.userId },
        target: scope === 'local' ? { type: 'session', id: p.sessionId } : null,
        meta,
        metadata: { scope, sessionsEnded: Number(res.numDeletedRows) },
      });
    });
  }

  async function listSessions(p: SessionPrincipal): Promise<SessionItem[]> {
    const rows = await db
      .selectFrom('sessions')
      .innerJoin('workspaces', 'workspaces.id', 'sessions.workspace_id')
      .selectAll('sessions')
      .select('workspaces.name as workspace_name')
      .where('sessions.user_id', '=', p.userId)
      .where('sessions.expires_at', '>', iso(clock.now()))
      .execute();
    return rows
      .map((r) => ({
        id: r.id,
        createdAt: r.created_at,
        lastUsedAt: sessionUse.peek(r.id) ?? r.last_used_at,
        expiresAt: r.expires_at,
        ip: r.ip,
        userAgent: r.user_agent,
        current: r.id === p.sessionId,
        workspace: { id: r.workspace_id, name: r.workspace_name },
      }))
      .sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : a.id < b.id ? 1 : -1));
  }

  async function revokeSession(p: SessionPrincipal, id: string, meta: RequestMeta): Promise<void> {
    await store.transaction(async (trx) => {
      const res = await trx.deleteFrom('sessions').where('id', '=', id).where('user_id', '=', p.userId).executeTakeFirst();
      if (res.numDeletedRows !== 1n) throw new AppError('not_found', 'Session not found.');
      await audit.record(trx, { workspaceId: p.workspaceId, action: 'session.revoked', actor: { type: 'user', id: p.userId }, target: { type: 'session', id }, meta });
    });
  }

  const flushUsage = createLastUseFlush<string>({ db, dialect: store.dialect, table: 'sessions', buffer: sessionUse, toRow: (at) => ({ at }), observer });

  return { authenticateSession, me, logout, listSessions, revokeSession, flushUsage };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
