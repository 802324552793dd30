import { type AgentStatus, DEFAULT_AGENT_PAGE } from '@pc/contract';
import { keepPreviousData } from '@tanstack/react-query';
import { useState } from 'react';
import { ConfirmDialog } from '../../lib/confirm-dialog.js';
import { Dialog } from '../../lib/dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { Button, EmptyState, ErrorState, LoadMore, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';
import { usePermission } from '../members/permissions.js';
import { AgentStatusBadge, LastSeen, RunAgentCommand } from './agent-presence.js';
import { RegisterAgentForm } from './register-agent-form.js';

type Agent = RouterOutputs['agents']['list']['data'][number];

/** Often enough that a stopped agent turns offline within a poll of the server deciding so. */
export const AGENTS_POLL_MS = 10_000;

const FILTERS: { value: AgentStatus | ''; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'online', label: 'Online' },
  { value: 'offline', label: 'Offline' },
];

export default function AgentsPage() {
  const toast = useToast();
  const utils = trpc.useUtils();
  const [status, setStatus] = useState<AgentStatus | ''>('');
  const agents = trpc.agents.list.useInfiniteQuery(
    // The server's default page: its first page is the query it keeps compiled.
    { limit: DEFAULT_AGENT_PAGE, ...(status ? { status } : {}) },
    {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
      refetchInterval: AGENTS_POLL_MS,
      refetchIntervalInBackground: false,
      // Switching the filter keeps the rows on screen until the new ones arrive.
      placeholderData: keepPreviousData,
    },
  );
  const list = agents.data?.pages.flatMap((p) => p.data) ?? [];
  const [registering, setRegistering] = useState(false);
  const [deleting, setDeleting] = useState<Agent | null>(null);
  const manage = usePermission('manageAgents');

  const create = trpc.agents.create.useMutation({
    onSuccess: (a) => {
      utils.agents.list.invalidate();
      utils.auditLogs.list.invalidate();
      toast.success(`Agent “${a.name}” registered.`);
      setRegistering(false);
    },
    onError: (e) => toast.error(errorMessage(e)),
  });
  const remove = trpc.agents.delete.useMutation({
    onSuccess: (_d, vars) => {
      utils.agents.list.invalidate();
      utils.auditLogs.list.invalidate();
      toast.success(`Agent “${deleting?.name ?? vars.id}” deleted.`);
      setDeleting(null);
    },
    onError: (e) => toast.error(errorMessage(e)),
  });

  const offlineAfter = trpc.config.useQuery(undefined, { staleTime: Infinity }).data?.agentOfflineAfterSeconds;

  const registerButton = (
    <Button variant="primary" onClick={() => setRegistering(true)} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
      Register agent
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Agents"
        description={`The machines that run the Private Connect agent for this workspace. An agent registers itself with an API key and sends a heartbeat every 30 seconds; it shows as offline ${offlineAfter ? `${offlineAfter} seconds after the last one` : 'once they stop'}.`}
        actions={registerButton}
      />
      {manage.note}
      <div className="toolbar">
        <fieldset className="segmented" data-testid="agent-status-filter">
          <legend className="visually-hidden">Show agents</legend>
          {FILTERS.map((f) => (
            <label key={f.value || 'all'} className="segmented-option">
              <input type="radio" name="agent-status" value={f.value} checked={status === f.value} onChange={() => setStatus(f.value)} />
              <span>{f.label}</span>
            </label>
          ))}
        </fieldset>
        <span className="muted small">Updates every 10 seconds</span>
      </div>
      {agents.isPending ? (
        <Spinner label="Loading agents…" />
      ) : agents.error && list.length === 0 ? (
        <ErrorState error={agents.error} onRetry={() => agents.refetch()} title="Could not load agents" />
      ) : list.length === 0 && status !== '' ? (
        <EmptyState title={status === 'online' ? 'No agent is online' : 'No agent is offline'}>
          {status === 'online' ? 'An agent shows here while it sends heartbeats.' : 'Every agent has reported in recently.'}
        </EmptyState>
      ) : list.length === 0 ? (
        <EmptyState title="No agents yet" action={<RunAgentCommand />}>
          Run the reference agent on a machine that can reach this server, with an API key (<Link to="/keys">create one</Link>
          ): it registers itself and reports in every 30 seconds.
        </EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table" data-testid="agents-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Version</th>
                  <th scope="col">Label</th>
                  <th scope="col">Registered</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((a) => (
                  <tr key={a.id} data-testid="agent-row" data-status={a.status}>
                    <th scope="row" data-label="Name">
                      {a.name}
                    </th>
                    <td data-label="Status">
                      <AgentStatusBadge status={a.status} />
                    </td>
                    <td data-label="Last seen" data-testid="agent-last-seen">
                      <LastSeen at={a.lastSeenAt} ip={a.lastSeenIp} now={agents.dataUpdatedAt} />
                    </td>
                    <td data-label="Version">{a.version ? <code className="mono small">{a.version}</code> : <span className="muted">—</span>}</td>
                    <td data-label="Label">{a.label ?? <span className="muted">—</span>}</td>
                    <td data-label="Registered">
                      <RelativeTime iso={a.createdAt} />
                    </td>
                    <td className="cell-actions">
                      <Button
                        variant="ghost"
                        onClick={() => setDeleting(a)}
                        disabled={!manage.allowed}
                        aria-describedby={manage.describedBy}
                        aria-label={`Delete agent ${a.name}`}
                      >
                        Delete
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            hasMore={agents.hasNextPage}
            loading={agents.isFetchingNextPage}
            onMore={() => agents.fetchNextPage()}
            error={agents.error}
            errorTitle="Could not refresh the agents"
            onRetry={() => agents.refetch()}
          />
        </>
      )}
      {registering && (
        <Dialog title="Register an agent" onClose={() => setRegistering(false)} busy={create.isPending}>
          <RegisterAgentForm onSubmit={(v) => create.mutate(v)} onCancel={() => setRegistering(false)} busy={create.isPending} />
        </Dialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete agent “${deleting.name}”?`}
          confirmLabel="Delete agent"
          busy={remove.isPending}
          onConfirm={() => remove.mutate({ id: deleting.id })}
          onClose={() => setDeleting(null)}
          description={<p>It disappears from this workspace. An agent still running registers again with its API key.</p>}
        />
      )}
    </>
  );
}
