import { MAX_KEY_LIFETIME_DAYS, createApiKeyInput, keyNameSchema } from '@pc/contract';
import { type FormEvent, useId, useState } from 'react';
import { Button, Field } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';

const DAY = 86_400_000;
// Five minutes short of the limit, so a slightly fast clock here does not fail the server's check.
const SLACK = 5 * 60_000;

export const EXPIRY_CHOICES = [
  { value: 'never', label: 'Never' },
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
  { value: '365', label: '1 year' },
  { value: 'custom', label: 'On a date…' },
] as const;
type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];

const dayInput = (t: number) => {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

export function expiryToIso(choice: ExpiryChoice, customDate: string, now: number = Date.now()): string | undefined | null {
  if (choice === 'never') return undefined;
  if (choice === 'custom') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(customDate)) return null;
    const [y, m, d] = customDate.split('-').map(Number) as [number, number, number];
    const end = new Date(y, m - 1, d, 23, 59, 59).getTime();
    if (end <= now || end > now + MAX_KEY_LIFETIME_DAYS * DAY - SLACK) return null;
    return new Date(end).toISOString();
  }
  const days = Number(choice);
  return new Date(now + days * DAY - (days === MAX_KEY_LIFETIME_DAYS ? SLACK : 0)).toISOString();
}

export interface CreateKeyValues {
  name: string;
  expiresAt?: string;
}

interface Props {
  onSubmit(values: CreateKeyValues): void;
  onCancel(): void;
  busy?: boolean;
  nameError?: string | null;
}

export function CreateKeyForm({ onSubmit, onCancel, busy = false, nameError: serverNameError = null }: Props) {
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const [expiry, setExpiry] = useState<ExpiryChoice>('never');
  const [customDate, setCustomDate] = useState('');
  const [editedSinceServer, setEditedSinceServer] = useState(false);
  const [lastServerError, setLastServerError] = useState(serverNameError);
  const expiryId = useId();
  if (lastServerError !== serverNameError) {
    setLastServerError(serverNameError);
    setEditedSinceServer(false);
  }

  const nameError = firstIssue(keyNameSchema, name);
  const expiresAt = expiryToIso(expiry, customDate);
  const expiryError = expiresAt === null ? `Pick a date between tomorrow and ${MAX_KEY_LIFETIME_DAYS} days from now.` : null;
  const now = Date.now();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (expiresAt === null) return;
    const values = parsed(createApiKeyInput, { name, expiresAt });
    if (values) onSubmit(values.expiresAt ? { name: values.name, expiresAt: values.expiresAt } : { name: values.name });
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Create API key">
      <Field
        label="Name"
        name="name"
        data-autofocus
        autoComplete="off"
        placeholder="e.g. ci-deploy, office-connector"
        value={name}
        onChange={(e) => {
          setName(e.target.value);
          setEditedSinceServer(true);
        }}
        onBlur={() => setTouched(true)}
        hint="What uses this key, so you know what breaks if you revoke it. 1–50 characters."
        error={(touched ? nameError : null) ?? (editedSinceServer ? null : serverNameError)}
        maxLength={60}
        required
      />
      <div className="field">
        <label htmlFor={expiryId}>Expires</label>
        <select id={expiryId} name="expiry" value={expiry} onChange={(e) => setExpiry(e.target.value as ExpiryChoice)}>
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <p className="field-hint">Keys that expire limit the damage of a leak. You can roll a key before it expires.</p>
      </div>
      {expiry === 'custom' && (
        <Field
          label="Expiry date"
          type="date"
          name="expiryDate"
          min={dayInput(now + DAY)}
          max={dayInput(now + (MAX_KEY_LIFETIME_DAYS - 1) * DAY)}
          value={customDate}
          onChange={(e) => setCustomDate(e.target.value)}
          error={touched ? expiryError : null}
          hint="The key stops working at the end of that day (your time)."
        />
      )}
      <div className="dialog-actions">
        <Button variant="ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={busy}>
          Create key
        </Button>
      </div>
    </form>
  );
}
