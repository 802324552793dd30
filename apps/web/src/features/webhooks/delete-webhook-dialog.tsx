import { ConfirmDialog } from '../../lib/confirm-dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { navigate } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';

export function DeleteWebhookDialog({ webhook, onClose }: { webhook: { id: string; url: string }; onClose(): void }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const remove = trpc.webhooks.delete.useMutation({
    onSuccess: async () => {
      navigate('/webhooks');
      utils.webhooks.get.setData({ id: webhook.id }, undefined);
      await Promise.all([utils.webhooks.list.invalidate(), utils.auditLogs.list.invalidate()]);
      toast.success('Webhook deleted.');
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  return (
    <ConfirmDialog
      title="Delete this webhook?"
      confirmLabel="Delete webhook"
      busy={remove.isPending}
      onConfirm={() => remove.mutate({ id: webhook.id })}
      onClose={onClose}
      testId="delete-webhook-dialog"
      description={
        <p>
          No more events go to <code className="mono webhook-url">{webhook.url}</code>, and its delivery log is deleted with it.{' '}
          <strong>This cannot be undone.</strong> To pause deliveries instead, disable it.
        </p>
      }
    />
  );
}
