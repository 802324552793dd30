import { INVITATION_TTL_DAYS, type Invitation, type InvitationAcceptedResult, type InvitationPreview, type Role, maskEmail } from '@pc/contract';
import { uniqueViolation } from '@pc/db';
import type { AuditService } from '../audit/audit.service.js';
import { browserAccount, hasAccount } from '../auth/accounts.js';
import { type AbuseLimiters, type AuthLimits, spend, spendOnToken } from '../auth/auth-limits.js';
import { startSession } from '../auth/session-start.js';
import { AppError } from '../errors.js';
import type { MailDelivery } from '../mail/mail-delivery.js';
import type { BackgroundQueue } from '../mail/mail-queue.js';
import { invitationMail } from '../mail/templates.js';
import type { SessionPrincipal } from '../shared/principal.js';
import { type Clock, DAY_MS, type RandomSource, type RequestMeta, iso, newId, newToken, sha256Hex } from '../shared/runtime.js';
import { type Store, type Trx, afterCommit } from '../store/store.js';
import { authorize, authorizeGrant } from './roles.js';

const TTL_MS = INVITATION_TTL_DAYS * DAY_MS;

export interface InvitationDeps {
  store: Store;
  clock: Clock;
  random: RandomSource;
  audit: AuditService;
  mail: MailDelivery;
  queue: BackgroundQueue;
  publicUrl: string;
  limits: AuthLimits;
  limiters: AbuseLimiters;
}

export interface InvitationAccepted {
  result: InvitationAcceptedResult;
  sessionToken: string;
  maxAgeSeconds: number;
}

/**
 * Invitations to a workspace: a mailed link (32 random bytes, only their SHA-256 stored, single use,
 * 7 days) that signs its holder in as the invited address, creating the account if it is new. The
 * link proves the mailbox as a sign-in link does; inviting says nothing about whether the address
 * has an account on this server, and invited people join whatever the sign-up policy.
 */
export function createInvitationsService(deps: InvitationDeps) {
  const { store, clock, random, audit, mail, queue, limits, limiters } = deps;
  const { db } = store;

  const pending = (workspaceId: string) =>
    db
      .selectFrom('invitations as i')
      .leftJoin('users as u', 'u.id', 'i.invited_by_user_id')
      .select(['i.id', 'i.email', 'i.role', 'i.created_at', 'i.expires_at', 'i.invited_by_user_id', 'u.email as inviter_email'])
      .where('i.workspace_id', '=', workspaceId)
      .where('i.expires_at', '>', iso(clock.now()));

  type Row = Awaited<ReturnType<ReturnType<typeof pending>['executeTakeFirstOrThrow']>>;
  const toInvitation = (r: Row): Invitation => ({
    id: r.id,
    email: r.email,
    role: r.role,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    invitedBy: r.invited_by_user_id && r.inviter_email ? { userId: r.invited_by_user_id, email: r.inviter_email } : null,
  });

  async function list(workspaceId: string): Promise<Invitation[]> {
    return (await pending(workspaceId).orderBy('i.created_at', 'desc').orderBy('i.id', 'desc').execute()).map(toInvitation);
  }

  const memberByEmail = (q: Store['db'] | Trx, workspaceId: string, email: string) =>
    q.selectFrom('workspace_members as m').innerJoin('users as u', 'u.id', 'm.user_id').select('u.id').where('m.workspace_id', '=', workspaceId).where('u.email', '=', email).executeTakeFirst();
  const openInvitation = (q: Store['db'] | Trx, workspaceId: string, email: string) =>
    q.selectFrom('invitations').select(['id', 'role']).where('workspace_id', '=', workspaceId).where('email', '=', email).executeTakeFirst();

  /**
   * Invites `email` as `role` and mails the link once committed. Inviting the same address again
   * replaces the open invitation (its link stops working), if the inviter could have revoked it.
   * The address's mail budget is the one sign-in spends, so invitations cannot flood a mailbox
   * either; a refused invitation spends none of it.
   */
  async function create(p: SessionPrincipal, input: { email: string; role: Role }, meta: RequestMeta): Promise<Invitation> {
    authorizeGrant(p, input.role);
    // Early answers, read before the budget is spent; the transaction reads both again.
    if (await memberByEmail(db, p.workspaceId, input.email)) throw new AppError('already_member');
    const before = await openInvitation(db, p.workspaceId, input.email);
    if (before) authorizeGrant(p, before.role);
    await spend(limiters.per15Minutes, `email:${input.email}`, limits.perEmailPer15Minutes);
    const token = newToken(random);
    const id = newId(random, 'inv');
    await store.transaction(async (trx) => {
      if (await memberByEmail(trx, p.workspaceId, input.email)) throw new AppError('already_member');
      const replaced = await openInvitation(trx, p.workspaceId, input.email);
      if (replaced) {
        authorizeGrant(p, replaced.role);
        await trx.deleteFrom('invitations').where('id', '=', replaced.id).execute();
      }
      const now = clock.now();
      try {
        await trx
          .insertInto('invitations')
          .values({ id, workspace_id: p.workspaceId, email: input.email, role: input.role, token_hash: sha256Hex(token), invited_by_user_id: p.userId, created_at: iso(now), expires_at: iso(new Date(now.getTime() + TTL_MS)) })
          .execute();
      } catch (err) {
        // Another admin invited the same address at this very moment; theirs stands.
        if (uniqueViolation(err) === 'invitations(workspace_id, email)') throw new AppError('invitation_pending');
        throw err;
      }
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'member.invited',
        actor: { type: 'user', id: p.userId },
        target: { type: 'invitation', id },
        meta,
        metadata: { email: input.email, role: input.role, ...(replaced ? { replaced: replaced.id, replacedRole: replaced.role } : {}) },
      });
      const workspace = await trx.selectFrom('workspaces').select('name').where('id', '=', p.workspaceId).executeTakeFirstOrThrow();
      const inviter = await trx.selectFrom('users').select('email').where('id', '=', p.userId).executeTakeFirst();
      const link = `${deps.publicUrl}/auth/invitation?token=${encodeURIComponent(token)}`;
      const message = invitationMail(input.email, { workspaceName: workspace.name, invitedBy: inviter?.email ?? null, role: input.role }, link, INVITATION_TTL_DAYS);
      // After the response, as sign-in mail: the answer takes as long whoever the address belongs to.
      afterCommit(trx, () => queue.enqueue('invitation', () => mail.send(message, meta.requestId ?? null)));
    });
    return toInvitation(await pending(p.workspaceId).where('i.id', '=', id).executeTakeFirstOrThrow());
  }

  async function revoke(p: SessionPrincipal, id: string, meta: RequestMeta): Promise<void> {
    // Before the look-up, so whether an id exists tells a member nothing.
    authorize(p, 'inviteMembers');
    await store.transaction(async (trx) => {
      const row = await trx.selectFrom('invitations').select(['email', 'role']).where('id', '=', id).where('workspace_id', '=', p.workspaceId).executeTakeFirst();
      if (!row) throw new AppError('not_found', 'Invitation not found.');
      authorizeGrant(p, row.role);
      await trx.deleteFrom('invitations').where('id', '=', id).execute();
      await audit.record(trx, { workspaceId: p.workspaceId, action: 'member.invitation_revoked', actor: { type: 'user', id: p.userId }, target: { type: 'invitation', id }, meta, metadata: { email: row.email, role: row.role } });
    });
  }

  const byToken = (q: Store['db'] | Trx, token: string) =>
    q
      .selectFrom('invitations as i')
      .innerJoin('workspaces as w', 'w.id', 'i.workspace_id')
      .leftJoin('users as u', 'u.id', 'i.invited_by_user_id')
      .select(['i.id', 'i.email', 'i.role', 'i.expires_at', 'i.workspace_id', 'w.name as workspace', 'u.email as inviter_email'])
      .where('i.token_hash', '=', sha256Hex(token))
      .where('i.expires_at', '>', iso(clock.now()));

  /** What a link opens, without spending it: the page names the workspace and the inviter before the click. */
  async function preview(token: string, meta: RequestMeta, currentUserId: string | null): Promise<InvitationPreview> {
    await spendOnToken(limiters, limits, meta, token, 'invalid_invitation');
    const inv = await byToken(db, token).executeTakeFirst();
    if (!inv) throw new AppError('invalid_invitation');
    return {
      email: maskEmail(inv.email),
      workspace: inv.workspace,
      role: inv.role,
      invitedBy: inv.inviter_email,
      isNewUser: !(await hasAccount(db, inv.email)),
      expiresAt: inv.expires_at,
      current: await browserAccount(db, currentUserId, inv.email),
    };
  }

  /**
   * Spends the invitation and signs its holder in to the workspace, creating the user if new. Of two
   * acceptances at once (at any instance) the second waits on the row, then finds it gone.
   */
  async function accept(token: string, meta: RequestMeta): Promise<InvitationAccepted> {
    await spendOnToken(limiters, limits, meta, token, 'invalid_invitation');
    return store.transaction(async (trx) => {
      const inv = await byToken(trx, token).executeTakeFirst();
      if (!inv) throw new AppError('invalid_invitation');
      // The claim: the row goes, and a second acceptance waiting on it finds nothing to delete.
      const claimed = await trx.deleteFrom('invitations').where('id', '=', inv.id).returning('id').execute();
      if (claimed.length !== 1) throw new AppError('invalid_invitation');
      const nowIso = iso(clock.now());
      // An account made meanwhile by another invitation or sign-up of the address is the one that joins.
      const inserted = await trx.insertInto('users').values({ id: newId(random, 'user'), email: inv.email, created_at: nowIso }).onConflict((oc) => oc.column('email').doNothing()).returning('id').execute();
      const user = await trx.selectFrom('users').select(['id', 'email']).where('email', '=', inv.email).executeTakeFirstOrThrow();
      const joined = await trx
        .insertInto('workspace_members')
        .values({ workspace_id: inv.workspace_id, user_id: user.id, role: inv.role, created_at: nowIso })
        .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doNothing())
        .returning('role')
        .execute();
      const role = joined[0]?.role ?? (await trx.selectFrom('workspace_members').select('role').where('workspace_id', '=', inv.workspace_id).where('user_id', '=', user.id).executeTakeFirstOrThrow()).role;
      if (joined.length === 1) {
        await audit.record(trx, {
          workspaceId: inv.workspace_id,
          action: 'member.joined',
          actor: { type: 'user', id: user.id },
          target: { type: 'user', id: user.id },
          meta,
          metadata: { email: user.email, role, invitationId: inv.id, invitedBy: inv.inviter_email },
        });
      }
      const session = await startSession(trx, deps, { userId: user.id, workspaceId: inv.workspace_id, meta });
      return { ...session, result: { success: true as const, user, workspace: { id: inv.workspace_id, name: inv.workspace }, isNewUser: inserted.length === 1, role } };
    });
  }

  return { list, create, revoke, preview, accept };
}

export type InvitationsService = ReturnType<typeof createInvitationsService>;
