import { emailSchema, loginInput } from '@pc/contract';
import { type FormEvent, useState } from 'react';
import { Button, Field } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';

interface Props {
  onSubmit(values: { email: string }): void;
  busy?: boolean;
  submitLabel?: string;
  initialEmail?: string;
}

export function SignInForm({ onSubmit, busy = false, submitLabel = 'Email me a sign-in link', initialEmail = '' }: Props) {
  const [email, setEmail] = useState(initialEmail);
  const [touched, setTouched] = useState(false);
  const error = firstIssue(emailSchema, email);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    const values = parsed(loginInput, { email });
    if (values) onSubmit(values);
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Sign in">
      <Field
        label="E-mail"
        type="email"
        name="email"
        autoComplete="email"
        inputMode="email"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        onBlur={() => setTouched(true)}
        error={touched ? error : null}
        required
      />
      <Button type="submit" variant="primary" busy={busy} className="btn-block">
        {submitLabel}
      </Button>
    </form>
  );
}
