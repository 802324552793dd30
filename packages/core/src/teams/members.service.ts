import { type Member, type Role, type WorkspaceMembership, grantableRoles } from '@pc/contract';
import type { AuditService } from '../audit/audit.service.js';
import { AppError } from '../errors.js';
import type { SessionPrincipal } from '../shared/principal.js';
import type { RequestMeta } from '../shared/runtime.js';
import type { Store, Trx } from '../store/store.js';
import { authorize } from './roles.js';

/**
 * The members of a workspace and the workspaces of a person. A change of role or a removal holds
 * from the very next request: sessions read the membership with every request (sessions.service).
 */
export function createMembersService(deps: { store: Store; audit: AuditService }) {
  const { store, audit } = deps;
  const { db } = store;

  /**
   * The membership of `userId`, read with the workspace's owners locked (PostgreSQL: `FOR UPDATE`),
   * so two owners demoting each other at once cannot leave the workspace with none.
   */
  async function lockedMembers(trx: Trx, workspaceId: string, userId: string) {
    const rows = await store.forUpdate(trx.selectFrom('workspace_members').select(['user_id', 'role']).where('workspace_id', '=', workspaceId).where((eb) => eb.or([eb('role', '=', 'owner'), eb('user_id', '=', userId)]))).execute();
    const target = rows.find((r) => r.user_id === userId);
    // Ids of people outside the workspace do not exist for its members.
    if (!target) throw new AppError('not_found', 'Member not found.');
    return { target, owners: rows.filter((r) => r.role === 'owner').length };
  }

  /**
   * Open invitations `userId` sent that they could no longer send (`keep`: the roles they still
   * may give): a removed admin's or a demoted one's do not outlive their right to invite.
   */
  async function revokeInvitationsBy(trx: Trx, workspaceId: string, userId: string, keep: Role[]): Promise<number> {
    let q = trx.deleteFrom('invitations').where('workspace_id', '=', workspaceId).where('invited_by_user_id', '=', userId);
    if (keep.length > 0) q = q.where('role', 'not in', keep);
    return Number((await q.executeTakeFirst()).numDeletedRows);
  }

  const members = (workspaceId: string) =>
    db
      .selectFrom('workspace_members as m')
      .innerJoin('users as u', 'u.id', 'm.user_id')
      .select(['u.id', 'u.email', 'm.role', 'm.created_at'])
      .where('m.workspace_id', '=', workspaceId);
  type Row = Awaited<ReturnType<ReturnType<typeof members>['executeTakeFirstOrThrow']>>;
  const toMember = (r: Row): Member => ({ userId: r.id, email: r.email, role: r.role, joinedAt: r.created_at });

  async function list(workspaceId: string): Promise<Member[]> {
    return (await members(workspaceId).orderBy('m.created_at', 'asc').orderBy('u.id', 'asc').execute()).map(toMember);
  }

  async function changeRole(p: SessionPrincipal, userId: string, role: Role, meta: RequestMeta): Promise<Member> {
    authorize(p, 'manageMembers');
    await store.transaction(async (trx) => {
      const { target, owners } = await lockedMembers(trx, p.workspaceId, userId);
      if (target.role === role) return;
      if (target.role === 'owner' && owners === 1) throw new AppError('last_owner');
      await trx.updateTable('workspace_members').set({ role }).where('workspace_id', '=', p.workspaceId).where('user_id', '=', userId).execute();
      const revoked = await revokeInvitationsBy(trx, p.workspaceId, userId, grantableRoles(role));
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: 'member.role_changed',
        actor: { type: 'user', id: p.userId },
        target: { type: 'user', id: userId },
        meta,
        metadata: { from: target.role, to: role, invitationsRevoked: revoked },
      });
    });
    const changed = await members(p.workspaceId).where('u.id', '=', userId).executeTakeFirst();
    if (!changed) throw new AppError('not_found', 'Member not found.');
    return toMember(changed);
  }

  /**
   * Removes `userId` from the workspace and ends their sessions there at once; their sessions in
   * other workspaces go on. Anyone may remove themself (leave); removing someone else is an owner's.
   * `leftWorkspace`: the caller's own session ended with it (the transport clears the cookie).
   */
  async function remove(p: SessionPrincipal, userId: string, meta: RequestMeta): Promise<{ leftWorkspace: boolean }> {
    const leaving = userId === p.userId;
    if (!leaving) authorize(p, 'manageMembers');
    await store.transaction(async (trx) => {
      const { target, owners } = await lockedMembers(trx, p.workspaceId, userId);
      if (target.role === 'owner' && owners === 1) throw new AppError('last_owner');
      const email = (await trx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirst())?.email ?? null;
      await trx.deleteFrom('workspace_members').where('workspace_id', '=', p.workspaceId).where('user_id', '=', userId).execute();
      const ended = await trx.deleteFrom('sessions').where('workspace_id', '=', p.workspaceId).where('user_id', '=', userId).executeTakeFirst();
      const revoked = await revokeInvitationsBy(trx, p.workspaceId, userId, []);
      await audit.record(trx, {
        workspaceId: p.workspaceId,
        action: leaving ? 'member.left' : 'member.removed',
        actor: { type: 'user', id: p.userId },
        target: { type: 'user', id: userId },
        meta,
        metadata: { email, role: target.role, sessionsEnded: Number(ended.numDeletedRows), invitationsRevoked: revoked },
      });
    });
    return { leftWorkspace: leaving };
  }

  /** The workspaces `p`'s user belongs to, by name, the session's current one marked. */
  async function workspacesOf(p: SessionPrincipal): Promise<WorkspaceMembership[]> {
    const rows = await db
      .selectFrom('workspace_members as m')
      .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
      .select(['w.id', 'w.name', 'm.role'])
      .where('m.user_id', '=', p.userId)
      .orderBy('w.name', 'asc')
      .execute();
    return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, current: r.id === p.workspaceId }));
  }

  /**
   * Moves this session to another of the user's workspaces, and remembers it for the next sign-in.
   * A workspace the user does not belong to does not exist for them (404).
   */
  async function switchWorkspace(p: SessionPrincipal, workspaceId: string): Promise<SessionPrincipal> {
    return store.transaction(async (trx) => {
      const membership = await trx.selectFrom('workspace_members').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', p.userId).executeTakeFirst();
      if (!membership) throw new AppError('not_found', 'Workspace not found.');
      await trx.updateTable('sessions').set({ workspace_id: workspaceId }).where('id', '=', p.sessionId).execute();
      await trx.updateTable('users').set({ last_workspace_id: workspaceId }).where('id', '=', p.userId).execute();
      return { ...p, workspaceId, role: membership.role };
    });
  }

  return { list, changeRole, remove, workspacesOf, switchWorkspace };
}

export type MembersService = ReturnType<typeof createMembersService>;
