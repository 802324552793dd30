import type { Invitation, InvitationPreview, Member, Role } from '@pc/contract';

/** Test data in the contract's shapes. */
const T0 = '2026-03-01T12:00:00.000Z';
const IN_A_WEEK = () => new Date(Date.now() + 7 * 86_400_000 - 60_000).toISOString();

export const ME = { id: 'user_me', email: 'me@acme.example', createdAt: T0 };

/** The shell's `auth.session` answer for me, signed in to `acme` as `role`. */
export const sessionAs = (role: Role, workspace = { id: 'ws_acme', name: 'acme', createdAt: T0 }) => ({
  'auth.session': { data: { signedIn: true, user: ME, workspace, role } },
});

export const memberFixture = (userId: string, role: Role, email = `${userId.replace('user_', '')}@acme.example`): Member => ({ userId, email, role, joinedAt: T0 });

export const invitationFixture = (over: Partial<Invitation> = {}): Invitation => ({
  id: 'inv_1',
  email: 'new@acme.example',
  role: 'member',
  expiresAt: IN_A_WEEK(),
  createdAt: T0,
  invitedBy: { userId: ME.id, email: ME.email },
  ...over,
});

export const previewFixture = (over: Partial<InvitationPreview> = {}): InvitationPreview => ({
  email: 'n•••@example.com',
  workspace: 'acme',
  role: 'member',
  invitedBy: 'owner@acme.example',
  isNewUser: true,
  expiresAt: IN_A_WEEK(),
  current: null,
  ...over,
});
