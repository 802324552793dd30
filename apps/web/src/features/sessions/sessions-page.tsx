import { useState } from 'react';
import { ConfirmDialog } from '../../lib/confirm-dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { describeUserAgent, exactTime, shortDate } from '../../lib/format.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { useSignedOut } from '../shell/use-signed-out.js';
import { Badge, Button, ErrorState, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';

export default function SessionsPage() {
  const toast = useToast();
  const utils = trpc.useUtils();
  const signedOut = useSignedOut();
  const sessions = trpc.auth.sessions.useQuery();
  const [confirmEverywhere, setConfirmEverywhere] = useState(false);

  const refresh = () => Promise.all([utils.auth.sessions.invalidate(), utils.auditLogs.list.invalidate()]);
  const revoke = trpc.auth.revokeSession.useMutation({
    onSuccess: async () => {
      await refresh();
      toast.success('That session is signed out.');
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const logout = trpc.auth.logout.useMutation({
    onSuccess: async (_d, vars) => {
      if (vars.scope === 'others') {
        await refresh();
        toast.success('Signed out of every other session.');
      } else {
        signedOut();
      }
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  const others = sessions.data?.filter((s) => !s.current).length ?? 0;

  return (
    <>
      <PageHeader
        title="Where you’re signed in"
        description="Every browser signed in to your account. Sign out any you don’t recognise; sessions also end after 30 days without use."
        actions={
          <>
            <Button onClick={() => logout.mutate({ scope: 'others' })} disabled={others === 0} busy={logout.isPending && logout.variables?.scope === 'others'}>
              Sign out other sessions
            </Button>
            <Button variant="danger" onClick={() => setConfirmEverywhere(true)}>
              Sign out everywhere
            </Button>
          </>
        }
      />
      {sessions.isPending ? (
        <Spinner label="Loading sessions…" />
      ) : sessions.error ? (
        <ErrorState error={sessions.error} onRetry={() => sessions.refetch()} title="Could not load sessions" />
      ) : (
        <ul className="session-list" data-testid="session-list">
          {sessions.data.map((s) => (
            <li key={s.id} className={`card session${s.current ? ' session-current' : ''}`} data-testid="session-item" data-current={s.current}>
              <div className="session-main">
                <div className="session-device">
                  <strong>{describeUserAgent(s.userAgent)}</strong>
                  {s.current && <Badge tone="info">This device</Badge>}
                </div>
                <div className="session-meta muted small">
                  <span data-testid="session-workspace">
                    In <strong>{s.workspace.name}</strong>
                  </span>
                  <span>
                    IP <code className="mono">{s.ip ?? 'unknown'}</code>
                  </span>
                  <span>
                    Signed in <RelativeTime iso={s.createdAt} />
                  </span>
                  <span>
                    Last active <RelativeTime iso={s.lastUsedAt} />
                  </span>
                  <span title={exactTime(s.expiresAt)}>Expires {shortDate(s.expiresAt)}</span>
                </div>
                {s.userAgent && (
                  <div className="session-ua muted small" title={s.userAgent}>
                    {s.userAgent}
                  </div>
                )}
              </div>
              {!s.current && (
                <Button
                  onClick={() => revoke.mutate({ id: s.id })}
                  busy={revoke.isPending && revoke.variables?.id === s.id}
                  aria-label={`Sign out ${describeUserAgent(s.userAgent)} from ${s.ip ?? 'unknown IP'}`}
                >
                  Sign out
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {confirmEverywhere && (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          busy={logout.isPending}
          onConfirm={() => logout.mutate({ scope: 'global' })}
          onClose={() => setConfirmEverywhere(false)}
          description={<p>Every session ends, this one included. You’ll need a new e-mail link to sign in. API keys keep working.</p>}
        />
      )}
    </>
  );
}
