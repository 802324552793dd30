import type { ReactNode } from 'react';
import { appCodeOf } from '../../lib/errors.js';
import { Link, useLocation } from '../../lib/router.js';
import { trpc } from '../../lib/trpc.js';
import { ErrorState, Spinner } from '../../lib/ui.js';
import { AccountMenu } from './account-menu.js';
import { Logo } from './logo.js';

const NAV = [
  { to: '/keys', label: 'API keys' },
  { to: '/usage', label: 'Usage' },
  { to: '/agents', label: 'Agents' },
  { to: '/webhooks', label: 'Webhooks' },
  { to: '/sessions', label: 'Sessions' },
  { to: '/audit-log', label: 'Audit log' },
];

/** The signed-in frame. Without a session the global 401 handler has already sent us to sign-in. */
export function AppShell({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  const me = trpc.auth.me.useQuery(undefined, { staleTime: 60_000 });

  if (me.isPending || (me.error && appCodeOf(me.error) === 'authentication_required')) {
    return (
      <div className="fullpage">
        <Spinner label="Loading your workspace…" />
      </div>
    );
  }
  if (me.error) {
    return (
      <div className="fullpage">
        <ErrorState error={me.error} onRetry={() => me.refetch()} />
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
                <Link key={n.to} to={n.to} className="nav-link" aria-current={active ? 'page' : undefined}>
                  {n.label}
                </Link>
              );
            })}
          </nav>
          <AccountMenu me={me.data} />
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
