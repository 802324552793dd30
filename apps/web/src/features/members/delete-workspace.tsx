import { type FormEvent, useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Button, Field, Notice } from '../../lib/ui.js';
import { useSignedOut } from '../shell/use-signed-out.js';
import { usePermission } from './permissions.js';

function WhatGoes({ workspace }: { workspace: string }) {
  return (
    <p>
      Everything in <strong>{workspace}</strong> goes, at once and for good: every member loses access, its API keys are refused
      everywhere from the next request, and its agents, webhooks, usage, invitations and audit log are deleted. People keep their
      accounts and their other workspaces. <strong>This cannot be undone.</strong>
    </p>
  );
}

/** The Members page's last section: owners only, and only by typing the name. */
export function DeleteWorkspaceSection({ workspace }: { workspace: string }) {
  const permission = usePermission('deleteWorkspace');
  const [open, setOpen] = useState(false);
  return (
    <section className="card card-danger" aria-labelledby="delete-workspace-title" data-testid="delete-workspace">
      <h2 id="delete-workspace-title" className="card-title">
        Delete workspace
      </h2>
      <WhatGoes workspace={workspace} />
      {permission.note}
      <Button variant="danger" onClick={() => setOpen(true)} disabled={!permission.allowed} aria-describedby={permission.describedBy}>
        Delete workspace
      </Button>
      {open && <DeleteWorkspaceDialog workspace={workspace} onClose={() => setOpen(false)} />}
    </section>
  );
}

function DeleteWorkspaceDialog({ workspace, onClose }: { workspace: string; onClose(): void }) {
  const toast = useToast();
  const signedOut = useSignedOut();
  const [typed, setTyped] = useState('');
  const remove = trpc.auth.deleteWorkspace.useMutation({
    onSuccess: () => {
      // The session went with the workspace: nothing of it may stay cached or be refetched.
      toast.success(`Workspace ${workspace} was deleted.`);
      signedOut();
    },
  });
  // Trimmed as the server compares it, so a pasted name with a trailing space still counts.
  const matches = typed.trim() === workspace;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (matches && !remove.isPending) remove.mutate({ confirm: typed.trim() });
  };

  return (
    <Dialog
      title={`Delete ${workspace}?`}
      tone="danger"
      busy={remove.isPending}
      onClose={onClose}
      testId="delete-workspace-dialog"
      description={<WhatGoes workspace={workspace} />}
    >
      <form onSubmit={submit} noValidate aria-label="Delete workspace">
        <Field
          label={`Type ${workspace} to confirm`}
          name="confirm"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          disabled={remove.isPending}
        />
        {remove.error ? (
          <Notice tone="danger">
            <span role="alert">{errorMessage(remove.error)}</span>
          </Notice>
        ) : null}
        <div className="dialog-actions">
          <Button variant="ghost" onClick={onClose} disabled={remove.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" busy={remove.isPending} disabled={!matches}>
            Delete workspace
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
