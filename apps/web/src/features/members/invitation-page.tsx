import { INVITATION_TTL_DAYS } from '@pc/contract';
import { useQueryClient } from '@tanstack/react-query';
import { appCodeOf, errorMessage } from '../../lib/errors.js';
import { MailIcon } from '../../lib/icons.js';
import { Link, navigate, useLocation } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Button, ErrorState, Notice, RelativeTime, Spinner } from '../../lib/ui.js';
import { AuthLayout } from '../auth/auth-layout.js';
import { ROLE_HINTS, withArticle } from './roles.js';

/**
 * The page an invitation mail opens. Like the sign-in link it never acts on load (mail scanners
 * fetch links); it says what accepting does — which workspace, from whom, as what, as which
 * address — and only the button spends the link.
 */
export default function InvitationPage() {
  const { search } = useLocation();
  const token = search.get('token') ?? '';
  const toast = useToast();
  const queryClient = useQueryClient();
  const preview = trpc.invitations.preview.useQuery({ token }, { enabled: token !== '', retry: false, staleTime: Infinity });
  const accept = trpc.invitations.accept.useMutation({
    onSuccess: (r) => {
      // Another account's cached pages must not show under this one.
      queryClient.clear();
      toast.success(r.isNewUser ? `Welcome! You joined ${r.workspace.name}.` : `You joined ${r.workspace.name} as ${withArticle(r.role)}.`);
      // replace: the spent link should not linger in history.
      navigate('/keys', { replace: true });
    },
  });
  const code = accept.error ? appCodeOf(accept.error) : preview.error ? appCodeOf(preview.error) : null;

  if (!token) {
    return (
      <AuthLayout>
        <h1>This invitation link is incomplete</h1>
        <p className="muted">The link is missing its token. Copy the whole link from the e-mail, or ask whoever invited you to send a new one.</p>
      </AuthLayout>
    );
  }
  if (code === 'invalid_invitation') {
    return (
      <AuthLayout>
        <div data-testid="invitation-invalid">
          <h1>This invitation can’t be used</h1>
          <p>
            It has expired, was revoked, or was already accepted. An invitation works <strong>once</strong> and for <strong>{INVITATION_TTL_DAYS} days</strong>;
            inviting the same address again replaces the older link.
          </p>
          <p className="muted">Ask whoever invited you for a new invitation. If you already accepted it, sign in instead.</p>
          <Link className="btn btn-primary btn-block" to="/sign-in">
            Sign in
          </Link>
        </div>
      </AuthLayout>
    );
  }
  if (preview.isPending) {
    return (
      <AuthLayout>
        <Spinner label="Reading the invitation…" />
      </AuthLayout>
    );
  }
  if (preview.error) {
    return (
      <AuthLayout>
        <ErrorState error={preview.error} onRetry={() => preview.refetch()} title="Could not read this invitation" />
      </AuthLayout>
    );
  }

  const p = preview.data;
  return (
    <AuthLayout>
      <div className="auth-icon">
        <MailIcon />
      </div>
      <h1 data-testid="invitation-target">
        Join <strong>{p.workspace}</strong> on Private Connect
      </h1>
      <p data-testid="invitation-summary">
        {p.invitedBy ? (
          <>
            <strong>{p.invitedBy}</strong> invited <strong>{p.email}</strong>
          </>
        ) : (
          <>
            <strong>{p.email}</strong> was invited
          </>
        )}{' '}
        to join as <strong>{withArticle(p.role)}</strong>.
      </p>
      <p className="muted small">{ROLE_HINTS[p.role]}</p>
      <p data-testid="invitation-account">
        {p.isNewUser
          ? `Accepting creates an account for ${p.email}; you sign in with e-mailed links, no password.`
          : `${p.email} already has an account: accepting adds ${p.workspace} to its workspaces and signs this browser in to it.`}
      </p>
      {p.current && !p.current.sameAccount && (
        <Notice tone="warning" testId="invitation-other-account">
          This browser is signed in as <strong>{p.current.email}</strong>. Accepting signs it in as <strong>{p.email}</strong> instead. If
          this invitation is not for you, close this page.
        </Notice>
      )}
      {p.current?.sameAccount && <p className="muted">You are signed in as this account; accepting switches this browser to {p.workspace}.</p>}
      <p className="muted small">
        The link works once and expires <RelativeTime iso={p.expiresAt} />.
      </p>
      {accept.error && (
        <Notice tone="danger">
          <span role="alert">{errorMessage(accept.error)}</span>
        </Notice>
      )}
      <Button variant="primary" className="btn-block" busy={accept.isPending} onClick={() => accept.mutate({ token })}>
        {p.isNewUser ? 'Accept and create account' : 'Accept invitation'}
      </Button>
    </AuthLayout>
  );
}
