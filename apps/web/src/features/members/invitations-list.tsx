import { type Role, grantableRoles } from '@pc/contract';
import { errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Badge, Button, EmptyState, ErrorState, RelativeTime, Spinner } from '../../lib/ui.js';
import type { PermissionState } from './permissions.js';
import { ROLE_LABELS } from './roles.js';

/** Open invitations, newest first, each revocable by whoever may give its role (`invite` says why not, elsewhere on the page). */
export function InvitationsList({ myRole, invite }: { myRole: Role; invite: PermissionState }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const invitations = trpc.invitations.list.useQuery();
  const revoke = trpc.invitations.revoke.useMutation({
    onSuccess: async (_d, vars) => {
      const email = invitations.data?.find((i) => i.id === vars.id)?.email;
      await Promise.all([utils.invitations.list.invalidate(), utils.auditLogs.list.invalidate()]);
      toast.success(`Invitation${email ? ` for ${email}` : ''} revoked: its link no longer works.`);
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  if (invitations.isPending) return <Spinner label="Loading invitations…" />;
  if (invitations.error) return <ErrorState error={invitations.error} onRetry={() => invitations.refetch()} title="Could not load invitations" />;
  if (invitations.data.length === 0) return <EmptyState title="No pending invitations">Invitations that were accepted, revoked or have expired are not listed.</EmptyState>;

  return (
    <div className="table-wrap">
      <table className="table" data-testid="invitations-table">
        <thead>
          <tr>
            <th scope="col">E-mail</th>
            <th scope="col">Role</th>
            <th scope="col">Invited by</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {invitations.data.map((i) => {
            // An admin gives (and takes back) admin and member invitations, never an owner's.
            const outOfReach = invite.allowed && !grantableRoles(myRole).includes(i.role);
            const reasonId = `revoke-reason-${i.id}`;
            return (
              <tr key={i.id} data-testid="invitation-row">
                <th scope="row" data-label="E-mail" className="member-email">
                  {i.email}
                </th>
                <td data-label="Role">
                  <Badge tone="muted">{ROLE_LABELS[i.role]}</Badge>
                </td>
                <td data-label="Invited by">{i.invitedBy?.email ?? <span className="muted">—</span>}</td>
                <td data-label="Expires">
                  <RelativeTime iso={i.expiresAt} />
                </td>
                <td className="cell-actions">
                  {outOfReach && (
                    <span id={reasonId} className="muted small">
                      Only owners can revoke an invitation to be an owner.
                    </span>
                  )}
                  <Button
                    variant="ghost"
                    onClick={() => revoke.mutate({ id: i.id })}
                    busy={revoke.isPending && revoke.variables?.id === i.id}
                    disabled={!invite.allowed || outOfReach}
                    aria-describedby={outOfReach ? reasonId : invite.describedBy}
                    aria-label={`Revoke the invitation for ${i.email}`}
                  >
                    Revoke
                  </Button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
