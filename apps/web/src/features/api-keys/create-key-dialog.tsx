import { useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { appCodeOf, errorInfo, errorMessage } from '../../lib/errors.js';
import { exactTime } from '../../lib/format.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { Button } from '../../lib/ui.js';
import { CreateKeyForm } from './create-key-form.js';
import { KeyReveal } from './key-reveal.js';

type Created = RouterOutputs['apiKeys']['create'];

export function CreateKeyDialog({ onClose, onCreated }: { onClose(): void; onCreated?(key: Created): void }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const [created, setCreated] = useState<Created | null>(null);
  const [nameError, setNameError] = useState<string | null>(null);
  const create = trpc.apiKeys.create.useMutation({
    onSuccess: (key) => {
      setCreated(key);
      utils.apiKeys.list.invalidate();
      utils.auditLogs.list.invalidate();
      onCreated?.(key);
    },
    onError: (e) => {
      if (appCodeOf(e) === 'api_key_name_taken') {
        setNameError('An active key already has this name. Pick another, or roll that key instead.');
        return;
      }
      const detail = errorInfo(e).details.find((d) => d.path === 'name');
      if (detail) setNameError(detail.message);
      else toast.error(errorMessage(e));
    },
  });

  if (created) {
    return (
      <Dialog title={`API key “${created.name}” created`} onClose={onClose} testId="key-created-dialog">
        <KeyReveal apiKey={created.key} />
        {created.expiresAt && <p className="small">This key expires on {exactTime(created.expiresAt)}.</p>}
        <div className="dialog-actions">
          <Button variant="primary" onClick={onClose} data-autofocus>
            I’ve copied it — done
          </Button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Create an API key"
      description="A key lets an agent or script call the /v1 API as this workspace. You’ll see it once."
      onClose={onClose}
      busy={create.isPending}
      testId="create-key-dialog"
    >
      <CreateKeyForm
        onSubmit={(v) => {
          setNameError(null);
          create.mutate(v);
        }}
        onCancel={onClose}
        busy={create.isPending}
        nameError={nameError}
      />
    </Dialog>
  );
}
