import { useState } from 'react';
import { appCodeOf, errorInfo, errorMessage } from '../../lib/errors.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { AuthLayout } from './auth-layout.js';
import { Notice } from '../../lib/ui.js';
import { CheckEmail } from './check-email.js';
import { SignUpForm, type SignUpValues } from './sign-up-form.js';

/** What the server's sign-up policy (SIGNUP, SIGNUP_EMAIL_DOMAINS) lets a visitor do. */
function signupRule(domains: string[]): string | null {
  if (domains.length === 0) return null;
  return `Only addresses at ${domains.join(', ')} can sign up on this server.`;
}

export function SignUpPage() {
  const toast = useToast();
  const config = trpc.config.useQuery(undefined, { staleTime: Infinity });
  const [sent, setSent] = useState<SignUpValues | null>(null);
  const [serverErrors, setServerErrors] = useState<Partial<Record<keyof SignUpValues, string>>>({});
  const register = trpc.auth.register.useMutation({
    onSuccess: (_d, vars) => setSent(vars),
    onError: (e) => {
      if (appCodeOf(e) === 'workspace_name_taken') {
        setServerErrors({ workspaceName: 'This workspace name is already taken. Pick another one.' });
        return;
      }
      if (appCodeOf(e) === 'email_domain_not_allowed') {
        setServerErrors({ email: 'This address is not at one of the domains that may sign up here.' });
        return;
      }
      if (appCodeOf(e) === 'signup_closed') void config.refetch();
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

  const footer = (
    <>
      Already have a workspace? <Link to="/sign-in">Sign in</Link>
    </>
  );
  if (config.data && !config.data.signup.open) {
    return (
      <AuthLayout footer={footer}>
        <h1>Sign-up is closed</h1>
        <Notice tone="info" testId="signup-closed">
          This server does not take new sign-ups. Ask whoever runs it to create an account for you; if you have one
          already, sign in.
        </Notice>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout footer={footer}>
      <h1>Create your workspace</h1>
      <p className="muted">One workspace holds your team's API keys and agents. We e-mail you a link to confirm.</p>
      <SignUpForm
        onSubmit={(v) => register.mutate(v)}
        busy={register.isPending}
        serverErrors={serverErrors}
        emailHint={signupRule(config.data?.signup.emailDomains ?? [])}
      />
    </AuthLayout>
  );
}
