import { useState } from 'react';
import { errorMessage } from '../../lib/errors.js';
import { Link, useLocation } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Notice } from '../../lib/ui.js';
import { AuthLayout } from './auth-layout.js';
import { CheckEmail } from './check-email.js';
import { SignInForm } from './sign-in-form.js';

export function SignInPage() {
  const { search } = useLocation();
  const toast = useToast();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const login = trpc.auth.login.useMutation({
    onSuccess: (_data, vars) => setSentTo(vars.email),
    onError: (e) => toast.error(errorMessage(e)),
  });

  if (sentTo) {
    return (
      <AuthLayout>
        <CheckEmail
          email={sentTo}
          kind="sign-in"
          resending={login.isPending}
          onResend={() => login.mutate({ email: sentTo }, { onSuccess: () => toast.success('Sent another link.') })}
          onBack={() => {
            login.reset();
            setSentTo(null);
          }}
        />
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      footer={
        <>
          New to Private Connect? <Link to="/sign-up">Create a workspace</Link>
        </>
      }
    >
      <h1>Sign in</h1>
      <p className="muted">We e-mail you a one-time link. No password to leak.</p>
      {search.get('reason') === 'signed-out' && <Notice tone="success">You are signed out.</Notice>}
      {search.get('reason') === 'session' && <Notice tone="info">Sign in to continue.</Notice>}
      <SignInForm onSubmit={(v) => login.mutate(v)} busy={login.isPending} />
    </AuthLayout>
  );
}
