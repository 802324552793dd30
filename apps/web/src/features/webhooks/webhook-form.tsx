import { type CreateWebhookInput, webhookDescriptionSchema, webhookEventsSchema, webhookUrlSchema } from '@pc/contract';
import { type FormEvent, useState } from 'react';
import { Button, Field } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';
import { EventsPicker } from './events-picker.js';
import { ALL_EVENTS } from './webhook-events.js';

/** What the form submits: parsed by the contract, so `events` are known types (or `"*"`). */
export type WebhookValues = CreateWebhookInput;

interface Props {
  initial?: { url: string; events: string[]; description: string | null };
  submitLabel: string;
  onSubmit(values: WebhookValues): void;
  onCancel(): void;
  busy?: boolean;
  /** What the server said about the URL (not https, a private address, …); shown until it is edited. */
  urlError?: string | null;
}

/** URL, description and events, checked by the contract's own schemas before anything is sent. */
export function WebhookForm({ initial, submitLabel, onSubmit, onCancel, busy = false, urlError: serverUrlError = null }: Props) {
  const [url, setUrl] = useState(initial?.url ?? '');
  const [description, setDescription] = useState(initial?.description ?? '');
  const [events, setEvents] = useState<string[]>(initial?.events ?? [ALL_EVENTS]);
  const [touched, setTouched] = useState(false);
  const [editedSinceServer, setEditedSinceServer] = useState(false);
  const [lastServerError, setLastServerError] = useState(serverUrlError);
  if (lastServerError !== serverUrlError) {
    setLastServerError(serverUrlError);
    setEditedSinceServer(false);
  }

  const urlError = url.trim() === '' ? 'Endpoint URL is required.' : firstIssue(webhookUrlSchema, url);
  const descriptionError = description === '' ? null : firstIssue(webhookDescriptionSchema, description);
  const eventsError = events.length === 0 ? 'Pick at least one event, or “All events”.' : firstIssue(webhookEventsSchema, events);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (urlError || descriptionError || eventsError) return;
    const u = parsed(webhookUrlSchema, url);
    const ev = parsed(webhookEventsSchema, events);
    if (u === null || ev === null) return;
    onSubmit({ url: u, events: ev, description: parsed(webhookDescriptionSchema, description) || null });
  };

  return (
    <form onSubmit={submit} noValidate aria-label={submitLabel}>
      <Field
        label="Endpoint URL"
        name="url"
        type="url"
        inputMode="url"
        data-autofocus
        autoComplete="off"
        spellCheck={false}
        placeholder="https://example.com/webhooks/private-connect"
        value={url}
        onChange={(e) => {
          setUrl(e.target.value);
          setEditedSinceServer(true);
        }}
        onBlur={() => setTouched(true)}
        hint="Each event is POSTed here as JSON. It must be https and reachable from this server."
        error={(touched ? urlError : null) ?? (editedSinceServer ? null : serverUrlError)}
        required
      />
      <Field
        label="Description (optional)"
        name="description"
        autoComplete="off"
        placeholder="e.g. Slack alerts, SIEM"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={descriptionError}
        maxLength={220}
      />
      <EventsPicker value={events} onChange={setEvents} error={touched ? eventsError : null} />
      <div className="dialog-actions">
        <Button variant="ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}
