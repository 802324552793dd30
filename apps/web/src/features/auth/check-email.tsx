import { MailIcon } from '../../lib/icons.js';
import { trpc } from '../../lib/trpc.js';
import { Button, Notice } from '../../lib/ui.js';

interface Props {
  email: string;
  kind: 'sign-in' | 'sign-up';
  workspaceName?: string;
  onResend(): void;
  resending: boolean;
  onBack(): void;
}

/**
 * Says the same thing whether or not the address has an account: sign-up for a known address
 * mails a sign-in link, and sign-in for an unknown one mails nothing.
 */
export function CheckEmail({ email, kind, workspaceName, onResend, resending, onBack }: Props) {
  const config = trpc.config.useQuery(undefined, { staleTime: Infinity });
  return (
    <div className="check-email" data-testid="check-email">
      <div className="auth-icon">
        <MailIcon />
      </div>
      <h1>Check your e-mail</h1>
      <p>
        {kind === 'sign-up' ? (
          <>
            If <strong>{email}</strong> can sign up, we sent it a link to confirm the address and create{' '}
            <strong className="nowrap">{workspaceName}</strong>. If it already has an account, the e-mail holds a sign-in link instead.
          </>
        ) : (
          <>
            If <strong>{email}</strong> has an account, we sent it a sign-in link.
          </>
        )}
      </p>
      <p className="muted">The link works once and expires in 15 minutes. You can close this tab.</p>
      {config.data && !config.data.mailConfigured && (
        <Notice tone="warning" testId="mail-not-configured">
          This server has no mail server configured (<code>SMTP_URL</code> is unset), so nothing was e-mailed: the link
          was written to the <strong>server log</strong> (and saved under <code>data/outbox/</code>). Ask whoever runs the
          server, or copy it from there.
        </Notice>
      )}
      <div className="button-row">
        <Button onClick={onResend} busy={resending}>
          Send another link
        </Button>
        <Button variant="ghost" onClick={onBack}>
          Use a different e-mail
        </Button>
      </div>
    </div>
  );
}
