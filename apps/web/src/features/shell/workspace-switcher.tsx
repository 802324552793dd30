import { useQueryClient } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { useEffect, useId, useRef } from 'react';
import { errorMessage } from '../../lib/errors.js';
import { navigate } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Badge } from '../../lib/ui.js';
import { ROLE_LABELS } from '../members/roles.js';

/** The workspaces I belong to, with my role in each; choosing one moves this session there. */
export function WorkspaceSwitcher({ onSwitched }: { onSwitched(): void }) {
  const headingId = useId();
  const toast = useToast();
  const utils = trpc.useUtils();
  const workspaces = trpc.auth.workspaces.useQuery(undefined, { staleTime: 30_000 });
  const switchTo = trpc.auth.switchWorkspace.useMutation({
    onSuccess: (me) => {
      // The new workspace's identity at once; useResetOnWorkspaceChange does the rest.
      utils.auth.session.setData(undefined, { signedIn: true, ...me });
      onSwitched();
      toast.success(`Switched to ${me.workspace.name}.`);
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  if (workspaces.error) return <p className="account-note muted small">Could not load your workspaces. {errorMessage(workspaces.error)}</p>;
  // With one workspace there is nothing to switch to.
  if (!workspaces.data || workspaces.data.length < 2) return null;
  return (
    <div className="workspace-switcher" data-testid="workspace-switcher">
      <span id={headingId} className="account-section-title muted small">
        Switch workspace
      </span>
      <ul className="workspace-list" aria-labelledby={headingId}>
        {workspaces.data.map((w) => (
          <li key={w.id}>
            {w.current ? (
              <span className="account-item workspace-item" aria-current="true" data-testid="workspace-current">
                <span className="workspace-name">{w.name}</span>
                <Badge tone="info">{ROLE_LABELS[w.role]}</Badge>
                <span className="visually-hidden">(current)</span>
              </span>
            ) : (
              <button
                type="button"
                className="account-item workspace-item"
                disabled={switchTo.isPending}
                aria-busy={(switchTo.isPending && switchTo.variables?.workspaceId === w.id) || undefined}
                onClick={() => switchTo.mutate({ workspaceId: w.id })}
                data-testid="workspace-option"
              >
                <span className="workspace-name">{w.name}</span>
                <Badge tone="muted">{ROLE_LABELS[w.role]}</Badge>
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Everything cached belongs to one workspace. When the session's workspace changes — switched here,
 * or in another tab (the browser's tabs share the session) — nothing of the old one may stay on
 * screen or be acted on: every query but the session's starts over, from the keys page.
 */
export function useResetOnWorkspaceChange(workspaceId: string): void {
  const queryClient = useQueryClient();
  const shown = useRef(workspaceId);
  useEffect(() => {
    if (shown.current === workspaceId) return;
    shown.current = workspaceId;
    navigate('/keys');
    const session = JSON.stringify(getQueryKey(trpc.auth.session)[0]);
    void queryClient.resetQueries({ predicate: (q) => JSON.stringify(q.queryKey[0]) !== session });
  }, [workspaceId, queryClient]);
}
