import { ConfirmDialog } from '../../lib/confirm-dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';

interface Props {
  apiKey: { id: string; name: string; prefix: string };
  onClose(): void;
}

export function RevokeKeyDialog({ apiKey, onClose }: Props) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const revoke = trpc.apiKeys.revoke.useMutation({
    onSuccess: async () => {
      // A list not on screen is refetched only when it is shown again, and shows its cached rows
      // meanwhile: they already say revoked, so the key never flashes as active (or expiring).
      utils.apiKeys.list.setData({ includeRevoked: false }, (old) => old?.filter((k) => k.id !== apiKey.id));
      utils.apiKeys.list.setData({ includeRevoked: true }, (old) => old?.map((k) => (k.id === apiKey.id ? { ...k, isActive: false } : k)));
      await Promise.all([utils.apiKeys.get.invalidate({ id: apiKey.id }), utils.apiKeys.list.invalidate(), utils.auditLogs.list.invalidate()]);
      toast.success(`API key “${apiKey.name}” revoked.`);
      onClose();
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  return (
    <ConfirmDialog
      title={`Revoke “${apiKey.name}”?`}
      confirmLabel={`Revoke key “${apiKey.name}”`}
      busy={revoke.isPending}
      onConfirm={() => revoke.mutate({ id: apiKey.id })}
      onClose={onClose}
      testId="revoke-dialog"
      description={
        <p>
          Every request made with <code className="mono">{apiKey.prefix}…</code> will be refused from the next one on. Anything
          still using it stops working. <strong>This cannot be undone.</strong>
        </p>
      }
    />
  );
}
