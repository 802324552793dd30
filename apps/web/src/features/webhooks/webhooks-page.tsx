import { MAX_WEBHOOKS_PER_WORKSPACE } from '@pc/contract';
import { useState } from 'react';
import { Link } from '../../lib/router.js';
import { trpc } from '../../lib/trpc.js';
import { Button, EmptyState, ErrorState, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';
import { usePermission } from '../members/permissions.js';
import { CreateWebhookDialog } from './create-webhook-dialog.js';
import { eventsSummary } from './webhook-events.js';
import { WebhookStatus } from './webhook-status.js';

export default function WebhooksPage() {
  const [creating, setCreating] = useState(false);
  const webhooks = trpc.webhooks.list.useQuery();
  const full = (webhooks.data?.length ?? 0) >= MAX_WEBHOOKS_PER_WORKSPACE;
  const manage = usePermission('manageWebhooks');

  const addButton = (
    <Button
      variant="primary"
      onClick={() => setCreating(true)}
      disabled={full || !manage.allowed}
      aria-describedby={manage.describedBy}
      title={full ? `A workspace has at most ${MAX_WEBHOOKS_PER_WORKSPACE} webhooks; delete one first.` : undefined}
    >
      Add webhook
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Private Connect POSTs events (keys created, revoked or expiring; agents coming online or going offline) to your endpoints, signed so a receiver can tell they are genuine. Failed deliveries are retried for about a day."
        actions={addButton}
      />
      {manage.note}
      {webhooks.isPending ? (
        <Spinner label="Loading webhooks…" />
      ) : webhooks.error ? (
        <ErrorState error={webhooks.error} onRetry={() => webhooks.refetch()} title="Could not load webhooks" />
      ) : webhooks.data.length === 0 ? (
        <EmptyState title="No webhooks yet" action={addButton}>
          Add an endpoint to hear about key and agent changes as they happen, instead of polling the API.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="webhooks-table">
            <thead>
              <tr>
                <th scope="col">Endpoint</th>
                <th scope="col">Events</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {webhooks.data.map((w) => (
                <tr key={w.id} data-testid="webhook-row" className={w.enabled ? undefined : 'row-inactive'}>
                  <th scope="row" data-label="Endpoint">
                    <span className="webhook-cell">
                      <Link to={`/webhooks/${w.id}`} className="row-link mono webhook-url">
                        {w.url}
                      </Link>
                      {w.description && <span className="muted small">{w.description}</span>}
                    </span>
                  </th>
                  <td data-label="Events" title={w.events.join(', ')}>
                    {eventsSummary(w.events)}
                  </td>
                  <td data-label="Status">
                    <WebhookStatus webhook={w} />
                  </td>
                  <td data-label="Created">
                    <RelativeTime iso={w.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {full && (
        <p className="muted small" data-testid="webhook-limit">
          This workspace has {MAX_WEBHOOKS_PER_WORKSPACE} webhooks, as many as it may have. Delete one to add another.
        </p>
      )}
      {creating && <CreateWebhookDialog onClose={() => setCreating(false)} />}
    </>
  );
}
