import type { WebhookDelivery } from '@pc/contract';
import { errorMessage } from '../../lib/errors.js';
import { exactTime } from '../../lib/format.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Badge, Button, EmptyState, ErrorState, LoadMore, RelativeTime, Spinner } from '../../lib/ui.js';
import { usePermission } from '../members/permissions.js';

export const DELIVERIES_PAGE_SIZE = 20;
/** While the page is open, so a test or a retry shows its answer without a reload. */
export const DELIVERIES_POLL_MS = 5_000;

export function DeliveryStatusBadge({ delivery: d }: { delivery: Pick<WebhookDelivery, 'status' | 'attempt'> }) {
  if (d.status === 'succeeded') return <Badge tone="success">Succeeded</Badge>;
  if (d.status === 'failed') return <Badge tone="danger">Failed</Badge>;
  return <Badge tone={d.attempt === 0 ? 'info' : 'warning'}>{d.attempt === 0 ? 'Queued' : 'Retrying'}</Badge>;
}

const dash = <span className="muted">—</span>;

/** Every attempt at this endpoint, newest first, with "Load more" and a Redeliver per row. */
export function DeliveryLog({ webhookId, enabled }: { webhookId: string; enabled: boolean }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const log = trpc.webhooks.deliveries.useInfiniteQuery(
    { id: webhookId, limit: DELIVERIES_PAGE_SIZE },
    { getNextPageParam: (page) => page.nextCursor ?? undefined, refetchInterval: DELIVERIES_POLL_MS, refetchIntervalInBackground: false },
  );
  const redeliver = trpc.webhooks.redeliver.useMutation({
    onSuccess: async () => {
      await utils.webhooks.deliveries.invalidate({ id: webhookId });
      toast.success('Sent again as a new delivery, with the same webhook-id.');
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const rows = log.data?.pages.flatMap((p) => p.data) ?? [];
  const manage = usePermission('manageWebhooks');

  if (log.isPending) return <Spinner label="Loading deliveries…" />;
  if (log.error && rows.length === 0) return <ErrorState error={log.error} onRetry={() => log.refetch()} title="Could not load the delivery log" />;
  if (rows.length === 0) {
    return <EmptyState title="No deliveries yet">Events this webhook subscribes to appear here as they are sent. Send a test event to try it.</EmptyState>;
  }

  return (
    <>
      {manage.note}
      <div className="table-wrap">
        <table className="table" data-testid="deliveries-table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Response</th>
              <th scope="col">Duration</th>
              <th scope="col">Last attempt</th>
              <th scope="col">Next attempt</th>
              <th scope="col">Error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id} data-testid="delivery-row" data-status={d.status} data-event-id={d.eventId}>
                <th scope="row" data-label="Event" className="delivery-event">
                  <code className="mono small">{d.eventType}</code>
                  <span className="muted small">
                    <RelativeTime iso={d.createdAt} />
                  </span>
                </th>
                <td data-label="Status">
                  <DeliveryStatusBadge delivery={d} />
                </td>
                <td data-label="Attempts">{d.attempt}</td>
                <td data-label="Response">{d.responseStatus === null ? dash : <code className="mono small">{d.responseStatus}</code>}</td>
                <td data-label="Duration" className="nowrap">
                  {d.durationMs === null ? dash : `${d.durationMs} ms`}
                </td>
                <td data-label="Last attempt" className="cell-time">
                  <RelativeTime iso={d.lastAttemptAt} never="—" />
                </td>
                <td data-label="Next attempt" className="cell-time">
                  <RelativeTime iso={d.nextAttemptAt} never="—" />
                </td>
                <td data-label="Error" className="delivery-error" title={d.error ?? undefined}>
                  {d.error ?? dash}
                </td>
                <td className="cell-actions">
                  <Button
                    variant="ghost"
                    onClick={() => redeliver.mutate({ id: webhookId, deliveryId: d.id })}
                    busy={redeliver.isPending && redeliver.variables?.deliveryId === d.id}
                    disabled={!enabled || !manage.allowed}
                    aria-describedby={manage.describedBy}
                    title={enabled ? 'Send this event again' : 'Enable the webhook to redeliver'}
                    aria-label={`Redeliver ${d.eventType} of ${exactTime(d.createdAt)}`}
                  >
                    Redeliver
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <LoadMore
        hasMore={log.hasNextPage}
        loading={log.isFetchingNextPage}
        onMore={() => log.fetchNextPage()}
        end={
          <p className="muted small" data-testid="deliveries-end">
            {rows.length} {rows.length === 1 ? 'delivery' : 'deliveries'}: that’s all of them.
          </p>
        }
        error={log.error}
        errorTitle="Could not refresh the delivery log"
        onRetry={() => log.refetch()}
      />
    </>
  );
}
