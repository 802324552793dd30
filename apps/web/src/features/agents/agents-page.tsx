import { useState } from 'react';
import { Dialog } from '../../lib/dialog.js';
import { errorMessage } from '../../lib/errors.js';
import { useToast } from '../../lib/toast.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { Button, EmptyState, ErrorState, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';
import { RegisterAgentForm } from './register-agent-form.js';

type Agent = RouterOutputs['agents']['list'][number];

export default function AgentsPage() {
  const toast = useToast();
  const utils = trpc.useUtils();
  const agents = trpc.agents.list.useQuery();
  const [registering, setRegistering] = useState(false);
  const [deleting, setDeleting] = useState<Agent | null>(null);

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

  const registerButton = (
    <Button variant="primary" onClick={() => setRegistering(true)}>
      Register agent
    </Button>
  );

  return (
    <>
      <PageHeader
        title="Agents"
        description="The machines that run the connector for this workspace. Agents usually register themselves with an API key (POST /v1/agents); you can also add one here."
        actions={registerButton}
      />
      {agents.isPending ? (
        <Spinner label="Loading agents…" />
      ) : agents.error ? (
        <ErrorState error={agents.error} onRetry={() => agents.refetch()} title="Could not load agents" />
      ) : agents.data.length === 0 ? (
        <EmptyState title="No agents yet" action={registerButton}>
          Start the connector with an API key and it shows up here.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="agents-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Label</th>
                <th scope="col">Registered</th>
                <th scope="col">Last seen</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {agents.data.map((a) => (
                <tr key={a.id} data-testid="agent-row">
                  <th scope="row" data-label="Name">
                    {a.name}
                  </th>
                  <td data-label="Label">{a.label ?? <span className="muted">—</span>}</td>
                  <td data-label="Registered">
                    <RelativeTime iso={a.createdAt} />
                  </td>
                  <td data-label="Last seen">
                    <RelativeTime iso={a.lastSeenAt} />
                  </td>
                  <td className="cell-actions">
                    <Button variant="ghost" onClick={() => setDeleting(a)} aria-label={`Delete agent ${a.name}`}>
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {registering && (
        <Dialog title="Register an agent" onClose={() => setRegistering(false)} busy={create.isPending}>
          <RegisterAgentForm onSubmit={(v) => create.mutate(v)} onCancel={() => setRegistering(false)} busy={create.isPending} />
        </Dialog>
      )}
      {deleting && (
        <Dialog
          title={`Delete agent “${deleting.name}”?`}
          tone="danger"
          busy={remove.isPending}
          onClose={() => setDeleting(null)}
          description={<p>It disappears from this workspace. A connector still running will register again with its API key.</p>}
        >
          <div className="dialog-actions">
            <Button variant="ghost" onClick={() => setDeleting(null)} disabled={remove.isPending} data-autofocus>
              Cancel
            </Button>
            <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate({ id: deleting.id })}>
              Delete agent
            </Button>
          </div>
        </Dialog>
      )}
    </>
  );
}
