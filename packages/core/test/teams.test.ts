import { INVITATION_TTL_DAYS, type Role, createInvitationInput, registerInput } from '@pc/contract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SessionPrincipal } from '../src/index.js';
import {
  DAY,
  type Harness,
  PUBLIC_URL,
  type RecordingMailer,
  type SignedInUser,
  T0,
  aliceWorkspace,
  closeHarnesses,
  count,
  expectAppError,
  meta,
  peerOf,
  signIn,
  signUp,
  store,
} from './helpers.js';

let h: Harness;
let alice: SignedInUser;
beforeEach(async () => {
  ({ h, alice } = await aliceWorkspace());
});
afterEach(closeHarnesses);

/** A second instance on PostgreSQL (a real race between two pools); the same core on SQLite. */
const otherInstance = async (): Promise<Harness> => (store === 'postgres' ? peerOf(h) : h);

/** The token of the newest invitation mailed to `email`; the link must be the invitation page. */
function invitationToken(mailer: RecordingMailer, email: string): string {
  const last = mailer.to(email).at(-1);
  if (!last) throw new Error(`no mail to ${email}`);
  const url = new URL(last.link);
  expect(`${url.origin}${url.pathname}`).toBe(`${PUBLIC_URL}/auth/invitation`);
  const token = url.searchParams.get('token');
  if (!token) throw new Error('invitation link without token');
  return token;
}

async function invite(by: SessionPrincipal, email: string, role: Role = 'member', at: Harness = h) {
  const invitation = await at.core.invitations.create(by, createInvitationInput.parse({ email, role }), meta());
  await at.core.queue.idle();
  return { invitation, token: invitationToken(at.mailer, email) };
}

async function principalOf(sessionToken: string, at: Harness = h): Promise<SessionPrincipal> {
  const s = await at.core.auth.authenticateSession(sessionToken);
  if (!s) throw new Error('session does not authenticate');
  return s.principal;
}

interface Joined {
  email: string;
  userId: string;
  sessionToken: string;
  principal: SessionPrincipal;
}

/** Invites `email` as `role` and accepts: a member signed in to the inviter's workspace. */
async function join(by: SessionPrincipal, email: string, role: Role): Promise<Joined> {
  const { token } = await invite(by, email, role);
  const accepted = await h.core.invitations.accept(token, meta());
  expect(accepted.result).toMatchObject({ success: true, role, workspace: { id: by.workspaceId } });
  return { email, userId: accepted.result.user.id, sessionToken: accepted.sessionToken, principal: await principalOf(accepted.sessionToken) };
}

const roleOf = async (workspaceId: string, userId: string) =>
  (await h.handle.db.selectFrom('workspace_members').select('role').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).executeTakeFirst())?.role;
const ownersOf = async (workspaceId: string) =>
  (await h.handle.db.selectFrom('workspace_members').select('user_id').where('workspace_id', '=', workspaceId).where('role', '=', 'owner').execute()).map((r) => r.user_id);

describe('roles', () => {
  it('an admin invites admins and members but never owners; a member invites no one', async () => {
    const admin = await join(alice.principal, 'adm@example.com', 'admin');
    const member = await join(alice.principal, 'mem@example.com', 'member');
    await expectAppError(h.core.invitations.create(admin.principal, { email: 'o@example.com', role: 'owner' }, meta()), 'forbidden');
    expect((await h.core.invitations.create(admin.principal, { email: 'a@example.com', role: 'admin' }, meta())).role).toBe('admin');
    expect((await h.core.invitations.create(admin.principal, { email: 'm@example.com', role: 'member' }, meta())).role).toBe('member');
    for (const role of ['owner', 'admin', 'member'] as const) {
      await expectAppError(h.core.invitations.create(member.principal, { email: `x-${role}@example.com`, role }, meta()), 'forbidden');
    }
    expect((await h.core.invitations.list(alice.workspaceId)).map((i) => i.email).sort()).toEqual(['a@example.com', 'm@example.com']);
  });

  it('an admin cannot revoke an invitation of an owner, and a member revokes none, even one that does not exist', async () => {
    const admin = await join(alice.principal, 'adm@example.com', 'admin');
    const member = await join(alice.principal, 'mem@example.com', 'member');
    const asOwner = (await invite(alice.principal, 'future-owner@example.com', 'owner')).invitation;
    const asAdmin = (await invite(alice.principal, 'future-admin@example.com', 'admin')).invitation;
    await expectAppError(h.core.invitations.revoke(admin.principal, asOwner.id, meta()), 'forbidden');
    await expectAppError(h.core.invitations.revoke(member.principal, asAdmin.id, meta()), 'forbidden');
    await expectAppError(h.core.invitations.revoke(member.principal, 'inv_does_not_exist', meta()), 'forbidden');
    await h.core.invitations.revoke(admin.principal, asAdmin.id, meta());
    expect((await h.core.invitations.list(alice.workspaceId)).map((i) => i.id)).toEqual([asOwner.id]);
  });

  it('only owners change roles, and a change holds from the very next request', async () => {
    const admin = await join(alice.principal, 'adm@example.com', 'admin');
    const member = await join(alice.principal, 'mem@example.com', 'member');
    await expectAppError(h.core.members.changeRole(admin.principal, member.userId, 'admin', meta()), 'forbidden');
    await expectAppError(h.core.members.changeRole(member.principal, member.userId, 'admin', meta()), 'forbidden');
    // The rule comes before the look-up: an unknown id is no different for those who may not.
    await expectAppError(h.core.members.changeRole(member.principal, 'user_unknown', 'admin', meta()), 'forbidden');
    await expectAppError(h.core.members.changeRole(alice.principal, 'user_unknown', 'admin', meta()), 'not_found');

    expect(await h.core.members.changeRole(alice.principal, member.userId, 'admin', meta())).toMatchObject({ userId: member.userId, email: 'mem@example.com', role: 'admin' });
    const next = await principalOf(member.sessionToken);
    expect(next.role).toBe('admin');
    expect((await h.core.auth.me(next)).role).toBe('admin');
    // Now an admin: may invite.
    await h.core.invitations.create(next, { email: 'new@example.com', role: 'member' }, meta());
    await h.core.members.changeRole(alice.principal, member.userId, 'member', meta());
    const demoted = await principalOf(member.sessionToken);
    expect(demoted.role).toBe('member');
    await expectAppError(h.core.invitations.create(demoted, { email: 'new2@example.com', role: 'member' }, meta()), 'forbidden');
  });

  it('removing someone else is an owner’s; anyone may leave', async () => {
    const admin = await join(alice.principal, 'adm@example.com', 'admin');
    const member = await join(alice.principal, 'mem@example.com', 'member');
    const other = await join(alice.principal, 'other@example.com', 'member');
    await expectAppError(h.core.members.remove(admin.principal, member.userId, meta()), 'forbidden');
    await expectAppError(h.core.members.remove(member.principal, admin.userId, meta()), 'forbidden');
    await expectAppError(h.core.members.remove(member.principal, 'user_unknown', meta()), 'forbidden');
    await expectAppError(h.core.members.remove(alice.principal, 'user_unknown', meta()), 'not_found');
    await h.core.members.remove(member.principal, member.userId, meta());
    await h.core.members.remove(admin.principal, admin.userId, meta());
    await h.core.members.remove(alice.principal, other.userId, meta());
    expect((await h.core.members.list(alice.workspaceId)).map((m) => m.userId)).toEqual([alice.userId]);
  });

  it('the last owner can be neither demoted nor leave; with two owners either may', async () => {
    await expectAppError(h.core.members.changeRole(alice.principal, alice.userId, 'admin', meta()), 'last_owner');
    await expectAppError(h.core.members.changeRole(alice.principal, alice.userId, 'member', meta()), 'last_owner');
    await expectAppError(h.core.members.remove(alice.principal, alice.userId, meta()), 'last_owner');
    // Not a change: answered with the member as is.
    expect(await h.core.members.changeRole(alice.principal, alice.userId, 'owner', meta())).toMatchObject({ role: 'owner' });

    const bob = await join(alice.principal, 'bob@example.com', 'owner');
    expect(await ownersOf(alice.workspaceId)).toHaveLength(2);
    // Alice steps down; Bob is now the last owner.
    expect(await h.core.members.changeRole(alice.principal, alice.userId, 'admin', meta())).toMatchObject({ role: 'admin' });
    const aliceNow = await principalOf(alice.sessionToken);
    expect(aliceNow.role).toBe('admin');
    await expectAppError(h.core.members.remove(bob.principal, bob.userId, meta()), 'last_owner');
    await expectAppError(h.core.members.changeRole(bob.principal, bob.userId, 'member', meta()), 'last_owner');
    await expectAppError(h.core.members.changeRole(aliceNow, bob.userId, 'member', meta()), 'forbidden');
    // An owner may remove another owner while one remains.
    await h.core.members.changeRole(bob.principal, alice.userId, 'owner', meta());
    await h.core.members.remove(bob.principal, alice.userId, meta());
    expect(await ownersOf(alice.workspaceId)).toEqual([bob.userId]);
  });

  it('an address already in the workspace cannot be invited (409 already_member), its own owner’s neither', async () => {
    await join(alice.principal, 'bob@example.com', 'member');
    await expectAppError(h.core.invitations.create(alice.principal, { email: 'bob@example.com', role: 'admin' }, meta()), 'already_member');
    await expectAppError(h.core.invitations.create(alice.principal, { email: 'alice@example.com', role: 'member' }, meta()), 'already_member');
    expect(await h.core.invitations.list(alice.workspaceId)).toEqual([]);
  });

  it('only owners and admins read the audit log', async () => {
    const admin = await join(alice.principal, 'adm@example.com', 'admin');
    const member = await join(alice.principal, 'mem@example.com', 'member');
    await expectAppError(h.core.audit.readLog(member.principal, { limit: 10 }), 'forbidden');
    expect((await h.core.audit.readLog(admin.principal, { limit: 10 })).data.length).toBeGreaterThan(0);
    expect((await h.core.audit.readLog(alice.principal, { limit: 10 })).data.length).toBeGreaterThan(0);
  });
});

describe('races', () => {
  it('two owners demoting each other at once leave exactly one owner', async () => {
    const peer = await otherInstance();
    const bob = await join(alice.principal, 'bob@example.com', 'owner');
    for (let round = 0; round < 6; round++) {
      const results = await Promise.allSettled([
        h.core.members.changeRole(alice.principal, bob.userId, 'admin', meta()),
        peer.core.members.changeRole(bob.principal, alice.userId, 'admin', meta()),
      ]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok, `round ${round}`).toHaveLength(1);
      expect(failed[0]?.reason).toMatchObject({ name: 'AppError', code: 'last_owner' });
      const owners = await ownersOf(alice.workspaceId);
      expect(owners).toHaveLength(1);
      // Make the demoted one an owner again for the next round.
      const survivor = owners[0] === alice.userId ? alice : bob;
      const demoted = survivor === alice ? bob : alice;
      await h.core.members.changeRole(survivor.principal, demoted.userId, 'owner', meta());
    }
  });

  it('an invitation accepted twice at once makes one membership and one session; the other is invalid_invitation', async () => {
    const peer = await otherInstance();
    for (const email of ['race1@example.com', 'race2@example.com', 'race3@example.com']) {
      const { token } = await invite(alice.principal, email, 'admin');
      const results = await Promise.allSettled([h.core.invitations.accept(token, meta()), peer.core.invitations.accept(token, meta())]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok, email).toHaveLength(1);
      expect(failed[0]?.reason).toMatchObject({ name: 'AppError', code: 'invalid_invitation' });
      const users = await h.handle.db.selectFrom('users').select('id').where('email', '=', email).execute();
      expect(users).toHaveLength(1);
      const memberships = await h.handle.db.selectFrom('workspace_members').select('role').where('user_id', '=', users[0]!.id).execute();
      expect(memberships).toEqual([{ role: 'admin' }]);
      expect(await h.handle.db.selectFrom('sessions').select('id').where('user_id', '=', users[0]!.id).execute()).toHaveLength(1);
    }
    expect(await h.core.invitations.list(alice.workspaceId)).toEqual([]);
  });

  it('two workspaces’ invitations of one new address accepted at once make one account in both', async () => {
    const peer = await otherInstance();
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    const fromAlice = await invite(alice.principal, 'dora@example.com', 'member');
    const fromBob = await invite(bob.principal, 'dora@example.com', 'admin');
    const [a, b] = await Promise.all([h.core.invitations.accept(fromAlice.token, meta()), peer.core.invitations.accept(fromBob.token, meta())]);
    expect(a.result.user.id).toBe(b.result.user.id);
    expect([a.result.isNewUser, b.result.isNewUser].sort()).toEqual([false, true]);
    const rows = await h.handle.db.selectFrom('workspace_members').select(['workspace_id', 'role']).where('user_id', '=', a.result.user.id).orderBy('role').execute();
    expect(rows).toEqual([
      { workspace_id: bob.workspaceId, role: 'admin' },
      { workspace_id: alice.workspaceId, role: 'member' },
    ]);
  });
});

describe('invitations', () => {
  it('are answered with who invited whom, and mailed once committed with a link to the invitation page', async () => {
    const before = h.mailer.sent.length;
    const invitation = await h.core.invitations.create(alice.principal, createInvitationInput.parse({ email: '  Bob@Example.COM ', role: 'admin' }), meta());
    expect(invitation).toEqual({
      id: expect.stringMatching(/^inv_[0-9A-Za-z]{16,}$/),
      email: 'bob@example.com',
      role: 'admin',
      createdAt: T0,
      expiresAt: new Date(Date.parse(T0) + INVITATION_TTL_DAYS * DAY).toISOString(),
      invitedBy: { userId: alice.userId, email: 'alice@example.com' },
    });
    await h.core.queue.idle();
    const mails = h.mailer.sent.slice(before);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    const token = invitationToken(h.mailer, 'bob@example.com');
    expect(mail!.to).toBe('bob@example.com');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(mail!.link).toBe(`${PUBLIC_URL}/auth/invitation?token=${token}`);
    expect(mail!.subject).toContain('acme');
    expect(mail!.text).toContain(mail!.link);
    expect(mail!.text).toContain('alice@example.com');
    expect(mail!.text).toContain('admin');
    expect(mail!.html).toContain(mail!.link);
    // Only the hash is kept.
    const row = await h.handle.db.selectFrom('invitations').selectAll().executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token);
    expect(await h.core.invitations.list(alice.workspaceId)).toEqual([invitation]);
  });

  it('answer the same whether or not the address has an account, and mail both', async () => {
    await signUp(h, 'carol@example.com', 'carols');
    const known = await h.core.invitations.create(alice.principal, { email: 'carol@example.com', role: 'member' }, meta());
    const unknown = await h.core.invitations.create(alice.principal, { email: 'nobody@example.com', role: 'member' }, meta());
    const shape = (i: typeof known) => ({ ...i, id: i.id.replace(/^inv_[0-9A-Za-z]+$/, 'inv_*'), email: '*' });
    expect(shape(known)).toEqual(shape(unknown));
    expect(Object.keys(known)).toEqual(Object.keys(unknown));
    await h.core.queue.idle();
    expect(h.mailer.to('carol@example.com').filter((m) => m.link.includes('/auth/invitation'))).toHaveLength(1);
    expect(h.mailer.to('nobody@example.com')).toHaveLength(1);
    const ck = h.mailer.to('carol@example.com').at(-1)!;
    const nk = h.mailer.to('nobody@example.com').at(-1)!;
    expect(ck.subject).toBe(nk.subject);
    expect(ck.text.replace(/token=[^\s]+/, '')).toBe(nk.text.replace(/token=[^\s]+/, ''));
    // Only the preview (for the holder of the link) says which one makes an account.
    expect((await h.core.invitations.preview(invitationToken(h.mailer, 'carol@example.com'), meta(), null)).isNewUser).toBe(false);
    expect((await h.core.invitations.preview(invitationToken(h.mailer, 'nobody@example.com'), meta(), null)).isNewUser).toBe(true);
  });

  it('inviting the same address again replaces the open invitation: the old link stops working', async () => {
    const first = await invite(alice.principal, 'bob@example.com', 'member');
    h.clock.advance(60_000);
    const second = await invite(alice.principal, 'bob@example.com', 'admin');
    expect(second.token).not.toBe(first.token);
    expect((await h.core.invitations.list(alice.workspaceId)).map((i) => [i.id, i.role])).toEqual([[second.invitation.id, 'admin']]);
    await expectAppError(h.core.invitations.preview(first.token, meta(), null), 'invalid_invitation');
    await expectAppError(h.core.invitations.accept(first.token, meta()), 'invalid_invitation');
    expect((await h.core.invitations.accept(second.token, meta())).result.role).toBe('admin');
  });

  it('work for 7 days, then are refused and no longer listed', async () => {
    const { token } = await invite(alice.principal, 'bob@example.com', 'member');
    h.clock.advance(INVITATION_TTL_DAYS * DAY - 1);
    expect(await h.core.invitations.preview(token, meta(), null)).toMatchObject({ workspace: 'acme', role: 'member', invitedBy: 'alice@example.com', email: 'b•••@example.com' });
    expect(await h.core.invitations.list(alice.workspaceId)).toHaveLength(1);
    h.clock.advance(1);
    await expectAppError(h.core.invitations.accept(token, meta()), 'invalid_invitation');
    await expectAppError(h.core.invitations.preview(token, meta(), null), 'invalid_invitation');
    expect(await h.core.invitations.list(alice.workspaceId)).toEqual([]);
    expect(await count(h, 'users')).toBe(1);
    // The address may be invited again.
    const again = await invite(alice.principal, 'bob@example.com', 'member');
    expect((await h.core.invitations.accept(again.token, meta())).result.success).toBe(true);
  });

  it('revoked: the link is refused; revoking again is not_found', async () => {
    const { invitation, token } = await invite(alice.principal, 'bob@example.com', 'member');
    await h.core.invitations.revoke(alice.principal, invitation.id, meta());
    await expectAppError(h.core.invitations.accept(token, meta()), 'invalid_invitation');
    expect(await h.core.invitations.list(alice.workspaceId)).toEqual([]);
    await expectAppError(h.core.invitations.revoke(alice.principal, invitation.id, meta()), 'not_found');
  });

  it('are single use, and refuse malformed tokens', async () => {
    const { token } = await invite(alice.principal, 'bob@example.com', 'member');
    await h.core.invitations.accept(token, meta());
    await expectAppError(h.core.invitations.accept(token, meta()), 'invalid_invitation');
    await expectAppError(h.core.invitations.accept('short', meta()), 'invalid_invitation');
    await expectAppError(h.core.invitations.accept(`${token.slice(0, -1)}A`, meta()), 'invalid_invitation');
    await expectAppError(h.core.invitations.accept('x'.repeat(300), meta()), 'invalid_invitation');
  });

  it('of another workspace cannot be revoked (not_found) nor are they listed', async () => {
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    const { invitation } = await invite(bob.principal, 'carol@example.com', 'member');
    await expectAppError(h.core.invitations.revoke(alice.principal, invitation.id, meta()), 'not_found');
    expect(await h.core.invitations.list(alice.workspaceId)).toEqual([]);
    expect(await h.core.invitations.list(bob.workspaceId)).toHaveLength(1);
  });

  it('accepting creates the user when the address is new and signs them in to the workspace', async () => {
    const { token } = await invite(alice.principal, 'bob@example.com', 'admin');
    expect(await count(h, 'users')).toBe(1);
    const accepted = await h.core.invitations.accept(token, meta());
    expect(accepted.result).toEqual({
      success: true,
      user: { id: expect.stringMatching(/^user_/), email: 'bob@example.com' },
      workspace: { id: alice.workspaceId, name: 'acme' },
      isNewUser: true,
      role: 'admin',
    });
    expect(accepted.maxAgeSeconds).toBe(30 * 24 * 3600);
    expect(await count(h, 'users')).toBe(2);
    const p = await principalOf(accepted.sessionToken);
    expect(p).toMatchObject({ userId: accepted.result.user.id, workspaceId: alice.workspaceId, role: 'admin' });
    expect(await h.core.auth.workspaces(p)).toEqual([{ id: alice.workspaceId, name: 'acme', role: 'admin', current: true }]);
    expect((await h.core.members.list(alice.workspaceId)).map((m) => [m.email, m.role])).toEqual([
      ['alice@example.com', 'owner'],
      ['bob@example.com', 'admin'],
    ]);
  });

  it('accepting joins an existing user, who keeps their own workspace', async () => {
    const carol = await signUp(h, 'carol@example.com', 'carols');
    const { token } = await invite(alice.principal, 'carol@example.com', 'member');
    const users = await count(h, 'users');
    const accepted = await h.core.invitations.accept(token, meta());
    expect(accepted.result).toMatchObject({ isNewUser: false, user: { id: carol.userId, email: 'carol@example.com' }, workspace: { id: alice.workspaceId }, role: 'member' });
    expect(await count(h, 'users')).toBe(users);
    const p = await principalOf(accepted.sessionToken);
    expect(await h.core.auth.workspaces(p)).toEqual([
      { id: alice.workspaceId, name: 'acme', role: 'member', current: true },
      { id: carol.workspaceId, name: 'carols', role: 'owner', current: false },
    ]);
    // Her first session is still in her own workspace.
    expect((await principalOf(carol.sessionToken)).workspaceId).toBe(carol.workspaceId);
  });
});

describe('workspaces', () => {
  it('a sign-in lands in the workspace last switched to, or joined', async () => {
    const carol = await signUp(h, 'carol@example.com', 'carols');
    const { token } = await invite(alice.principal, 'carol@example.com', 'admin');
    await h.core.invitations.accept(token, meta());
    // Joining is working there.
    const first = await signIn(h, 'carol@example.com');
    expect(first.workspaceId).toBe(alice.workspaceId);
    expect(first.principal.role).toBe('admin');

    const moved = await h.core.auth.switchWorkspace(first.principal, carol.workspaceId);
    expect(moved).toMatchObject({ workspaceId: carol.workspaceId, role: 'owner', sessionId: first.principal.sessionId });
    // The session itself moved: its next request is in the other workspace.
    expect(await principalOf(first.sessionToken)).toMatchObject({ workspaceId: carol.workspaceId, role: 'owner' });
    expect((await signIn(h, 'carol@example.com')).workspaceId).toBe(carol.workspaceId);

    await h.core.auth.switchWorkspace(moved, alice.workspaceId);
    expect((await signIn(h, 'carol@example.com')).workspaceId).toBe(alice.workspaceId);
  });

  it('the session list names the workspace each of the person’s sessions is in now', async () => {
    const carol = await signUp(h, 'carol@example.com', 'carols');
    const { token } = await invite(alice.principal, 'carol@example.com', 'member');
    const joined = await principalOf((await h.core.invitations.accept(token, meta())).sessionToken);
    const inOwn = { id: carol.workspaceId, name: 'carols' };
    const inAcme = { id: alice.workspaceId, name: 'acme' };
    const where = async () => Object.fromEntries((await h.core.auth.listSessions(carol.principal)).map((s) => [s.id, s.workspace]));
    expect(await where()).toEqual({ [carol.principal.sessionId]: inOwn, [joined.sessionId]: inAcme });
    await h.core.auth.switchWorkspace(carol.principal, alice.workspaceId);
    expect(await where()).toEqual({ [carol.principal.sessionId]: inAcme, [joined.sessionId]: inAcme });
  });

  it('switching to a workspace one does not belong to is not_found and moves nothing', async () => {
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    await expectAppError(h.core.auth.switchWorkspace(alice.principal, bob.workspaceId), 'not_found');
    await expectAppError(h.core.auth.switchWorkspace(alice.principal, 'ws_unknown'), 'not_found');
    expect((await principalOf(alice.sessionToken)).workspaceId).toBe(alice.workspaceId);
    expect((await signIn(h, 'alice@example.com')).workspaceId).toBe(alice.workspaceId);
  });

  it('removal ends the person’s sessions in that workspace at once, not those in their other workspace', async () => {
    const carol = await signUp(h, 'carol@example.com', 'carols');
    const { token } = await invite(alice.principal, 'carol@example.com', 'member');
    const inAcme = await h.core.invitations.accept(token, meta());
    const second = await signIn(h, 'carol@example.com');
    expect(second.workspaceId).toBe(alice.workspaceId);
    const carolSessions = () => h.handle.db.selectFrom('sessions').select(['id', 'workspace_id']).where('user_id', '=', carol.userId).execute();
    expect(await carolSessions()).toHaveLength(3);

    await h.core.members.remove(alice.principal, carol.userId, meta());
    expect(await h.core.auth.authenticateSession(inAcme.sessionToken)).toBeNull();
    expect(await h.core.auth.authenticateSession(second.sessionToken)).toBeNull();
    const left = await principalOf(carol.sessionToken);
    expect(left).toMatchObject({ workspaceId: carol.workspaceId, role: 'owner' });
    expect((await carolSessions()).map((s) => s.workspace_id)).toEqual([carol.workspaceId]);
    expect(await h.core.auth.workspaces(left)).toEqual([{ id: carol.workspaceId, name: 'carols', role: 'owner', current: true }]);
    // Her last workspace is gone: the next sign-in lands in the one she has.
    expect((await signIn(h, 'carol@example.com')).workspaceId).toBe(carol.workspaceId);
    // Alice's own session is untouched.
    expect(await principalOf(alice.sessionToken)).toMatchObject({ workspaceId: alice.workspaceId, role: 'owner' });
  });

  it('a session switched into a workspace ends when its person is removed from it', async () => {
    const bob = await signUp(h, 'bob@example.com', 'bobs');
    const { token } = await invite(alice.principal, 'bob@example.com', 'member');
    await h.core.invitations.accept(token, meta());
    // Bob's first session (in his own workspace) moves to acme.
    await h.core.auth.switchWorkspace(bob.principal, alice.workspaceId);
    expect((await principalOf(bob.sessionToken)).workspaceId).toBe(alice.workspaceId);
    await h.core.members.remove(alice.principal, bob.userId, meta());
    expect(await h.core.auth.authenticateSession(bob.sessionToken)).toBeNull();
  });
});

describe('audit', () => {
  it('records invitations, joins, role changes, removals and leaving, each with its actor', async () => {
    const revoked = await invite(alice.principal, 'dave@example.com', 'member');
    await h.core.invitations.revoke(alice.principal, revoked.invitation.id, meta());
    const bobInvite = await invite(alice.principal, 'bob@example.com', 'member');
    const bobAccepted = await h.core.invitations.accept(bobInvite.token, meta());
    const bobId = bobAccepted.result.user.id;
    const bobP = await principalOf(bobAccepted.sessionToken);
    await h.core.members.changeRole(alice.principal, bobId, 'admin', meta());
    const carol = await join(alice.principal, 'carol@example.com', 'member');
    await h.core.auth.authenticateSession(carol.sessionToken);
    await h.core.members.remove(alice.principal, carol.userId, meta());
    await h.core.members.remove(await principalOf(bobAccepted.sessionToken), bobId, meta());

    const page = await h.core.audit.list(alice.workspaceId, { limit: 100 });
    const entries = page.data.filter((e) => e.action.startsWith('member.')).reverse();
    const user = (id: string) => ({ type: 'user', id });
    expect(entries.map((e) => ({ action: e.action, actor: e.actor, target: e.target, metadata: e.metadata }))).toEqual([
      { action: 'member.invited', actor: user(alice.userId), target: { type: 'invitation', id: revoked.invitation.id }, metadata: { email: 'dave@example.com', role: 'member' } },
      { action: 'member.invitation_revoked', actor: user(alice.userId), target: { type: 'invitation', id: revoked.invitation.id }, metadata: { email: 'dave@example.com', role: 'member' } },
      { action: 'member.invited', actor: user(alice.userId), target: { type: 'invitation', id: bobInvite.invitation.id }, metadata: { email: 'bob@example.com', role: 'member' } },
      {
        action: 'member.joined',
        actor: user(bobId),
        target: user(bobId),
        metadata: { email: 'bob@example.com', role: 'member', invitationId: bobInvite.invitation.id, invitedBy: 'alice@example.com' },
      },
      { action: 'member.role_changed', actor: user(alice.userId), target: user(bobId), metadata: { from: 'member', to: 'admin', invitationsRevoked: 0 } },
      { action: 'member.invited', actor: user(alice.userId), target: expect.objectContaining({ type: 'invitation' }), metadata: { email: 'carol@example.com', role: 'member' } },
      { action: 'member.joined', actor: user(carol.userId), target: user(carol.userId), metadata: expect.objectContaining({ email: 'carol@example.com', role: 'member' }) },
      { action: 'member.removed', actor: user(alice.userId), target: user(carol.userId), metadata: { email: 'carol@example.com', role: 'member', sessionsEnded: 1, invitationsRevoked: 0 } },
      { action: 'member.left', actor: user(bobId), target: user(bobId), metadata: { email: 'bob@example.com', role: 'admin', sessionsEnded: 1, invitationsRevoked: 0 } },
    ]);
    // Nothing of the team's was written to another workspace.
    const bobsOwn = await signUp(h, 'eve@example.com', 'eves');
    expect((await h.core.audit.list(bobsOwn.workspaceId, { limit: 100 })).data.filter((e) => e.action.startsWith('member.'))).toEqual([]);
  });

  it('a sign-up link of an invited address that already joined signs in to where it works', async () => {
    const { token } = await invite(alice.principal, 'bob@example.com', 'member');
    await h.core.invitations.accept(token, meta());
    // Registering again with the address: it has a workspace now, so a sign-in link is mailed.
    await h.core.auth.register(registerInput.parse({ email: 'bob@example.com', workspaceName: 'bobs' }), meta());
    await h.core.queue.idle();
    const last = h.mailer.to('bob@example.com').at(-1)!;
    const signed = await h.core.auth.verify(new URL(last.link).searchParams.get('token')!, meta());
    expect(signed.result).toMatchObject({ isNewUser: false, workspace: { id: alice.workspaceId } });
  });
});

describe('invitations and the rights of whoever sent them', () => {
  it('an admin cannot replace an owner’s open invitation by inviting the address again', async () => {
    const admin = await join(alice.principal, 'adm@example.com', 'admin');
    const { token } = await invite(alice.principal, 'boss@example.com', 'owner');
    await expectAppError(h.core.invitations.create(admin.principal, { email: 'boss@example.com', role: 'member' }, meta()), 'forbidden');
    expect((await h.core.invitations.preview(token, meta(), null)).role).toBe('owner');
    // An owner may: the old link stops working and the log says which invitation was replaced.
    const first = (await h.core.invitations.list(alice.workspaceId)).find((i) => i.email === 'boss@example.com')!;
    await invite(alice.principal, 'boss@example.com', 'admin');
    await expectAppError(h.core.invitations.preview(token, meta(), null), 'invalid_invitation');
    const logged = (await h.core.audit.list(alice.workspaceId, { limit: 1, action: 'member.invited' })).data[0]!;
    expect(logged.metadata).toEqual({ email: 'boss@example.com', role: 'admin', replaced: first.id, replacedRole: 'owner' });
  });

  it('a refused invitation spends none of the address’s mail budget', async () => {
    const limited = await createLimitedHarness();
    const member = await limited.join('m@example.com');
    for (let i = 0; i < 5; i++) await expectAppError(limited.h.core.invitations.create(limited.owner, { email: 'm@example.com', role: 'member' }, meta()), 'already_member');
    // The budget (3 per 15 minutes) lost one to the invitation only: two sign-in links still go out.
    for (let i = 0; i < 2; i++) await limited.h.core.auth.login({ email: member.email }, meta());
    await expectAppError(limited.h.core.auth.login({ email: member.email }, meta()), 'rate_limited');
  });

  it('a demoted inviter keeps only the open invitations they may still give; a removed one’s go with them', async () => {
    const owner = await join(alice.principal, 'own@example.com', 'owner');
    const asOwner = await invite(owner.principal, 'x@example.com', 'owner');
    const asAdmin = await invite(owner.principal, 'y@example.com', 'admin');
    await h.core.members.changeRole(alice.principal, owner.userId, 'admin', meta());
    await expectAppError(h.core.invitations.accept(asOwner.token, meta()), 'invalid_invitation');
    expect((await h.core.invitations.preview(asAdmin.token, meta(), null)).role).toBe('admin');
    await h.core.members.changeRole(alice.principal, owner.userId, 'member', meta());
    await expectAppError(h.core.invitations.preview(asAdmin.token, meta(), null), 'invalid_invitation');

    const other = await join(alice.principal, 'adm2@example.com', 'admin');
    const pending = await invite(other.principal, 'z@example.com', 'member');
    await h.core.members.remove(alice.principal, other.userId, meta());
    await expectAppError(h.core.invitations.accept(pending.token, meta()), 'invalid_invitation');
    const removed = (await h.core.audit.list(alice.workspaceId, { limit: 1, action: 'member.removed' })).data[0]!;
    expect(removed.metadata).toMatchObject({ email: 'adm2@example.com', invitationsRevoked: 1 });
  });

  it('the sweep deletes invitations past their 7 days', async () => {
    await invite(alice.principal, 'late@example.com', 'member');
    await invite(alice.principal, 'fresh@example.com', 'member');
    const rows = () => h.handle.db.selectFrom('invitations').select('email').orderBy('email').execute();
    h.clock.advance(INVITATION_TTL_DAYS * DAY - 1);
    await h.core.auth.sweepExpired();
    expect((await rows()).map((r) => r.email)).toEqual(['fresh@example.com', 'late@example.com']);
    h.clock.advance(1);
    await h.core.auth.sweepExpired();
    expect(await rows()).toEqual([]);
  });
});

/** A workspace whose core keeps the default per-address mail budget (3 per 15 minutes). */
async function createLimitedHarness() {
  const { h: limited, alice: owner } = await aliceWorkspace({ authLimits: { perEmailPer15Minutes: 3 } });
  return {
    h: limited,
    owner: owner.principal,
    async join(email: string) {
      await limited.core.invitations.create(owner.principal, { email, role: 'member' }, meta());
      await limited.core.queue.idle();
      await limited.core.invitations.accept(invitationToken(limited.mailer, email), meta());
      return { email };
    },
  };
}

describe('a person without a workspace', () => {
  const lastLinkToken = (email: string) => new URL(h.mailer.to(email).at(-1)!.link).searchParams.get('token')!;

  it('a sign-in of someone removed from their only workspace is 403 no_workspace; signing up again makes them a new one', async () => {
    const bob = await join(alice.principal, 'bob@example.com', 'member');
    await h.core.members.remove(alice.principal, bob.userId, meta());
    await h.core.auth.login({ email: 'bob@example.com' }, meta());
    await h.core.queue.idle();
    const signInToken = lastLinkToken('bob@example.com');
    await expectAppError(h.core.auth.previewLink(signInToken, meta(), null), 'no_workspace');
    await expectAppError(h.core.auth.verify(signInToken, meta()), 'no_workspace');

    await h.core.auth.register(registerInput.parse({ email: 'bob@example.com', workspaceName: 'bobs' }), meta());
    await h.core.queue.idle();
    const signed = await h.core.auth.verify(lastLinkToken('bob@example.com'), meta());
    expect(signed.result).toMatchObject({ isNewUser: false, user: { id: bob.userId }, workspace: { name: 'bobs' } });
    expect((await principalOf(signed.sessionToken)).role).toBe('owner');
  });

  it('a sign-up still open when its address accepted an invitation creates its workspace too', async () => {
    await h.core.auth.register(registerInput.parse({ email: 'carol@example.com', workspaceName: 'carols' }), meta());
    await h.core.queue.idle();
    const signUpToken = lastLinkToken('carol@example.com');
    const carol = await join(alice.principal, 'carol@example.com', 'admin');
    const signed = await h.core.auth.verify(signUpToken, meta());
    expect(signed.result).toMatchObject({ isNewUser: false, user: { id: carol.userId }, workspace: { name: 'carols' } });
    const mine = await h.core.auth.workspaces(await principalOf(signed.sessionToken));
    expect(mine.map((w) => [w.name, w.role, w.current])).toEqual([
      ['acme', 'admin', false],
      ['carols', 'owner', true],
    ]);
  });
});

describe('deleting a workspace', () => {
  it('takes everything in it: members’ sessions end, its keys are refused at every instance from the next request', async () => {
    const bob = await join(alice.principal, 'bob@example.com', 'admin');
    const key = await h.core.apiKeys.create(alice.principal, { name: 'ci' }, meta());
    const peer = await otherInstance();
    // Cached at both instances before the deletion.
    await h.core.apiKeys.authenticate(key.key, meta());
    await peer.core.apiKeys.authenticate(key.key, meta());
    await h.core.agents.create(alice.principal, { name: 'gw', label: null }, meta());
    await invite(alice.principal, 'carol@example.com', 'member');

    await expectAppError(h.core.auth.deleteWorkspace(bob.principal, 'acme', meta()), 'forbidden');
    const wrong = await expectAppError(h.core.auth.deleteWorkspace(alice.principal, 'acm', meta()), 'invalid_request');
    expect(wrong.extra.details).toEqual([{ path: 'confirm', message: 'Type the workspace’s name, acme, to confirm.' }]);
    expect(await count(h, 'workspaces')).toBe(1);

    await h.core.auth.deleteWorkspace(alice.principal, 'acme', meta());
    await expectAppError(h.core.apiKeys.authenticate(key.key, meta()), 'invalid_api_key');
    await expectAppError(peer.core.apiKeys.authenticate(key.key, meta()), 'invalid_api_key');
    expect(await h.core.auth.authenticateSession(alice.sessionToken)).toBeNull();
    expect(await h.core.auth.authenticateSession(bob.sessionToken)).toBeNull();
    for (const table of ['workspaces', 'workspace_members', 'sessions', 'api_keys', 'agents', 'invitations', 'audit_logs'] as const) expect(await count(h, table), table).toBe(0);
    // The people keep their accounts.
    expect(await count(h, 'users')).toBe(2);
  });

  it('counts a deleted workspace’s keys still held in memory do not keep the flush failing', async () => {
    const bob = await signUp(h, 'bob@example.com', 'bobco');
    const mine = await h.core.apiKeys.create(alice.principal, { name: 'mine' }, meta());
    const his = await h.core.apiKeys.create(bob.principal, { name: 'his' }, meta());
    await h.core.apiKeys.authenticate(mine.key, meta());
    await h.core.apiKeys.authenticate(his.key, meta());
    await h.core.auth.deleteWorkspace(bob.principal, 'bobco', meta());
    // The first flush may meet the foreign key; the one after writes what is left.
    await h.core.flush();
    await h.core.apiKeys.authenticate(mine.key, meta());
    await h.core.flush();
    expect((await h.core.apiKeys.usage(alice.workspaceId, mine.id, { granularity: 'hour' })).data.at(-1)).toMatchObject({ ok: 2 });
    expect(await h.handle.db.selectFrom('api_key_usage').select(['key_id', 'ok']).execute()).toEqual([{ key_id: mine.id, ok: 2 }]);
  });
});
