import { Suspense, lazy, useEffect } from 'react';
import { SignInPage } from './features/auth/sign-in-page.js';
import { SignUpPage } from './features/auth/sign-up-page.js';
import { VerifyPage } from './features/auth/verify-page.js';
import { ApiKeysPage } from './features/api-keys/api-keys-page.js';
import { AppShell } from './features/shell/app-shell.js';
import { Link, matchPath, navigate, useLocation } from './lib/router.js';
import { EmptyState, Spinner } from './lib/ui.js';

// The keys list is where people land; every other page loads on first visit.
const ApiKeyDetailPage = lazy(() => import('./features/api-keys/api-key-detail-page.js'));
const AgentsPage = lazy(() => import('./features/agents/agents-page.js'));
const SessionsPage = lazy(() => import('./features/sessions/sessions-page.js'));
const AuditLogPage = lazy(() => import('./features/audit/audit-log-page.js'));
const WebhooksPage = lazy(() => import('./features/webhooks/webhooks-page.js'));
const WebhookDetailPage = lazy(() => import('./features/webhooks/webhook-detail-page.js'));
const UsagePage = lazy(() => import('./features/usage/usage-page.js'));
const MembersPage = lazy(() => import('./features/members/members-page.js'));
const InvitationPage = lazy(() => import('./features/members/invitation-page.js'));

const TITLES: [string, string][] = [
  ['/sign-in', 'Sign in'],
  ['/sign-up', 'Create your workspace'],
  ['/auth/verify', 'Sign in'],
  ['/auth/invitation', 'Invitation'],
  ['/keys/:id', 'API key'],
  ['/keys', 'API keys'],
  ['/usage', 'Usage'],
  ['/agents', 'Agents'],
  ['/webhooks/:id', 'Webhook'],
  ['/webhooks', 'Webhooks'],
  ['/members', 'Members'],
  ['/sessions', 'Sessions'],
  ['/audit-log', 'Audit log'],
];

export function App() {
  const { pathname } = useLocation();

  useEffect(() => {
    const title = TITLES.find(([p]) => matchPath(p, pathname))?.[1];
    document.title = title ? `${title} · Private Connect` : 'Private Connect';
  }, [pathname]);

  useEffect(() => {
    if (pathname === '/') navigate('/keys', { replace: true });
  }, [pathname]);

  if (pathname === '/sign-in') return <SignInPage />;
  if (pathname === '/sign-up') return <SignUpPage />;
  if (pathname === '/auth/verify') return <VerifyPage />;
  if (pathname === '/auth/invitation') {
    return (
      <Suspense fallback={<Spinner />}>
        <InvitationPage />
      </Suspense>
    );
  }
  if (pathname === '/') return null;

  return (
    <AppShell>
      <Suspense fallback={<Spinner />}>
        <SignedInRoutes pathname={pathname} />
      </Suspense>
    </AppShell>
  );
}

function SignedInRoutes({ pathname }: { pathname: string }) {
  if (pathname === '/keys') return <ApiKeysPage />;
  const key = matchPath('/keys/:id', pathname);
  if (key) return <ApiKeyDetailPage id={key.id!} />;
  if (pathname === '/usage') return <UsagePage />;
  if (pathname === '/agents') return <AgentsPage />;
  if (pathname === '/webhooks') return <WebhooksPage />;
  const webhook = matchPath('/webhooks/:id', pathname);
  if (webhook) return <WebhookDetailPage id={webhook.id!} />;
  if (pathname === '/members') return <MembersPage />;
  if (pathname === '/sessions') return <SessionsPage />;
  if (pathname === '/audit-log') return <AuditLogPage />;
  return (
    <EmptyState title="Page not found" action={<Link to="/keys">Go to API keys</Link>}>
      There is nothing at {pathname}.
    </EmptyState>
  );
}
