import { INVITATION_TTL_DAYS, type Role, createInvitationInput, grantableRoles } from '@pc/contract';
import { type FormEvent, useId, useState } from 'react';
import { errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Button, Field, Notice } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';
import { ROLE_HINTS, ROLE_LABELS } from './roles.js';

/** Invites an address as one of the roles `myRole` may give; the mail goes out once the server has it. */
export function InviteForm({ myRole }: { myRole: Role }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const roles = grantableRoles(myRole);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [submitted, setSubmitted] = useState(false);
  const roleId = useId();
  const mailConfigured = trpc.config.useQuery(undefined, { staleTime: Infinity }).data?.mailConfigured;
  const create = trpc.invitations.create.useMutation({
    onSuccess: async (inv) => {
      setEmail('');
      // Back to the least: the next invitation should not give more by accident.
      setRole('member');
      setSubmitted(false);
      await Promise.all([utils.invitations.list.invalidate(), utils.auditLogs.list.invalidate()]);
      toast.success(
        mailConfigured === false
          ? `Invitation for ${inv.email} created. No mail server is configured: its link is in the server log.`
          : `Invitation sent to ${inv.email}. The link works for ${INVITATION_TTL_DAYS} days.`,
      );
    },
  });

  // The contract's own rule (it trims and lowercases); shown once the person tried to send, not while they type.
  const emailError = submitted ? firstIssue(createInvitationInput.shape.email, email) : null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const values = parsed(createInvitationInput, { email, role });
    if (values) create.mutate(values);
  };

  return (
    <section className="card" aria-labelledby={`${roleId}-title`}>
      <h2 id={`${roleId}-title`} className="card-title">
        Invite someone
      </h2>
      <form className="invite-form" onSubmit={submit} noValidate data-testid="invite-form">
        <Field
          label="E-mail"
          name="email"
          type="email"
          autoComplete="off"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            create.reset();
          }}
          error={emailError}
          hint={`They get a link that works once, for ${INVITATION_TTL_DAYS} days. Inviting an address again replaces its open invitation.`}
        />
        <div className="field">
          <label htmlFor={roleId}>Role</label>
          <select id={roleId} value={role} onChange={(e) => setRole(e.target.value as Role)} aria-describedby={`${roleId}-hint`}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
          <p id={`${roleId}-hint`} className="field-hint">
            {ROLE_HINTS[role]}
          </p>
        </div>
        <div className="invite-submit">
          <Button type="submit" variant="primary" busy={create.isPending}>
            Send invitation
          </Button>
        </div>
      </form>
      {create.error && (
        <Notice tone="danger" testId="invite-error">
          <span role="alert">{errorMessage(create.error)}</span>
        </Notice>
      )}
    </section>
  );
}
