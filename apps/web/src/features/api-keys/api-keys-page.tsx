import { useState } from 'react';
import { plural, relativeTime } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { trpc } from '../../lib/trpc.js';
import { Button, EmptyState, ErrorState, Notice, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';
import { usePermission } from '../members/permissions.js';
import { CreateKeyDialog } from './create-key-dialog.js';
import { Expiry, KeyPrefix, KeyStatusBadge, RolledKeyUse, keyState } from './key-status.js';

export function ApiKeysPage() {
  const [includeRevoked, setIncludeRevoked] = useState(false);
  const [creating, setCreating] = useState(false);
  const keys = trpc.apiKeys.list.useQuery({ includeRevoked });
  const manage = usePermission('manageApiKeys');

  const soon = (keys.data ?? []).filter((k) => keyState(k) === 'expiring');
  const createButton = (
    <Button variant="primary" onClick={() => setCreating(true)} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
      Create API key
    </Button>
  );

  return (
    <>
      <PageHeader
        title="API keys"
        description="Keys let your agents and scripts call the /v1 API as this workspace. Only a hash is stored: each key is shown once, when it is created."
        actions={createButton}
      />
      {manage.note}
      {soon.length > 0 && (
        <Notice tone="warning" testId="expiring-warning">
          <strong>{plural(soon.length, 'key')} will expire within 7 days:</strong>{' '}
          {soon.map((k, i) => (
            <span key={k.id}>
              {i > 0 && ', '}
              <Link to={`/keys/${k.id}`}>{k.name}</Link> ({relativeTime(k.expiresAt!)})
            </span>
          ))}
          . Roll a key to replace it without downtime.
        </Notice>
      )}
      <div className="toolbar">
        <label className="switch">
          <input type="checkbox" checked={includeRevoked} onChange={(e) => setIncludeRevoked(e.target.checked)} />
          <span>Show revoked and expired keys</span>
        </label>
      </div>
      {keys.isPending ? (
        <Spinner label="Loading API keys…" />
      ) : keys.error ? (
        <ErrorState error={keys.error} onRetry={() => keys.refetch()} title="Could not load API keys" />
      ) : keys.data.length === 0 ? (
        <EmptyState title={includeRevoked ? 'No API keys' : 'No active API keys'} action={createButton}>
          Create a key for each agent or script, so you can revoke one without touching the others.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="api-keys-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">IP ranges</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} data-testid="api-key-row" className={k.isActive ? undefined : 'row-inactive'}>
                  <th scope="row" data-label="Name">
                    <Link to={`/keys/${k.id}`} className="row-link">
                      {k.name}
                    </Link>
                  </th>
                  <td data-label="Key">
                    <KeyPrefix prefix={k.prefix} />
                  </td>
                  <td data-label="Created">
                    <RelativeTime iso={k.createdAt} />
                  </td>
                  <td data-label="Last used">
                    <RelativeTime iso={k.lastUsedAt} />
                  </td>
                  <td data-label="IP ranges">
                    {k.allowedIpRangeCount === 0 ? <span className="muted">Any IP</span> : plural(k.allowedIpRangeCount, 'range')}
                  </td>
                  <td data-label="Expires">
                    <Expiry apiKey={k} />
                  </td>
                  <td data-label="Status">
                    <span className="status-stack">
                      <KeyStatusBadge apiKey={k} />
                      {k.rolledToId && k.isActive && <RolledKeyUse lastUsedAt={k.lastUsedAt} />}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {creating && <CreateKeyDialog onClose={() => setCreating(false)} />}
    </>
  );
}
