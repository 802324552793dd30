import type { ReactNode } from 'react';
import { Dialog } from './dialog.js';
import { errorMessage } from './errors.js';
import { Button, Notice } from './ui.js';

interface Props {
  title: string;
  description: ReactNode;
  confirmLabel: string;
  busy: boolean;
  /** When given, the server's refusal stays in the dialog, beside the action it refused. */
  error?: unknown;
  onConfirm(): void;
  onClose(): void;
  testId?: string;
}

/** Asks before something that cannot be undone: Cancel has the focus, the action is red. */
export function ConfirmDialog({ title, description, confirmLabel, busy, error, onConfirm, onClose, testId }: Props) {
  return (
    <Dialog title={title} tone="danger" busy={busy} onClose={onClose} description={description} testId={testId}>
      {error ? (
        <Notice tone="danger">
          <span role="alert">{errorMessage(error)}</span>
        </Notice>
      ) : null}
      <div className="dialog-actions">
        <Button variant="ghost" onClick={onClose} disabled={busy} data-autofocus>
          Cancel
        </Button>
        <Button variant="danger" busy={busy} onClick={onConfirm}>
          {confirmLabel}
        </Button>
      </div>
    </Dialog>
  );
}
