import { useState } from 'react';
import { appCodeOf, errorInfo, errorMessage } from '../../lib/errors.js';
import { durationWords, exactTime } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { useToast } from '../../lib/toast.js';
import { trpc } from '../../lib/trpc.js';
import { Button, EmptyState, ErrorState, Notice, RelativeTime, Spinner } from '../../lib/ui.js';
import { usePermission } from '../members/permissions.js';
import { KeyUsage } from '../usage/key-usage.js';
import { IpRangeEditor } from './ip-range-editor.js';
import { Expiry, KeyPrefix, KeyStatusBadge, keyState } from './key-status.js';
import { RevokeKeyDialog } from './revoke-key-dialog.js';
import { RollKeyDialog } from './roll-key-dialog.js';
import { RotationUsageNotice } from './rotation-usage-notice.js';

export default function ApiKeyDetailPage({ id }: { id: string }) {
  const toast = useToast();
  const utils = trpc.useUtils();
  const key = trpc.apiKeys.get.useQuery({ id });
  const [dialog, setDialog] = useState<'roll' | 'revoke' | null>(null);
  // Two notes of the one rule: beside the key's actions, and beside its ranges further down.
  const manage = usePermission('manageApiKeys');
  const ranges = usePermission('manageApiKeys');
  const save = trpc.apiKeys.updateIpRestrictions.useMutation({
    onSuccess: (updated) => {
      utils.apiKeys.get.setData({ id }, updated);
      utils.apiKeys.list.invalidate();
      utils.auditLogs.list.invalidate();
      toast.success(
        updated.allowedIpRanges.length === 0
          ? 'IP restriction removed: any IP address can use this key.'
          : `Saved. Stored as ${updated.allowedIpRanges.join(', ')}.`,
      );
    },
    onError: (e) => {
      if (errorInfo(e).details.length === 0) toast.error(errorMessage(e));
    },
  });

  const back = (
    <Link to="/keys" className="back-link">
      ← API keys
    </Link>
  );

  if (key.isPending) return <Spinner label="Loading API key…" />;
  if (key.error) {
    if (appCodeOf(key.error) === 'not_found') {
      return (
        <>
          {back}
          <EmptyState title="No such API key">It may belong to another workspace, or the link is wrong.</EmptyState>
        </>
      );
    }
    return (
      <>
        {back}
        <ErrorState error={key.error} onRetry={() => key.refetch()} title="Could not load this API key" />
      </>
    );
  }

  const k = key.data;
  const state = keyState(k);
  const active = k.isActive;

  return (
    <>
      {back}
      <div className="page-header">
        <div>
          <h1 className="key-title">
            <span data-testid="key-name">{k.name}</span> <KeyStatusBadge apiKey={k} />
          </h1>
          <p className="page-description">
            <KeyPrefix prefix={k.prefix} />
          </p>
        </div>
        {active && (
          <div className="page-actions">
            {!k.rolledToId && (
              <Button onClick={() => setDialog('roll')} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
                Roll key
              </Button>
            )}
            <Button variant="danger" onClick={() => setDialog('revoke')} disabled={!manage.allowed} aria-describedby={manage.describedBy}>
              Revoke key
            </Button>
          </div>
        )}
      </div>
      {active && manage.note}

      {state === 'revoked' && k.revokedAt && (
        <Notice tone="danger" testId="key-revoked-notice">
          Revoked {exactTime(k.revokedAt)}. Requests with this key are refused with <code>401 invalid_api_key</code>.
        </Notice>
      )}
      {state === 'expired' && (
        <Notice tone="danger">
          Expired {k.expiresAt && exactTime(k.expiresAt)}. Requests with this key are refused with <code>401 api_key_expired</code>.
        </Notice>
      )}
      {k.rolledToId && active && k.expiresAt && (
        <Notice tone="warning" testId="key-rolled-notice">
          This key was rolled. It keeps working for <strong>{durationWords(new Date(k.expiresAt).getTime() - Date.now())}</strong>, until{' '}
          {exactTime(k.expiresAt)}. <Link to={`/keys/${k.rolledToId}`}>Go to the new key</Link>.
        </Notice>
      )}
      {k.rolledToId && active && <RotationUsageNotice apiKey={k} />}
      {k.rolledToId && !active && (
        <Notice tone="info">
          Replaced by <Link to={`/keys/${k.rolledToId}`}>the new key</Link>.
        </Notice>
      )}
      {!k.rolledToId && state === 'expiring' && k.expiresAt && (
        <Notice tone="warning" testId="key-expiring-notice">
          <strong>This key expires in {durationWords(new Date(k.expiresAt).getTime() - Date.now())}</strong> ({exactTime(k.expiresAt)}).
          Roll it now to get a replacement while this one keeps working.
        </Notice>
      )}

      <section className="card" aria-labelledby="key-details">
        <h2 id="key-details" className="card-title">
          Details
        </h2>
        <dl className="details">
          <div>
            <dt>Created</dt>
            <dd>
              <RelativeTime iso={k.createdAt} />
            </dd>
          </div>
          <div>
            <dt>Last used</dt>
            <dd data-testid="key-last-used">
              <RelativeTime iso={k.lastUsedAt} />
            </dd>
          </div>
          <div>
            <dt>Last used from</dt>
            <dd data-testid="key-last-ip">{k.lastUsedIp ? <code className="mono">{k.lastUsedIp}</code> : <span className="muted">—</span>}</dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd>
              <Expiry apiKey={k} />
              {k.expiresAt && state !== 'revoked' && <span className="muted small block">{exactTime(k.expiresAt)}</span>}
            </dd>
          </div>
          <div>
            <dt>Key id</dt>
            <dd>
              <code className="mono small">{k.id}</code>
            </dd>
          </div>
        </dl>
      </section>

      <KeyUsage id={k.id} />

      <section className="card" aria-labelledby="ip-ranges">
        <h2 id="ip-ranges" className="card-title">
          Allowed IP ranges
        </h2>
        <p className="muted small card-intro">
          IPv4 or IPv6, as CIDR ranges (<code>10.0.0.0/8</code>, <code>2001:db8::/32</code>) or single addresses. Ranges are stored
          as their network address.
        </p>
        {active && ranges.note}
        {active ? (
          <IpRangeEditor
            stored={k.allowedIpRanges}
            disabled={!ranges.allowed}
            saving={save.isPending}
            serverDetails={save.error ? errorInfo(save.error).details : []}
            onSave={(ranges) => save.mutate({ id, allowedIpRanges: ranges })}
          />
        ) : (
          <p className="muted" data-testid="stored-ranges">
            This key no longer works from anywhere, so its ranges can’t be changed.{' '}
            {k.allowedIpRanges.length === 0 ? 'It had no IP restriction.' : `It was limited to ${k.allowedIpRanges.join(', ')}.`}
          </p>
        )}
      </section>

      {dialog === 'roll' && <RollKeyDialog apiKey={k} onClose={() => setDialog(null)} />}
      {dialog === 'revoke' && <RevokeKeyDialog apiKey={k} onClose={() => setDialog(null)} />}
    </>
  );
}
