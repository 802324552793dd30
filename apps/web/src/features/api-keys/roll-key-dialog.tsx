import { DEFAULT_GRACE_PERIOD_SECONDS } from '@pc/contract';
import { useId, useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { durationWords, exactTime } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { Button, Notice } from '../../lib/ui.js';
import { KeyReveal } from './key-reveal.js';

type Detail = RouterOutputs['apiKeys']['get'];
type Created = RouterOutputs['apiKeys']['roll'];

export const GRACE_CHOICES = [
  { seconds: 0, label: 'Immediately (revoke the old key now)' },
  { seconds: 3600, label: '1 hour' },
  { seconds: DEFAULT_GRACE_PERIOD_SECONDS, label: '24 hours (recommended)' },
  { seconds: 3 * 86_400, label: '3 days' },
  { seconds: 7 * 86_400, label: '7 days' },
] as const;

/** When the old key stops: now + grace, unless it was due to expire sooner anyway (the server's rule). */
function oldKeyEnd(oldExpiresAt: string | null, graceSeconds: number, rolledAt: number): number {
  const graceEnd = rolledAt + graceSeconds * 1000;
  if (oldExpiresAt === null) return graceEnd;
  return Math.min(graceEnd, new Date(oldExpiresAt).getTime());
}

export function RollKeyDialog({ apiKey, onClose }: { apiKey: Detail; onClose(): void }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const selectId = useId();
  const [grace, setGrace] = useState<number>(DEFAULT_GRACE_PERIOD_SECONDS);
  const [result, setResult] = useState<{ created: Created; grace: number; at: number } | null>(null);
  const roll = trpc.apiKeys.roll.useMutation({
    onSuccess: (created, vars) => {
      setResult({ created, grace: vars.gracePeriodSeconds ?? DEFAULT_GRACE_PERIOD_SECONDS, at: Date.now() });
      utils.apiKeys.invalidate();
      utils.auditLogs.list.invalidate();
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  if (result) {
    const end = oldKeyEnd(apiKey.expiresAt, result.grace, result.at);
    return (
      <Dialog title={`“${apiKey.name}” rolled`} onClose={onClose} testId="roll-result-dialog">
        <KeyReveal apiKey={result.created.key} label="The new key" />
        {result.grace === 0 ? (
          <Notice tone="danger" testId="old-key-remaining">
            The old key <code className="mono">{apiKey.prefix}…</code> was revoked and no longer works.
          </Notice>
        ) : (
          <Notice tone="info" testId="old-key-remaining">
            The old key <code className="mono">{apiKey.prefix}…</code> keeps working for{' '}
            <strong>{durationWords(end - Date.now())}</strong>, until <strong>{exactTime(new Date(end).toISOString())}</strong>. Put
            the new key in place before then; after that, requests with the old key are refused.
          </Notice>
        )}
        <div className="dialog-actions">
          <Link to={`/keys/${result.created.id}`} className="btn btn-ghost" onClick={onClose}>
            Open the new key
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
      title={`Roll “${apiKey.name}”`}
      onClose={onClose}
      busy={roll.isPending}
      testId="roll-dialog"
      description={
        <p>
          Rolling creates a new key with the same name and IP ranges, and retires this one after a grace period, so you
          can swap keys without downtime.
        </p>
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          roll.mutate({ id: apiKey.id, gracePeriodSeconds: grace });
        }}
      >
        <div className="field">
          <label htmlFor={selectId}>Keep the old key working for</label>
          <select id={selectId} value={grace} onChange={(e) => setGrace(Number(e.target.value))} data-autofocus>
            {GRACE_CHOICES.map((c) => (
              <option key={c.seconds} value={c.seconds}>
                {c.label}
              </option>
            ))}
          </select>
          <p className="field-hint">Long enough to deploy the new key everywhere the old one is used.</p>
        </div>
        <div className="dialog-actions">
          <Button variant="ghost" onClick={onClose} disabled={roll.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={roll.isPending}>
            Roll key
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
