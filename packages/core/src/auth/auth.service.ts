import type { LogoutScope, MeResult, SessionItem, VerifyResult } from '@pc/contract';
import { type Db, compileOnce } from '@pc/db';
import { AppError } from '../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { BackgroundQueue } from '../mail/mail-queue.js';
import type { Mailer } from '../mail/mailer.js';
import { signInMail, verifyMail } from '../mail/templates.js';
import type { SessionPrincipal } from '../shared/principal.js';
import { FixedWindowLimiter } from '../shared/rate-limiter.js';
import { type Clock, type Logger, type RandomSource, type RequestMeta, iso, newId, newToken, sha256Hex } from '../shared/runtime.js';
import { UsageBuffer } from '../shared/usage-buffer.js';

export interface AuthLimits {
  registerPerIpPerMinute: number;
  loginPerIpPerMinute: number;
  /** Across register and login, whether or not the account exists. */
  perEmailPer15Minutes: number;
  verifyPerIpPerMinute: number;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  registerPerIpPerMinute: 5,
  loginPerIpPerMinute: 5,
  perEmailPer15Minutes: 3,
  verifyPerIpPerMinute: 20,
};

export const MAGIC_LINK_TTL_MS = 15 * 60_000;
export const SESSION_TTL_MS = 30 * 24 * 3600_000;

export interface AuthDeps {
  db: Db;
  clock: Clock;
  random: RandomSource;
  logger: Logger;
  mailer: Mailer;
  queue: BackgroundQueue;
  audit: AuditService;
  publicUrl: string;
  limits: AuthLimits;
}

export interface SignedIn {
  result: VerifyResult;
  sessionToken: string;
  maxAgeSeconds: number;
}

export interface AuthenticatedSession {
  principal: SessionPrincipal;
  /** Set when the sliding expiry moved: the transport re-sets the cookie for this many seconds. */
  renewedMaxAgeSeconds: number | null;
}

export function createAuthService(deps: AuthDeps) {
  const { db, clock, random, mailer, queue, audit, limits } = deps;
  const perMinute = new FixedWindowLimiter(clock, 60_000);
  const perEmail = new FixedWindowLimiter(clock, 15 * 60_000);
  const sessionUse = new UsageBuffer<string>();

  function limit(limiter: FixedWindowLimiter, key: string, max: number): void {
    const d = limiter.consume(key, max);
    if (!d.allowed) throw new AppError('rate_limited', 'Too many requests. Retry later.', { retryAfter: d.retryAfter });
  }

  async function createLink(trx: Db, email: string, pendingRegistrationId: string | null): Promise<string> {
    const token = newToken(random);
    const now = clock.now();
    await trx
      .insertInto('magic_links')
      .values({
        id: newId(random, 'ml'),
        token_hash: sha256Hex(token),
        email,
        pending_registration_id: pendingRegistrationId,
        created_at: iso(now),
        expires_at: iso(new Date(now.getTime() + MAGIC_LINK_TTL_MS)),
        used_at: null,
      })
      .execute();
    return `${deps.publicUrl}/auth/verify?token=${encodeURIComponent(token)}`;
  }

  const minutes = MAGIC_LINK_TTL_MS / 60_000;

  async function mailSignInLink(email: string): Promise<void> {
    const link = await createLink(db, email, null);
    await mailer.send(signInMail(email, link, minutes));
  }

  async function userByEmail(trx: Db, email: string) {
    return trx.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  }

  async function workspaceNameTaken(trx: Db, name: string): Promise<boolean> {
    return (await trx.selectFrom('workspaces').select('id').where('name', '=', name).executeTakeFirst()) !== undefined;
  }

  /** Answers the same whether or not the e-mail has an account; the mail work runs after the response. */
  async function register(input: { email: string; workspaceName: string }, meta: RequestMeta): Promise<void> {
    limit(perMinute, `register:${meta.ip}`, limits.registerPerIpPerMinute);
    limit(perEmail, `email:${input.email}`, limits.perEmailPer15Minutes);
    if (await workspaceNameTaken(db, input.workspaceName)) throw new AppError('workspace_name_taken');
    queue.enqueue('register', async () => {
      if (await userByEmail(db, input.email)) return mailSignInLink(input.email);
      const now = clock.now();
      const link = await db.transaction().execute(async (trx) => {
        const regId = newId(random, 'reg');
        await trx
          .insertInto('pending_registrations')
          .values({
            id: regId,
            email: input.email,
            workspace_name: input.workspaceName,
            created_at: iso(now),
            expires_at: iso(new Date(now.getTime() + MAGIC_LINK_TTL_MS)),
          })
          .execute();
        return createLink(trx, input.email, regId);
      });
      await mailer.send(verifyMail(input.email, input.workspaceName, link, minutes));
    });
  }

  async function login(input: { email: string }, meta: RequestMeta): Promise<void> {
    limit(perMinute, `login:${meta.ip}`, limits.loginPerIpPerMinute);
    limit(perEmail, `email:${input.email}`, limits.perEmailPer15Minutes);
    queue.enqueue('login', async () => {
      if (await userByEmail(db, input.email)) await mailSignInLink(input.email);
    });
  }

  async function verify(token: string, meta: RequestMeta): Promise<SignedIn> {
    limit(perMinute, `verify:${meta.ip}`, limits.verifyPerIpPerMinute);
    if (token.length < 32 || token.length > 200) throw new AppError('invalid_token');
    const tokenHash = sha256Hex(token);
    const sessionToken = newToken(random);
    const result = await db.transaction().execute(async (trx) => {
      const now = clock.now();
      const nowIso = iso(now);
      const link = await trx.selectFrom('magic_links').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      if (!link || link.used_at !== null || link.expires_at <= nowIso) throw new AppError('invalid_token');
      // The conditional update is the claim: of two concurrent verifications only one changes the row.
      const claimed = await trx
        .updateTable('magic_links')
        .set({ used_at: nowIso })
        .where('id', '=', link.id)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (claimed.numUpdatedRows !== 1n) throw new AppError('invalid_token');
      await trx.updateTable('magic_links').set({ used_at: nowIso }).where('email', '=', link.email).where('used_at', 'is', null).execute();

      let user = await userByEmail(trx, link.email);
      let workspace: { id: string; name: string } | undefined;
      let isNewUser = false;
      if (!user) {
        const pending = link.pending_registration_id
          ? await trx.selectFrom('pending_registrations').selectAll().where('id', '=', link.pending_registration_id).executeTakeFirst()
          : undefined;
        if (!pending) throw new AppError('invalid_token');
        if (await workspaceNameTaken(trx, pending.workspace_name)) throw new AppError('workspace_name_taken');
        user = { id: newId(random, 'user'), email: link.email, created_at: nowIso };
        workspace = { id: newId(random, 'ws'), name: pending.workspace_name };
        await trx.insertInto('users').values(user).execute();
        await trx.insertInto('workspaces').values({ ...workspace, created_at: nowIso }).execute();
        await trx.insertInto('workspace_members').values({ workspace_id: workspace.id, user_id: user.id, role: 'owner', created_at: nowIso }).execute();
        await trx.deleteFrom('pending_registrations').where('email', '=', link.email).where('id', '!=', pending.id).execute();
        isNewUser = true;
        await audit.record(trx, {
          workspaceId: workspace.id,
          action: 'auth.registered',
          actor: { type: 'user', id: user.id },
          target: { type: 'workspace', id: workspace.id },
          meta,
          metadata: { email: user.email, workspaceName: workspace.name },
        });
      } else {
        workspace = await trx
          .selectFrom('workspace_members as m')
          .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
          .select(['w.id', 'w.name'])
          .where('m.user_id', '=', user.id)
          .orderBy('m.created_at', 'asc')
          .executeTakeFirst();
        if (!workspace) throw new AppError('invalid_token');
      }
      const sessionId = newId(random, 'ses');
      await trx
        .insertInto('sessions')
        .values({
          id: sessionId,
          token_hash: sha256Hex(sessionToken),
          user_id: user.id,
          workspace_id: workspace.id,
          created_at: nowIso,
          last_used_at: nowIso,
          expires_at: iso(new Date(now.getTime() + SESSION_TTL_MS)),
          ip: meta.ip,
          user_agent: meta.userAgent?.slice(0, 512) ?? null,
        })
        .execute();
      await audit.record(trx, {
        workspaceId: workspace.id,
        action: 'auth.signed_in',
        actor: { type: 'user', id: user.id },
        target: { type: 'session', id: sessionId },
        meta,
      });
      return { success: true as const, user: { id: user.id, email: user.email }, workspace, isNewUser };
    });
    return { result, sessionToken, maxAgeSeconds: SESSION_TTL_MS / 1000 };
  }

  // Every SPA request looks its session up: compiled once, not per request.
  const sessionByHash = compileOnce((tokenHash: string) =>
    db.selectFrom('sessions').select(['id', 'user_id', 'workspace_id', 'expires_at']).where('token_hash', '=', tokenHash),
  );

  /** The session behind a cookie value, or null. Extends it (sliding) once past half its life. */
  async function authenticateSession(token: string): Promise<AuthenticatedSession | null> {
    if (token.length === 0 || token.length > 200) return null;
    const row = (await db.executeQuery(sessionByHash(sha256Hex(token)))).rows[0];
    const now = clock.now();
    if (!row || row.expires_at <= iso(now)) return null;
    let renewedMaxAgeSeconds: number | null = null;
    if (new Date(row.expires_at).getTime() - now.getTime() < SESSION_TTL_MS / 2) {
      await db.updateTable('sessions').set({ expires_at: iso(new Date(now.getTime() + SESSION_TTL_MS)) }).where('id', '=', row.id).execute();
      renewedMaxAgeSeconds = SESSION_TTL_MS / 1000;
    }
    sessionUse.record(row.id, iso(now));
    return { principal: { kind: 'session', sessionId: row.id, userId: row.user_id, workspaceId: row.workspace_id }, renewedMaxAgeSeconds };
  }

  async function me(p: SessionPrincipal): Promise<MeResult> {
    const user = await db.selectFrom('users').select(['id', 'email', 'created_at']).where('id', '=', p.userId).executeTakeFirstOrThrow();
    const ws = await db.selectFrom('workspaces').select(['id', 'name', 'created_at']).where('id', '=', p.workspaceId).executeTakeFirstOrThrow();
    return {
      user: { id: user.id, email: user.email, createdAt: user.created_at },
      workspace: { id: ws.id, name: ws.name, createdAt: ws.created_at },
    };
  }

  async function logout(p: SessionPrincipal, scope: LogoutScope, meta: RequestMeta): Promise<void> {
    await db.transaction().execute(async (trx) => {
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
      .selectAll()
      .where('user_id', '=', p.userId)
      .where('expires_at', '>', iso(clock.now()))
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
      }))
      .sort((a, b) => (a.lastUsedAt < b.lastUsedAt ? 1 : a.lastUsedAt > b.lastUsedAt ? -1 : a.id < b.id ? 1 : -1));
  }

  async function revokeSession(p: SessionPrincipal, id: string, meta: RequestMeta): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const res = await trx.deleteFrom('sessions').where('id', '=', id).where('user_id', '=', p.userId).executeTakeFirst();
      if (res.numDeletedRows !== 1n) throw new AppError('not_found', 'Session not found.');
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'session.revoked',
        actor: { type: 'user', id: p.userId },
        target: { type: 'session', id },
        meta,
      });
    });
  }

  const setSessionUse = compileOnce((at: string, id: string) => db.updateTable('sessions').set({ last_used_at: at }).where('id', '=', id));

  async function flushUsage(): Promise<void> {
    const batch = sessionUse.take();
    if (batch.size === 0) return;
    try {
      await db.transaction().execute(async (trx) => {
        for (const [id, at] of batch) await trx.executeQuery(setSessionUse(at, id));
      });
    } catch (err) {
      sessionUse.restore(batch);
      throw err;
    }
  }

  /** Deletes links, pending sign-ups and sessions that can no longer be used. */
  async function sweepExpired(): Promise<void> {
    const nowIso = iso(clock.now());
    await db.deleteFrom('magic_links').where('expires_at', '<=', nowIso).execute();
    await db.deleteFrom('pending_registrations').where('expires_at', '<=', nowIso).execute();
    await db.deleteFrom('sessions').where('expires_at', '<=', nowIso).execute();
  }

  return { register, login, verify, authenticateSession, me, logout, listSessions, revokeSession, flushUsage, sweepExpired };
}

export type AuthService = ReturnType<typeof createAuthService>;
