import { DEFAULT_SECRET_OVERLAP_SECONDS, MAX_SECRET_OVERLAP_SECONDS, rotateWebhookSecretInput } from '@pc/contract';
import { useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { durationWords, exactTime } from '../../lib/format.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { Button, Field, Notice } from '../../lib/ui.js';
import { firstIssue } from '../../lib/validation.js';
import { SecretReveal } from './secret-reveal.js';

type Webhook = RouterOutputs['webhooks']['get'];
type Rotated = RouterOutputs['webhooks']['rotateSecret'];

const overlapSchema = rotateWebhookSecretInput.shape.overlapSeconds;

/** The field is in seconds, so any overlap the API takes can be given; the hint says it in words. */
function overlapHint(seconds: number): string {
  const limit = `At most ${MAX_SECRET_OVERLAP_SECONDS} (7 days); 86400 is 1 day.`;
  return seconds === 0 ? 'The old secret stops signing at once.' : `The old secret signs too for ${durationWords(seconds * 1000)}. ${limit}`;
}

export function RotateSecretDialog({ webhook, onClose }: { webhook: Webhook; onClose(): void }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const [overlap, setOverlap] = useState(String(DEFAULT_SECRET_OVERLAP_SECONDS));
  const [rotated, setRotated] = useState<Rotated | null>(null);
  const rotate = trpc.webhooks.rotateSecret.useMutation({
    onSuccess: (result) => {
      setRotated(result);
      const { secret: _secret, ...rest } = result;
      utils.webhooks.get.setData({ id: webhook.id }, rest);
      utils.webhooks.list.invalidate();
      utils.auditLogs.list.invalidate();
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  const seconds = overlap.trim() === '' ? Number.NaN : Number(overlap);
  const error = overlap.trim() === '' ? 'Give a number of seconds (0 for none).' : firstIssue(overlapSchema, seconds);

  if (rotated) {
    return (
      <Dialog title="Secret rotated" onClose={onClose} testId="rotate-result-dialog">
        <SecretReveal secret={rotated.secret} label="The new signing secret" />
        {rotated.previousSecretExpiresAt ? (
          <Notice tone="info" testId="previous-secret-remaining">
            Until <strong>{exactTime(rotated.previousSecretExpiresAt)}</strong> every delivery carries a signature with the old secret
            too, so a receiver still checking with it keeps working. Put the new secret in place before then.
          </Notice>
        ) : (
          <Notice tone="warning" testId="previous-secret-remaining">
            The old secret no longer signs deliveries: a receiver must use the new one from now on.
          </Notice>
        )}
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
      title="Rotate the signing secret"
      onClose={onClose}
      busy={rotate.isPending}
      testId="rotate-dialog"
      description={<p>A new secret signs every delivery from now on. For a while the old one signs them as well, so receivers can switch without missing an event.</p>}
    >
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (!error) rotate.mutate({ id: webhook.id, overlapSeconds: seconds });
        }}
      >
        <Field
          label="Keep signing with the old secret for (seconds)"
          name="overlapSeconds"
          type="number"
          inputMode="numeric"
          min={0}
          max={MAX_SECRET_OVERLAP_SECONDS}
          step={1}
          data-autofocus
          value={overlap}
          onChange={(e) => setOverlap(e.target.value)}
          hint={overlapHint(seconds)}
          error={error}
        />
        <div className="dialog-actions">
          <Button variant="ghost" onClick={onClose} disabled={rotate.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={rotate.isPending} disabled={error !== null}>
            Rotate secret
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
