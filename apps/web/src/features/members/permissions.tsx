import { PERMISSION_REASONS, type Permission, type Role, roleMay } from '@pc/contract';
import { type ReactElement, useId } from 'react';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { LockIcon } from '../../lib/icons.js';
import { withArticle } from './roles.js';

type Account = Extract<RouterOutputs['auth']['session'], { signedIn: true }>;

/** The signed-in person, their current workspace and role: the shell's session probe, so no page asks again. */
export function useAccount(): Account | null {
  const session = trpc.auth.session.useQuery(undefined, { staleTime: 60_000 });
  return session.data?.signedIn ? session.data : null;
}

export interface PermissionState {
  allowed: boolean;
  /** For each control it disables: points at the note that says why. */
  describedBy: string | undefined;
  /** Why not, as visible text; render it once, near the controls it disables. Null when allowed. */
  note: ReactElement | null;
}

/**
 * Whether my role may do `what`, by the contract's table (the one core enforces). Until the role is
 * known nothing is disabled: the shell shows pages only once it is, and the server decides anyway.
 */
export function usePermission(what: Permission): PermissionState {
  const role = useAccount()?.role ?? null;
  const id = useId();
  if (role === null || roleMay(role, what)) return { allowed: true, describedBy: undefined, note: null };
  return { allowed: false, describedBy: id, note: <PermissionNote id={id} role={role} reason={PERMISSION_REASONS[what]} /> };
}

function PermissionNote({ id, role, reason }: { id: string; role: Role; reason: string }) {
  return (
    <p id={id} className="permission-note" data-testid="permission-note">
      <LockIcon />
      <span>
        {reason} You are {withArticle(role)} of this workspace.
      </span>
    </p>
  );
}
