import { z } from 'zod';
import { emailSchema, idSchema, isoTimestamp } from './common.js';

export const ROLES = ['owner', 'admin', 'member'] as const;
export const roleSchema = z.enum(ROLES, { error: 'role must be owner, admin or member.' });
export type Role = z.infer<typeof roleSchema>;

/**
 * Who may do what in a workspace: the one table core enforces and the SPA hides and disables by.
 * Reading lists and details is every member's; no role is ever shown a secret after it was issued.
 */
export const ROLE_PERMISSIONS = {
  manageApiKeys: ['owner', 'admin'],
  manageAgents: ['owner', 'admin'],
  manageWebhooks: ['owner', 'admin'],
  readAuditLog: ['owner', 'admin'],
  inviteMembers: ['owner', 'admin'],
  manageMembers: ['owner'],
  deleteWorkspace: ['owner'],
} as const satisfies Record<string, readonly Role[]>;
export type Permission = keyof typeof ROLE_PERMISSIONS;

export const roleMay = (role: Role, what: Permission): boolean => (ROLE_PERMISSIONS[what] as readonly Role[]).includes(role);

/** The reason shown beside what a role may not do, and in the 403. */
export const PERMISSION_REASONS: Record<Permission, string> = {
  manageApiKeys: 'Only owners and admins can create, change or revoke API keys.',
  manageAgents: 'Only owners and admins can register, delete or report for agents.',
  manageWebhooks: 'Only owners and admins can change webhooks or send deliveries.',
  readAuditLog: 'Only owners and admins can read the audit log.',
  inviteMembers: 'Only owners and admins can invite people.',
  manageMembers: 'Only owners can change roles or remove other members.',
  deleteWorkspace: 'Only owners can delete the workspace.',
};

/** The roles `role` may give by invitation: an admin brings in admins and members, never an owner. */
export const grantableRoles = (role: Role): Role[] => (role === 'owner' ? ['owner', 'admin', 'member'] : role === 'admin' ? ['admin', 'member'] : []);

export const INVITATION_TTL_DAYS = 7;

export const createInvitationInput = z.object({ email: emailSchema, role: roleSchema.default('member') });
export const invitationIdInput = z.object({ id: idSchema });
export const invitationTokenInput = z.object({
  token: z.string({ error: 'token is required.' }).min(1, 'token is required.').max(4096, 'The invitation link is invalid.'),
});

export const invitation = z.object({
  id: z.string(),
  email: z.string(),
  role: roleSchema,
  expiresAt: isoTimestamp,
  createdAt: isoTimestamp,
  invitedBy: z.object({ userId: z.string(), email: z.string() }).nullable().describe('Who sent it; null when that account is gone'),
});
export const invitationList = z.array(invitation);

/** What an invitation link opens, read without spending it. */
export const invitationPreview = z.object({
  email: z.string().describe('The invited address, masked: a•••@example.com'),
  workspace: z.string(),
  role: roleSchema,
  invitedBy: z.string().nullable().describe('The e-mail of whoever sent it'),
  isNewUser: z.boolean().describe('true: accepting creates the account'),
  expiresAt: isoTimestamp,
  current: z.object({ email: z.string(), sameAccount: z.boolean() }).nullable(),
});

export const member = z.object({ userId: z.string(), email: z.string(), role: roleSchema, joinedAt: isoTimestamp });
export const memberList = z.array(member);
export const memberIdInput = z.object({ userId: idSchema });
export const updateMemberInput = z.object({ role: roleSchema });

export const workspaceMembership = z.object({ id: z.string(), name: z.string(), role: roleSchema, current: z.boolean() });
export const workspaceMembershipList = z.array(workspaceMembership);
export const switchWorkspaceInput = z.object({ workspaceId: idSchema });
/** Deleting a workspace takes its name, typed again: a script or a click cannot do it by accident. */
export const deleteWorkspaceInput = z.object({ confirm: z.string({ error: 'confirm is required: the workspace’s name.' }).max(100, 'confirm must be the workspace’s name.') });

export type CreateInvitationInput = z.input<typeof createInvitationInput>;
export type Invitation = z.infer<typeof invitation>;
export type InvitationPreview = z.infer<typeof invitationPreview>;
export type Member = z.infer<typeof member>;
export type WorkspaceMembership = z.infer<typeof workspaceMembership>;
