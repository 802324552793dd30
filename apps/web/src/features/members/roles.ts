import type { Role } from '@pc/contract';

export const ROLE_LABELS: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };

/** What each role brings, in a person's words (the rules themselves are ROLE_PERMISSIONS in the contract). */
export const ROLE_HINTS: Record<Role, string> = {
  owner: 'Owners can do everything, including changing roles, removing members and deleting the workspace.',
  admin: 'Admins manage API keys, agents and webhooks, read the audit log and invite people.',
  member: 'Members see keys, agents, webhooks and usage, and change nothing.',
};

/** "an owner", "an admin", "a member". */
export const withArticle = (role: Role): string => `${role === 'member' ? 'a' : 'an'} ${ROLE_LABELS[role].toLowerCase()}`;
