import type { Webhook } from '@pc/contract';
import { exactTime, relativeTime } from '../../lib/format.js';
import { Badge, Notice } from '../../lib/ui.js';

type WebhookState = Pick<Webhook, 'enabled' | 'disabledReason' | 'failingSince'>;

export function WebhookStatusBadge({ webhook: w }: { webhook: WebhookState }) {
  if (w.enabled) return w.failingSince ? <Badge tone="warning">Enabled · failing</Badge> : <Badge tone="success">Enabled</Badge>;
  if (w.disabledReason === 'gone') return <Badge tone="danger">Disabled · receiver gone</Badge>;
  if (w.disabledReason === 'failing') return <Badge tone="danger">Disabled · kept failing</Badge>;
  return <Badge tone="muted">Disabled</Badge>;
}

/** The badge with a line on why a webhook stopped, for the list. */
export function WebhookStatus({ webhook: w }: { webhook: WebhookState }) {
  const why =
    !w.enabled && w.disabledReason === 'gone' ? 'The receiver answered 410 Gone; enable it again once it wants events.'
    : !w.enabled && w.disabledReason === 'failing' ? 'Every delivery failed for 3 days; fix the receiver, then enable it.'
    : w.enabled && w.failingSince ? `Failing since ${relativeTime(w.failingSince)}; retrying.`
    : null;
  return (
    <span className="webhook-status">
      <WebhookStatusBadge webhook={w} />
      {why && <span className="muted small">{why}</span>}
    </span>
  );
}

/** Why deliveries stopped or are in trouble, and what to do; nothing for a healthy or paused endpoint. */
export function WebhookHealthNotice({ webhook: w }: { webhook: WebhookState }) {
  if (!w.enabled && w.disabledReason === 'gone') {
    return (
      <Notice tone="danger" testId="webhook-health">
        <strong>The receiver answered 410 Gone, so the server stopped sending to it.</strong> That is how a receiver says it no longer
        wants events. If that was a mistake, fix the receiver, then enable the webhook again.
      </Notice>
    );
  }
  if (!w.enabled && w.disabledReason === 'failing') {
    return (
      <Notice tone="danger" testId="webhook-health">
        <strong>Every delivery failed for 3 days{w.failingSince ? ` (since ${exactTime(w.failingSince)})` : ''}, so the server stopped sending.</strong>{' '}
        The workspace owner was e-mailed. The delivery log below shows each attempt’s answer; fix the receiver, then enable the webhook and
        redeliver what it missed.
      </Notice>
    );
  }
  if (w.enabled && w.failingSince) {
    return (
      <Notice tone="warning" testId="webhook-health">
        Deliveries have failed since {relativeTime(w.failingSince)} ({exactTime(w.failingSince)}); they are retried. After 3 days of
        failures the webhook is disabled.
      </Notice>
    );
  }
  return null;
}
