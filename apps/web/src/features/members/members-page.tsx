import type { Member, Role } from '@pc/contract';
import { ROLES } from '@pc/contract';
import { useState } from 'react';
import { errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Badge, Button, ErrorState, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';
import { ConfirmDialog } from '../../lib/confirm-dialog.js';
import { DeleteWorkspaceSection } from './delete-workspace.js';
import { InvitationsList } from './invitations-list.js';
import { InviteForm } from './invite-form.js';
import { useAccount, usePermission } from './permissions.js';
import { ROLE_LABELS, withArticle } from './roles.js';
import { useSignedOut } from '../shell/use-signed-out.js';

type Pending = { kind: 'remove'; member: Member } | { kind: 'leave' } | { kind: 'demote-self'; role: Role };

export default function MembersPage() {
  const account = useAccount();
  const toast = useToast();
  const utils = trpc.useUtils();
  const signedOut = useSignedOut();
  const members = trpc.members.list.useQuery();
  const manage = usePermission('manageMembers');
  const invite = usePermission('inviteMembers');
  const [pending, setPending] = useState<Pending | null>(null);

  const updateRole = trpc.members.updateRole.useMutation({
    onSuccess: async (m) => {
      setPending(null);
      // My own role changed: every page's buttons follow it.
      await Promise.all([utils.members.list.invalidate(), utils.auditLogs.list.invalidate(), m.userId === account?.user.id && utils.auth.session.invalidate()]);
      toast.success(`${m.email} is now ${withArticle(m.role)}.`);
    },
    onError: (e) => {
      // In the dialog when one is open; a select's change has nowhere else to say it.
      if (pending === null) toast.error(errorMessage(e));
    },
  });
  const remove = trpc.members.remove.useMutation({
    onSuccess: async (_d, vars) => {
      const workspace = account?.workspace.name ?? 'the workspace';
      if (vars.userId === account?.user.id) {
        // The server ended this session with the membership: nothing of the workspace may stay cached.
        toast.success(`You left ${workspace}.`);
        signedOut();
        return;
      }
      const email = members.data?.find((m) => m.userId === vars.userId)?.email ?? 'The member';
      setPending(null);
      await Promise.all([utils.members.list.invalidate(), utils.auditLogs.list.invalidate()]);
      toast.success(`${email} was removed from ${workspace}; their sessions here have ended.`);
    },
  });

  if (!account) return <Spinner />;
  const me = account.user.id;
  const changeRole = (m: Member, role: Role) => {
    if (m.userId === me && m.role === 'owner') setPending({ kind: 'demote-self', role });
    else updateRole.mutate({ userId: m.userId, role });
  };
  const close = () => {
    setPending(null);
    remove.reset();
    updateRole.reset();
  };

  return (
    <>
      <PageHeader
        title="Members"
        description={
          <>
            Everyone in <strong>{account.workspace.name}</strong> and their role. You are <strong data-testid="my-role">{withArticle(account.role)}</strong> here.
          </>
        }
        actions={<Button onClick={() => setPending({ kind: 'leave' })}>Leave workspace</Button>}
      />

      {invite.allowed ? <InviteForm myRole={account.role} /> : invite.note}

      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title" className="card-title">
          Members
        </h2>
        {manage.note}
        {members.isPending ? (
          <Spinner label="Loading members…" />
        ) : members.error ? (
          <ErrorState error={members.error} onRetry={() => members.refetch()} title="Could not load members" />
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="members-table">
              <thead>
                <tr>
                  <th scope="col">Member</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.data.map((m) => (
                  <tr key={m.userId} data-testid="member-row" data-role={m.role}>
                    <th scope="row" data-label="Member">
                      <span className="member-email">{m.email}</span> {m.userId === me && <Badge tone="info">You</Badge>}
                    </th>
                    <td data-label="Role">
                      {manage.allowed ? (
                        <select
                          className="role-select"
                          aria-label={`Role of ${m.email}`}
                          value={m.role}
                          disabled={updateRole.isPending && updateRole.variables?.userId === m.userId}
                          onChange={(e) => changeRole(m, e.target.value as Role)}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {ROLE_LABELS[r]}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <span data-testid="member-role">{ROLE_LABELS[m.role]}</span>
                      )}
                    </td>
                    <td data-label="Joined">
                      <RelativeTime iso={m.joinedAt} />
                    </td>
                    <td className="cell-actions">
                      {m.userId === me ? (
                        <Button variant="ghost" onClick={() => setPending({ kind: 'leave' })}>
                          Leave
                        </Button>
                      ) : (
                        manage.allowed && (
                          <Button variant="ghost" onClick={() => setPending({ kind: 'remove', member: m })} aria-label={`Remove ${m.email}`}>
                            Remove
                          </Button>
                        )
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="invitations-title">
        <h2 id="invitations-title" className="card-title">
          Pending invitations
        </h2>
        <InvitationsList myRole={account.role} invite={invite} />
      </section>

      <DeleteWorkspaceSection workspace={account.workspace.name} />

      {pending?.kind === 'remove' && (
        <ConfirmDialog
          testId="remove-member-dialog"
          title={`Remove ${pending.member.email}?`}
          description={
            <p>
              They lose access to <strong>{account.workspace.name}</strong> at once: their sessions here end with their next request. API
              keys of the workspace keep working. To bring them back, invite them again.
            </p>
          }
          confirmLabel="Remove member"
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate({ userId: pending.member.userId })}
          onClose={close}
        />
      )}
      {pending?.kind === 'leave' && (
        <ConfirmDialog
          testId="leave-dialog"
          title={`Leave ${account.workspace.name}?`}
          description={
            <p>
              You lose access to <strong>{account.workspace.name}</strong> at once and this browser is signed out. To come back, someone
              has to invite you again.
            </p>
          }
          confirmLabel="Leave workspace"
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate({ userId: me })}
          onClose={close}
        />
      )}
      {pending?.kind === 'demote-self' && (
        <ConfirmDialog
          testId="demote-self-dialog"
          title={`Make yourself ${withArticle(pending.role)}?`}
          description={<p>You will no longer be able to change roles or remove members; only another owner can make you an owner again.</p>}
          confirmLabel={`Become ${ROLE_LABELS[pending.role].toLowerCase()}`}
          busy={updateRole.isPending}
          error={updateRole.error}
          onConfirm={() => updateRole.mutate({ userId: me, role: pending.role })}
          onClose={close}
        />
      )}
    </>
  );
}
