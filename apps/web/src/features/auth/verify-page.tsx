import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { appCodeOf, errorMessage } from '../../lib/errors.js';
import { Link, navigate, useLocation } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Button, Notice } from '../../lib/ui.js';
import { KeyIcon } from '../../lib/icons.js';
import { AuthLayout } from './auth-layout.js';
import { CheckEmail } from './check-email.js';
import { SignInForm } from './sign-in-form.js';

/**
 * The page the e-mailed link opens. It never verifies on load: mail scanners fetch links to
 * inspect them, and a token spent by a scanner would lock the person out. A click proves a human.
 */
export function VerifyPage() {
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const toast = useToast();
  const queryClient = useQueryClient();
  const verify = trpc.auth.verify.useMutation({
    onSuccess: (result) => {
      queryClient.clear();
      toast.success(result.isNewUser ? `Welcome! Workspace “${result.workspace.name}” is ready.` : `Signed in to ${result.workspace.name}.`);
      // replace: the spent token should not linger in history.
      navigate('/keys', { replace: true });
    },
  });

  // What the link opens, read without spending it: a link someone else sent must say whose account it is.
  const preview = trpc.auth.previewLink.useQuery({ token }, { enabled: token !== '', retry: false, staleTime: Infinity });
  const code = verify.error ? appCodeOf(verify.error) : preview.error ? appCodeOf(preview.error) : null;

  if (!token) {
    return (
      <AuthLayout>
        <h1>This link is incomplete</h1>
        <p className="muted">The sign-in link is missing its token. Copy the whole link from the e-mail, or ask for a new one.</p>
        <NewLinkForm />
      </AuthLayout>
    );
  }

  if (code === 'invalid_token') {
    return (
      <AuthLayout>
        <div data-testid="verify-invalid">
          <h1>This link can’t be used</h1>
          <p>
            It has expired or was already used. Sign-in links work <strong>once</strong> and expire after{' '}
            <strong>15 minutes</strong>; asking for a newer link also retires the older ones.
          </p>
          <NewLinkForm />
        </div>
      </AuthLayout>
    );
  }

  if (code === 'workspace_name_taken') {
    return (
      <AuthLayout>
        <div data-testid="verify-name-taken">
          <h1>That workspace name was taken</h1>
          <p>
            Someone else confirmed a workspace with the same name before you opened this link. Your e-mail address is fine:
            sign up again with another workspace name.
          </p>
          <Link className="btn btn-primary btn-block" to="/sign-up">
            Choose another name
          </Link>
        </div>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout>
      <div className="auth-icon">
        <KeyIcon />
      </div>
      {preview.data ? (
        <>
          <h1 data-testid="verify-target">
            {preview.data.isNewUser ? (
              <>
                Create workspace <strong>{preview.data.workspace}</strong> as <strong>{preview.data.email}</strong>?
              </>
            ) : (
              <>
                Sign in as <strong>{preview.data.email}</strong> to workspace <strong>{preview.data.workspace}</strong>?
              </>
            )}
          </h1>
          {preview.data.current && !preview.data.current.sameAccount && (
            <Notice tone="warning" testId="verify-other-account">
              This browser is signed in as <strong>{preview.data.current.email}</strong>. Continuing signs it in as{' '}
              <strong>{preview.data.email}</strong> instead. If you did not ask for this link, close this page.
            </Notice>
          )}
          {preview.data.current?.sameAccount && <p className="muted">You are already signed in as this account; continuing opens a new session.</p>}
          <p className="muted">Only continue if this is your account and you asked for this link. It works once.</p>
        </>
      ) : (
        <>
          <h1>Sign in to Private Connect</h1>
          <p className="muted">Click the button to finish signing in on this device. The link works once.</p>
        </>
      )}
      {verify.error && (
        <Notice tone="danger">
          <span role="alert">{errorMessage(verify.error)}</span>
        </Notice>
      )}
      <Button variant="primary" className="btn-block" busy={verify.isPending} onClick={() => verify.mutate({ token })}>
        {preview.data?.isNewUser ? 'Create and sign in' : 'Sign in'}
      </Button>
    </AuthLayout>
  );
}

function NewLinkForm() {
  const toast = useToast();
  const [sentTo, setSentTo] = useState<string | null>(null);
  const login = trpc.auth.login.useMutation({
    onSuccess: (_d, v) => setSentTo(v.email),
    onError: (e) => toast.error(errorMessage(e)),
  });
  if (sentTo) {
    return (
      <CheckEmail
        email={sentTo}
        kind="sign-in"
        resending={login.isPending}
        onResend={() => login.mutate({ email: sentTo })}
        onBack={() => setSentTo(null)}
      />
    );
  }
  return (
    <div className="new-link">
      <h2 className="h3">Get a new link</h2>
      <SignInForm onSubmit={(v) => login.mutate(v)} busy={login.isPending} submitLabel="Email me a new link" />
    </div>
  );
}
