import { type ReactNode, useEffect } from 'react';
import { appCodeOf } from '../../lib/errors.js';
import { Link, useLocation } from '../../lib/router.js';
import { trpc } from '../../lib/trpc.js';
import { ErrorState, Spinner } from '../../lib/ui.js';
import { AccountMenu } from './account-menu.js';
import { Logo } from './logo.js';
import { useSignedOut } from './use-signed-out.js';

const NAV = [
  { to: '/keys', label: 'API keys' },
  { to: '/usage', label: 'Usage' },
  { to: '/agents', label: 'Agents' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/members', label: 'Members' },
  // Personal, not the workspace's, and in the account menu too: phones, short of room, show it only there.
  { to: '/sessions', label: 'Sessions', desktopOnly: true },
  { to: '/audit-log', label: 'Audit log' },
];

/** The signed-in frame; without a session, it sends you to sign-in. */
export function AppShell({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  const me = trpc.auth.session.useQuery(undefined, { staleTime: 60_000 });
  const signedOut = me.data?.signedIn === false;
  const account = me.data?.signedIn ? me.data : null;

  const toSignIn = useSignedOut('session');
  useEffect(() => {
    if (signedOut) toSignIn();
  }, [signedOut, toSignIn]);

  if (me.error && appCodeOf(me.error) !== 'authentication_required') {
    return (
      <div className="fullpage">
        <ErrorState error={me.error} onRetry={() => me.refetch()} />
      </div>
    );
  }
  if (!account) {
    return (
      <div className="fullpage">
        <Spinner label="Loading your workspace…" />
      </div>
    );
  }

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/keys" className="brand-link" aria-label="Private Connect home">
            <Logo />
          </Link>
          <nav aria-label="Main" className="nav">
            {NAV.map((n) => {
              const active = pathname === n.to || pathname.startsWith(`${n.to}/`);
              return (
                <Link key={n.to} to={n.to} className={n.desktopOnly ? 'nav-link nav-link-desktop' : 'nav-link'} aria-current={active ? 'page' : undefined}>
                  {n.label}
                </Link>
              );
            })}
          </nav>
          <AccountMenu me={account} />
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
