import { MAX_IP_RANGES, cidrSchema } from '@pc/contract';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Button, Notice } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';

interface Row {
  key: number;
  value: string;
}

export interface ServerDetail {
  path: string;
  message: string;
}

interface Props {
  /** The ranges the server stored (already normalised). */
  stored: readonly string[];
  onSave(ranges: string[]): void;
  saving?: boolean;
  disabled?: boolean;
  /** `details` of a 400 from the server; paths like `allowedIpRanges.1`. */
  serverDetails?: readonly ServerDetail[];
}

let nextKey = 1;
const toRows = (ranges: readonly string[]): Row[] => ranges.map((value) => ({ key: nextKey++, value }));

/** Validates an entry with the contract's CIDR rule; the message names the entry's position. */
export function rangeError(value: string, index: number): string | null {
  const issue = firstIssue(cidrSchema, value);
  return issue ? `Entry ${index + 1}: ${value.trim() === '' ? 'enter an IPv4 or IPv6 address or CIDR range.' : issue}` : null;
}

/**
 * Edits a key's allowed IP ranges. Each entry is checked as it is typed with the server's own rule,
 * shows how it will be stored, and the list the server answers with replaces the draft.
 */
export function IpRangeEditor({ stored, onSave, saving = false, disabled = false, serverDetails = [] }: Props) {
  const [rows, setRows] = useState<Row[]>(() => toRows(stored));
  const [focusKey, setFocusKey] = useState<number | null>(null);
  const [blurred, setBlurred] = useState<ReadonlySet<number>>(new Set());
  const inputs = useRef(new Map<number, HTMLInputElement>());
  const storedText = stored.join('\n');

  // What the server stored is the truth: a new answer resets the draft to it.
  useEffect(() => setRows(toRows(storedText === '' ? [] : storedText.split('\n'))), [storedText]);

  useEffect(() => {
    if (focusKey !== null) {
      inputs.current.get(focusKey)?.focus();
      setFocusKey(null);
    }
  }, [focusKey]);

  const errors = rows.map((r, i) => rangeError(r.value, i));
  const normalised = rows.map((r) => parsed(cidrSchema, r.value));
  const serverError = (i: number) => serverDetails.find((d) => d.path === `allowedIpRanges.${i}`)?.message ?? null;
  const draft = normalised.filter((n): n is string => n !== null);
  const dirty = rows.length !== stored.length || rows.some((r, i) => r.value.trim() !== stored[i]);
  const invalid = errors.some(Boolean);
  const firstSeen = new Map<string, number>();
  normalised.forEach((n, i) => {
    if (n !== null && !firstSeen.has(n)) firstSeen.set(n, i);
  });

  const add = () => {
    const row = { key: nextKey++, value: '' };
    setRows((r) => [...r, row]);
    setFocusKey(row.key);
  };
  const remove = (key: number) => setRows((r) => r.filter((x) => x.key !== key));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!invalid && dirty) onSave(rows.map((r) => r.value.trim()));
  };

  return (
    <form onSubmit={submit} className="ip-editor" aria-label="Allowed IP ranges" noValidate>
      <div className="ip-stored" data-testid="stored-ranges">
        {stored.length === 0 ? (
          <Notice tone="info">
            <strong>Any IP address can use this key.</strong> An empty list allows all; add ranges to accept requests
            only from your offices, CI runners or servers.
          </Notice>
        ) : (
          <p className="small">
            Requests are accepted only from{' '}
            {stored.map((r, i) => (
              <span key={r}>
                {i > 0 && ', '}
                <code className="mono">{r}</code>
              </span>
            ))}
            . Everything else gets <code>403 ip_not_allowed</code>.
          </p>
        )}
      </div>
      {rows.length > 0 && (
        <ol className="ip-rows">
          {rows.map((row, i) => {
            // An entry just added stays quiet until typed in or left.
            const error = row.value === '' && !blurred.has(row.key) ? null : (errors[i] ?? null);
            const shownError = error ?? serverError(i);
            const norm = normalised[i];
            const dupOf = norm !== null && norm !== undefined ? firstSeen.get(norm) : undefined;
            const hint =
              dupOf !== undefined && dupOf !== i
                ? `Same range as entry ${dupOf + 1}; it will be stored once.`
                : norm && norm !== row.value.trim()
                  ? `Will be stored as ${norm}`
                  : null;
            const errId = `ip-row-${row.key}-msg`;
            return (
              <li key={row.key} className="ip-row" data-testid="ip-range-row">
                <div className="ip-row-main">
                  <label className="visually-hidden" htmlFor={`ip-row-${row.key}`}>
                    IP range {i + 1}
                  </label>
                  <input
                    id={`ip-row-${row.key}`}
                    ref={(el) => {
                      if (el) inputs.current.set(row.key, el);
                      else inputs.current.delete(row.key);
                    }}
                    className="mono"
                    value={row.value}
                    placeholder="203.0.113.0/24 or 2001:db8::/32"
                    spellCheck={false}
                    autoComplete="off"
                    autoCapitalize="none"
                    disabled={disabled}
                    aria-invalid={shownError ? true : undefined}
                    aria-describedby={shownError || hint ? errId : undefined}
                    onBlur={() => setBlurred((b) => new Set(b).add(row.key))}
                    onChange={(e) => {
                      const value = e.target.value;
                      setRows((rs) => rs.map((r) => (r.key === row.key ? { ...r, value } : r)));
                    }}
                  />
                  <Button variant="ghost" onClick={() => remove(row.key)} disabled={disabled} aria-label={`Remove range ${i + 1}`}>
                    Remove
                  </Button>
                </div>
                {shownError ? (
                  <p id={errId} className="field-error" data-testid="ip-range-error">
                    {shownError}
                  </p>
                ) : hint ? (
                  <p id={errId} className="field-hint">
                    {hint}
                  </p>
                ) : null}
              </li>
            );
          })}
        </ol>
      )}
      {rows.length === 0 && stored.length > 0 && (
        <Notice tone="warning">Saving an empty list removes the restriction: any IP address will be able to use this key.</Notice>
      )}
      <div className="button-row">
        <Button onClick={add} disabled={disabled || rows.length >= MAX_IP_RANGES}>
          Add range
        </Button>
        <span className="spacer" />
        {dirty && (
          <Button variant="ghost" onClick={() => setRows(toRows(stored))} disabled={saving}>
            Discard changes
          </Button>
        )}
        <Button type="submit" variant="primary" busy={saving} disabled={disabled || !dirty || invalid}>
          Save ranges
        </Button>
      </div>
      {dirty && invalid && (
        <p className="muted small">Fix or remove the entries marked above to save.</p>
      )}
      {dirty && !invalid && (
        <p className="muted small" aria-live="polite">
          {draft.length === 0 ? 'Unsaved: allow every IP address.' : `Unsaved: ${draft.length} range${draft.length === 1 ? '' : 's'}.`}
        </p>
      )}
    </form>
  );
}
