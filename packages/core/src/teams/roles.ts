import { PERMISSION_REASONS, type Permission, type Role, grantableRoles, roleMay } from '@pc/contract';
import { AppError } from '../errors.js';
import type { OperatorPrincipal, Principal } from '../shared/principal.js';

/**
 * What an API key may do beyond reading: the agent routes (register, heartbeat, delete) that
 * scripts and agents call. Every other change needs a person with a role.
 */
const KEY_PERMISSIONS: ReadonlySet<Permission> = new Set(['manageAgents']);

/** Whether `p` may do `what` in its workspace; the operator (the admin command) may do everything. */
export function may(p: Principal | OperatorPrincipal, what: Permission): boolean {
  if (p.kind === 'operator') return true;
  if (p.kind === 'api_key') return KEY_PERMISSIONS.has(what);
  return roleMay(p.role, what);
}

/** Refuses with 403 `forbidden`, naming the rule, unless `p` may do `what`. */
export function authorize(p: Principal | OperatorPrincipal, what: Permission): void {
  if (!may(p, what)) throw new AppError('forbidden', PERMISSION_REASONS[what]);
}

/** Refuses unless `p` may hand out `role` (an admin invites admins and members, never owners). */
export function authorizeGrant(p: Principal | OperatorPrincipal, role: Role): void {
  authorize(p, 'inviteMembers');
  if (p.kind === 'session' && !grantableRoles(p.role).includes(role)) throw new AppError('forbidden', `${p.role === 'member' ? 'A member' : `An ${p.role}`} cannot give the ${role} role.`);
}
