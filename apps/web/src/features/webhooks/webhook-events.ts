import { KEY_EXPIRING_NOTICE_DAYS, WEBHOOK_EVENT_TYPES, type WebhookEventType } from '@pc/contract';

/** What can be subscribed to: `webhook.test` only ever goes to the endpoint whose Test button sent it. */
export type SubscribableEvent = Exclude<WebhookEventType, 'webhook.test'>;
export const ALL_EVENTS = '*';

export const EVENT_LABELS: Record<SubscribableEvent, string> = {
  'api_key.created': 'A key was created',
  'api_key.revoked': 'A key was revoked',
  'api_key.rolled': 'A key was rolled',
  'api_key.ip_restrictions_updated': 'A key’s IP ranges changed',
  'api_key.expiring': `A key expires within ${KEY_EXPIRING_NOTICE_DAYS} days`,
  'api_key.expired': 'A key expired',
  'agent.created': 'An agent registered',
  'agent.deleted': 'An agent was deleted',
  'agent.online': 'An agent came online',
  'agent.offline': 'An agent went offline',
};

const SUBSCRIBABLE = WEBHOOK_EVENT_TYPES.filter((t): t is SubscribableEvent => t !== 'webhook.test');

const inGroup = (prefix: string) => SUBSCRIBABLE.filter((t) => t.startsWith(prefix));
export const EVENT_GROUPS: { title: string; events: SubscribableEvent[] }[] = [
  { title: 'API keys', events: inGroup('api_key.') },
  { title: 'Agents', events: inGroup('agent.') },
  { title: 'Other', events: SUBSCRIBABLE.filter((t) => !t.startsWith('api_key.') && !t.startsWith('agent.')) },
].filter((g) => g.events.length > 0);

export const isAllEvents = (events: readonly string[]) => events.includes(ALL_EVENTS);

/** "All events", or the types themselves while they fit in a table cell. */
export function eventsSummary(events: readonly string[]): string {
  if (isAllEvents(events)) return 'All events';
  if (events.length <= 2) return events.join(', ');
  return `${events.slice(0, 2).join(', ')} and ${events.length - 2} more`;
}
