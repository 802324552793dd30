import { useState } from 'react';
import { appCodeOf, errorMessage } from '../../lib/errors.js';
import { durationWords, exactTime } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Button, EmptyState, ErrorState, Notice, RelativeTime, Spinner } from '../../lib/ui.js';
import { usePermission } from '../members/permissions.js';
import { DeleteWebhookDialog } from './delete-webhook-dialog.js';
import { DELIVERIES_POLL_MS, DeliveryLog } from './delivery-log.js';
import { EditWebhookDialog } from './edit-webhook-dialog.js';
import { RotateSecretDialog } from './rotate-secret-dialog.js';
import { EVENT_LABELS, isAllEvents } from './webhook-events.js';
import { WebhookHealthNotice, WebhookStatusBadge } from './webhook-status.js';

export default function WebhookDetailPage({ id }: { id: string }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  // Polled with the log: a receiver answering 410 disables the webhook while you watch.
  const webhook = trpc.webhooks.get.useQuery({ id }, { refetchInterval: DELIVERIES_POLL_MS, refetchIntervalInBackground: false });
  const [dialog, setDialog] = useState<'edit' | 'rotate' | 'delete' | null>(null);
  // While the change is on its way the switch shows where it is going.
  const [switching, setSwitching] = useState<boolean | null>(null);
  const manage = usePermission('manageWebhooks');

  const update = trpc.webhooks.update.useMutation({
    onSuccess: (updated) => {
      utils.webhooks.get.setData({ id }, updated);
      utils.webhooks.list.invalidate();
      utils.webhooks.deliveries.invalidate({ id });
      utils.auditLogs.list.invalidate();
      toast.success(updated.enabled ? 'Webhook enabled: new events are delivered again.' : 'Webhook disabled: nothing more is sent, and pending deliveries were cancelled.');
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const test = trpc.webhooks.test.useMutation({
    onSuccess: async () => {
      await utils.webhooks.deliveries.invalidate({ id });
      toast.success('Test event queued; its result appears in the delivery log.');
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  const back = (
    <Link to="/webhooks" className="back-link">
      ← Webhooks
    </Link>
  );

  if (webhook.isPending) return <Spinner label="Loading webhook…" />;
  if (webhook.error) {
    return (
      <>
        {back}
        {appCodeOf(webhook.error) === 'not_found' ? (
          <EmptyState title="No such webhook">It may have been deleted, or the link is wrong.</EmptyState>
        ) : (
          <ErrorState error={webhook.error} onRetry={() => webhook.refetch()} title="Could not load this webhook" />
        )}
      </>
    );
  }

  const w = webhook.data;
  return (
    <>
      {back}
      <div className="page-header">
        <div>
          <h1 className="key-title">
            <span className="webhook-title" data-testid="webhook-url">
              {w.url}
            </span>{' '}
            <WebhookStatusBadge webhook={w} />
          </h1>
          {w.description && <p className="page-description">{w.description}</p>}
        </div>
        <div className="page-actions">
          <Button
            variant="primary"
            onClick={() => test.mutate({ id })}
            busy={test.isPending}
            disabled={!w.enabled || !manage.allowed}
            aria-describedby={manage.describedBy}
            title={w.enabled ? 'Sends a webhook.test event to this endpoint only' : 'Enable the webhook to send a test'}
          >
            Send test event
          </Button>
          <Button onClick={() => setDialog('edit')} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
            Edit
          </Button>
          <Button onClick={() => setDialog('rotate')} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
            Rotate secret
          </Button>
          <Button variant="danger" onClick={() => setDialog('delete')} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
            Delete
          </Button>
        </div>
      </div>
      {manage.note}

      <WebhookHealthNotice webhook={w} />
      {w.previousSecretExpiresAt && (
        <Notice tone="info" testId="previous-secret-notice">
          The secret was rotated. Until {exactTime(w.previousSecretExpiresAt)} (
          {durationWords(new Date(w.previousSecretExpiresAt).getTime() - Date.now())} from now) every delivery is also signed with the old
          secret, so receivers can switch without missing an event.
        </Notice>
      )}

      <section className="card" aria-labelledby="webhook-settings">
        <h2 id="webhook-settings" className="card-title">
          Settings
        </h2>
        <div className="switch-field">
          <label className="switch">
            <input
              type="checkbox"
              role="switch"
              checked={switching ?? w.enabled}
              disabled={update.isPending || !manage.allowed}
              aria-describedby={manage.describedBy}
              onChange={(e) => {
                setSwitching(e.target.checked);
                update.mutate({ id, enabled: e.target.checked }, { onSettled: () => setSwitching(null) });
              }}
              data-testid="webhook-enabled"
            />
            <span>Deliver events to this endpoint</span>
          </label>
          <p className="field-hint">
            {w.enabled
              ? 'Turning it off cancels pending deliveries; events that happen while it is off are never sent.'
              : 'Nothing is sent while it is off, and events from that time are not sent later.'}
          </p>
        </div>
        <dl className="details">
          <div>
            <dt>Events</dt>
            <dd data-testid="webhook-events">
              {isAllEvents(w.events) ? (
                'All events'
              ) : (
                <ul className="plain-list">
                  {w.events.map((t) => (
                    <li key={t} title={(EVENT_LABELS as Record<string, string>)[t]}>
                      <code className="mono small">{t}</code>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <RelativeTime iso={w.createdAt} />
            </dd>
          </div>
          <div>
            <dt>Last changed</dt>
            <dd>
              <RelativeTime iso={w.updatedAt} />
            </dd>
          </div>
          <div>
            <dt>Webhook id</dt>
            <dd>
              <code className="mono small">{w.id}</code>
            </dd>
          </div>
        </dl>
      </section>

      <section className="card" aria-labelledby="webhook-deliveries">
        <div className="card-head">
          <h2 id="webhook-deliveries" className="card-title">
            Delivery log
          </h2>
          <span className="muted small">Updates every 5 seconds</span>
        </div>
        <DeliveryLog webhookId={id} enabled={w.enabled} />
      </section>

      {dialog === 'edit' && <EditWebhookDialog webhook={w} onClose={() => setDialog(null)} />}
      {dialog === 'rotate' && <RotateSecretDialog webhook={w} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && <DeleteWebhookDialog webhook={w} onClose={() => setDialog(null)} />}
    </>
  );
}
