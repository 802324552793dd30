import { useState } from 'react';
import { appCodeOf, errorInfo, errorMessage } from '../../lib/errors.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { AuthLayout } from './auth-layout.js';
import { CheckEmail } from './check-email.js';
import { SignUpForm, type SignUpValues } from './sign-up-form.js';

export function SignUpPage() {
  const toast = useToast();
  const [sent, setSent] = useState<SignUpValues | null>(null);
  const [serverErrors, setServerErrors] = useState<Partial<Record<keyof SignUpValues, string>>>({});
  const register = trpc.auth.register.useMutation({
    onSuccess: (_d, vars) => setSent(vars),
    onError: (e) => {
      if (appCodeOf(e) === 'workspace_name_taken') {
        setServerErrors({ workspaceName: 'This workspace name is already taken. Pick another one.' });
        return;
      }
      const fieldErrors: Partial<Record<keyof SignUpValues, string>> = {};
      for (const d of errorInfo(e).details) {
        if (d.path === 'email' || d.path === 'workspaceName') fieldErrors[d.path] = d.message;
      }
      if (Object.keys(fieldErrors).length > 0) setServerErrors(fieldErrors);
      else toast.error(errorMessage(e));
    },
  });

  if (sent) {
    return (
      <AuthLayout>
        <CheckEmail
          email={sent.email}
          kind="sign-up"
          workspaceName={sent.workspaceName}
          resending={register.isPending}
          onResend={() => register.mutate(sent, { onSuccess: () => toast.success('Sent another link.') })}
          onBack={() => {
            register.reset();
            setSent(null);
          }}
        />
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      footer={
        <>
          Already have a workspace? <Link to="/sign-in">Sign in</Link>
        </>
      }
    >
      <h1>Create your workspace</h1>
      <p className="muted">One workspace holds your team's API keys and agents. We e-mail you a link to confirm.</p>
      <SignUpForm onSubmit={(v) => register.mutate(v)} busy={register.isPending} serverErrors={serverErrors} />
    </AuthLayout>
  );
}
