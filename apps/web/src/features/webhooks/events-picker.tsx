import { useId, useRef } from 'react';
import { ALL_EVENTS, EVENT_GROUPS, EVENT_LABELS, isAllEvents } from './webhook-events.js';

interface Props {
  /** `["*"]` for every event, or the chosen types. */
  value: string[];
  onChange(events: string[]): void;
  error?: string | null;
}

/**
 * "All events" or a choice of types, grouped by what they are about. Ticking "All events" and
 * unticking it again gives back the types chosen before.
 */
export function EventsPicker({ value, onChange, error }: Props) {
  const errorId = useId();
  const all = isAllEvents(value);
  const chosenBefore = useRef<string[]>(all ? [] : value);

  const toggleAll = (on: boolean) => {
    if (on) {
      chosenBefore.current = value;
      onChange([ALL_EVENTS]);
    } else {
      onChange(chosenBefore.current);
    }
  };
  const toggle = (type: string, on: boolean) => onChange(on ? [...value, type] : value.filter((t) => t !== type));

  return (
    <fieldset className="events-picker" aria-describedby={error ? errorId : undefined} data-testid="events-picker">
      <legend>Events</legend>
      <label className="check">
        <input type="checkbox" checked={all} onChange={(e) => toggleAll(e.target.checked)} />
        <span className="check-text">
          <span>All events</span>
          <span className="muted small">Every type below, and types added later</span>
        </span>
      </label>
      {EVENT_GROUPS.map((g) => (
        <fieldset key={g.title} className="events-group">
          <legend>{g.title}</legend>
          <div className="events-grid">
            {g.events.map((type) => (
              <label key={type} className="check">
                <input type="checkbox" checked={all || value.includes(type)} disabled={all} onChange={(e) => toggle(type, e.target.checked)} />
                <span className="check-text">
                  <span>{EVENT_LABELS[type]}</span>
                  <code className="mono small muted">{type}</code>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
      ))}
      {error && (
        <p id={errorId} className="field-error" role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
