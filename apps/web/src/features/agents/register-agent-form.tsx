import { agentLabelSchema, agentNameSchema, createAgentInput } from '@pc/contract';
import { type FormEvent, useState } from 'react';
import { Button, Field } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';

export function RegisterAgentForm({ onSubmit, onCancel, busy }: { onSubmit(v: { name: string; label: string | null }): void; onCancel(): void; busy: boolean }) {
  const [name, setName] = useState('');
  const [label, setLabel] = useState('');
  const [touched, setTouched] = useState(false);
  const nameError = firstIssue(agentNameSchema, name);
  const labelError = label === '' ? null : firstIssue(agentLabelSchema, label);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    const v = parsed(createAgentInput, { name, label: label || null });
    if (v) onSubmit(v);
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Register agent">
      <Field
        label="Name"
        name="name"
        data-autofocus
        autoComplete="off"
        placeholder="e.g. office-gateway"
        value={name}
        onChange={(e) => setName(e.target.value)}
        onBlur={() => setTouched(true)}
        error={touched ? nameError : null}
        required
      />
      <Field
        label="Label (optional)"
        name="label"
        autoComplete="off"
        placeholder="e.g. Berlin office"
        value={label}
        onChange={(e) => setLabel(e.target.value)}
        error={labelError}
      />
      <div className="dialog-actions">
        <Button variant="ghost" onClick={onCancel} disabled={busy}>
          Cancel
        </Button>
        <Button type="submit" variant="primary" busy={busy}>
          Register agent
        </Button>
      </div>
    </form>
  );
}
