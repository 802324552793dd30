import { WORKSPACE_NAME_RULE, emailSchema, registerInput, workspaceNameSchema } from '@pc/contract';
import { type FormEvent, useEffect, useState } from 'react';
import { Button, Field } from '../../lib/ui.js';
import { firstIssue, parsed } from '../../lib/validation.js';

export interface SignUpValues {
  email: string;
  workspaceName: string;
}

interface Props {
  onSubmit(values: SignUpValues): void;
  busy?: boolean;
  /** Errors the server gave for a field (e.g. workspace_name_taken). */
  serverErrors?: Partial<Record<keyof SignUpValues, string>>;
  initial?: Partial<SignUpValues>;
  /** Who may sign up, when the server limits it to some e-mail domains. */
  emailHint?: string | null;
}

/** E-mail and workspace name, checked with the same zod rules the server applies. */
const NONE: Partial<Record<keyof SignUpValues, string>> = {};

export function SignUpForm({ onSubmit, busy = false, serverErrors = NONE, initial = {}, emailHint = null }: Props) {
  const [email, setEmail] = useState(initial.email ?? '');
  const [workspaceName, setWorkspaceName] = useState(initial.workspaceName ?? '');
  const [touched, setTouched] = useState({ email: false, workspaceName: false });
  const [submitted, setSubmitted] = useState(false);
  const [edited, setEdited] = useState({ email: false, workspaceName: false });

  // A server error stands until the user edits that field.
  useEffect(() => setEdited({ email: false, workspaceName: false }), [serverErrors]);

  const emailError = firstIssue(emailSchema, email);
  const nameError = firstIssue(workspaceNameSchema, workspaceName);
  const show = (f: keyof SignUpValues) => submitted || touched[f];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSubmitted(true);
    const values = parsed(registerInput, { email, workspaceName });
    if (values) onSubmit(values);
  };

  return (
    <form onSubmit={submit} noValidate aria-label="Create your workspace">
      <Field
        label="Work e-mail"
        type="email"
        name="email"
        autoComplete="email"
        inputMode="email"
        value={email}
        onChange={(e) => {
          setEmail(e.target.value);
          setEdited((s) => ({ ...s, email: true }));
        }}
        onBlur={() => setTouched((t) => ({ ...t, email: true }))}
        {...(emailHint ? { hint: emailHint } : {})}
        error={(show('email') ? emailError : null) ?? (edited.email ? null : (serverErrors.email ?? null))}
        required
      />
      <Field
        label="Workspace name"
        name="workspaceName"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        value={workspaceName}
        onChange={(e) => {
          setWorkspaceName(e.target.value);
          setEdited((s) => ({ ...s, workspaceName: true }));
        }}
        onBlur={() => setTouched((t) => ({ ...t, workspaceName: true }))}
        hint={WORKSPACE_NAME_RULE}
        error={(show('workspaceName') ? nameError : null) ?? (edited.workspaceName ? null : (serverErrors.workspaceName ?? null))}
        required
      />
      <Button type="submit" variant="primary" busy={busy} className="btn-block">
        Create workspace
      </Button>
    </form>
  );
}
