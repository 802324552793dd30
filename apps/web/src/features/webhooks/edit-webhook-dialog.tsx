import { useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { errorInfo, errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { type RouterInputs, type RouterOutputs, trpc } from '../../lib/trpc.js';
import { WebhookForm, type WebhookValues } from './webhook-form.js';

type Webhook = RouterOutputs['webhooks']['get'];
type Patch = Omit<RouterInputs['webhooks']['update'], 'id'>;

const sameEvents = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((t) => b.includes(t));

/** Only what changed, so the audit log says what was edited. */
export function changesOf(webhook: Webhook, v: WebhookValues): Patch {
  const patch: Patch = {};
  if (v.url !== webhook.url) patch.url = v.url;
  if (!sameEvents(v.events, webhook.events)) patch.events = v.events;
  if (v.description !== webhook.description) patch.description = v.description;
  return patch;
}

export function EditWebhookDialog({ webhook, onClose }: { webhook: Webhook; onClose(): void }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const [urlError, setUrlError] = useState<string | null>(null);
  const update = trpc.webhooks.update.useMutation({
    onSuccess: (updated) => {
      utils.webhooks.get.setData({ id: webhook.id }, updated);
      utils.webhooks.list.invalidate();
      utils.auditLogs.list.invalidate();
      toast.success('Webhook saved.');
      onClose();
    },
    onError: (e) => {
      const detail = errorInfo(e).details.find((d) => d.path === 'url');
      if (detail) setUrlError(detail.message);
      else toast.error(errorMessage(e));
    },
  });

  return (
    <Dialog title="Edit webhook" onClose={onClose} busy={update.isPending} testId="edit-webhook-dialog">
      <WebhookForm
        initial={{ url: webhook.url, events: webhook.events, description: webhook.description }}
        submitLabel="Save changes"
        onSubmit={(v) => {
          const patch = changesOf(webhook, v);
          if (Object.keys(patch).length === 0) return onClose();
          setUrlError(null);
          update.mutate({ id: webhook.id, ...patch });
        }}
        onCancel={onClose}
        busy={update.isPending}
        urlError={urlError}
      />
    </Dialog>
  );
}
