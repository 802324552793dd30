import { useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { errorInfo, errorMessage } from '../../lib/errors.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { Button } from '../../lib/ui.js';
import { SecretReveal } from './secret-reveal.js';
import { WebhookForm } from './webhook-form.js';

type Created = RouterOutputs['webhooks']['create'];

export function CreateWebhookDialog({ onClose }: { onClose(): void }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const [created, setCreated] = useState<Created | null>(null);
  const [urlError, setUrlError] = useState<string | null>(null);
  const create = trpc.webhooks.create.useMutation({
    onSuccess: (webhook) => {
      setCreated(webhook);
      utils.webhooks.list.invalidate();
      utils.auditLogs.list.invalidate();
    },
    onError: (e) => {
      const detail = errorInfo(e).details.find((d) => d.path === 'url');
      if (detail) setUrlError(detail.message);
      else toast.error(errorMessage(e));
    },
  });

  if (created) {
    return (
      <Dialog title="Webhook added" onClose={onClose} testId="webhook-created-dialog">
        <p className="small webhook-url">
          Events go to <code className="mono">{created.url}</code>.
        </p>
        <SecretReveal secret={created.secret} />
        <div className="dialog-actions">
          <Link to={`/webhooks/${created.id}`} className="btn btn-ghost" onClick={onClose}>
            Open the webhook
          </Link>
          <Button variant="primary" onClick={onClose} data-autofocus>
            I’ve copied it — done
          </Button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Add a webhook"
      description="Private Connect POSTs the events you pick to this URL, signed with a secret you’ll see once."
      onClose={onClose}
      busy={create.isPending}
      testId="create-webhook-dialog"
    >
      <WebhookForm
        submitLabel="Add webhook"
        onSubmit={(v) => {
          setUrlError(null);
          create.mutate(v);
        }}
        onCancel={onClose}
        busy={create.isPending}
        urlError={urlError}
      />
    </Dialog>
  );
}
