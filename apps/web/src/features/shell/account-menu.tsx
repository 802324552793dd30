import { useEffect, useId, useRef, useState } from 'react';
import { errorMessage } from '../../lib/errors.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { ROLE_LABELS } from '../members/roles.js';
import { useSignedOut } from './use-signed-out.js';
import { WorkspaceSwitcher, useResetOnWorkspaceChange } from './workspace-switcher.js';

type Me = RouterOutputs['auth']['me'];

/** Who and where you are, and the way out. A disclosure menu: Escape and outside clicks close it. */
export function AccountMenu({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const toast = useToast();
  const signedOut = useSignedOut();
  const logout = trpc.auth.logout.useMutation({
    onSuccess: signedOut,
    onError: (e) => toast.error(errorMessage(e)),
  });
  useResetOnWorkspaceChange(me.workspace.id);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);

  const initial = me.workspace.name.slice(0, 1).toUpperCase();
  return (
    <div className="account" ref={root}>
      <button
        ref={button}
        type="button"
        className="account-button"
        aria-expanded={open}
        aria-controls={menuId}
        aria-label={`Account: ${me.user.email}, workspace ${me.workspace.name}, ${ROLE_LABELS[me.role].toLowerCase()}`}
        onClick={() => setOpen((o) => !o)}
        data-testid="account-menu"
      >
        <span className="avatar" aria-hidden="true">
          {initial}
        </span>
        <span className="account-workspace">{me.workspace.name}</span>
        <span className="account-role muted small">{ROLE_LABELS[me.role]}</span>
        <span className="chevron" aria-hidden="true">
          ▾
        </span>
      </button>
      {open && (
        <div className="account-panel" id={menuId}>
          <div className="account-who">
            <span className="muted small">Signed in as</span>
            <strong className="account-email" data-testid="account-email">
              {me.user.email}
            </strong>
            <span className="muted small">
              Workspace <strong data-testid="account-workspace">{me.workspace.name}</strong> · your role:{' '}
              <strong data-testid="account-role">{ROLE_LABELS[me.role]}</strong>
            </span>
          </div>
          <WorkspaceSwitcher
            onSwitched={() => {
              setOpen(false);
              button.current?.focus();
            }}
          />
          <Link to="/sessions" className="account-item" onClick={() => setOpen(false)}>
            Where you’re signed in
          </Link>
          {/* A server page (Swagger UI with its own CSP), not an SPA route: a full navigation. */}
          <a href="/docs" className="account-item" target="_blank" rel="noopener" data-testid="api-reference-link">
            API reference ↗
          </a>
          <button
            type="button"
            className="account-item account-signout"
            disabled={logout.isPending}
            onClick={() => logout.mutate({ scope: 'local' })}
          >
            {logout.isPending ? 'Signing out…' : 'Sign out'}
          </button>
        </div>
      )}
    </div>
  );
}
