import { AUDIT_ACTIONS, type AuditAction } from '@pc/contract';
import { useId, useState } from 'react';
import { exactTime } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { type RouterOutputs, trpc } from '../../lib/trpc.js';
import { EmptyState, ErrorState, LoadMore, PageHeader, RelativeTime, Spinner } from '../../lib/ui.js';
import { useAccount, usePermission } from '../members/permissions.js';
import { ACTION_LABELS, DENIAL_ACTIONS, actionLabel, metadataFields, metadataSummary } from './audit-labels.js';

type Entry = RouterOutputs['auditLogs']['list']['data'][number];

export const AUDIT_PAGE_SIZE = 25;

export default function AuditLogPage() {
  const filterId = useId();
  const [action, setAction] = useState<AuditAction | ''>('');
  const read = usePermission('readAuditLog');
  const log = trpc.auditLogs.list.useInfiniteQuery(
    { limit: AUDIT_PAGE_SIZE, ...(action ? { action } : {}) },
    // A role that may not read it is told why, instead of asking for a 403.
    { getNextPageParam: (page) => page.nextCursor ?? undefined, enabled: read.allowed },
  );
  const myUserId = useAccount()?.user.id;
  const entries = log.data?.pages.flatMap((p) => p.data) ?? [];

  if (!read.allowed) {
    return (
      <>
        <PageHeader title="Audit log" />
        {read.note}
      </>
    );
  }
  return (
    <>
      <PageHeader
        title="Audit log"
        description="What happened in this workspace, newest first: sign-ins, key changes, refused requests. Secrets and full keys are never recorded."
      />
      <div className="toolbar">
        <div className="field field-inline">
          <label htmlFor={filterId}>Action</label>
          <select id={filterId} value={action} onChange={(e) => setAction(e.target.value as AuditAction | '')} data-testid="audit-filter">
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((a) => (
              <option key={a} value={a}>
                {ACTION_LABELS[a]} ({a})
              </option>
            ))}
          </select>
        </div>
      </div>
      {log.isPending ? (
        <Spinner label="Loading the audit log…" />
      ) : log.error && entries.length === 0 ? (
        <ErrorState error={log.error} onRetry={() => log.refetch()} title="Could not load the audit log" />
      ) : entries.length === 0 ? (
        <EmptyState title="Nothing recorded yet">{action ? `No “${actionLabel(action)}” entries.` : 'Actions in this workspace will appear here.'}</EmptyState>
      ) : (
        <>
          <div className="table-wrap">
            <table className="table audit-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Action</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Target</th>
                  <th scope="col">IP</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <AuditRow key={e.id} entry={e} myUserId={myUserId} />
                ))}
              </tbody>
            </table>
          </div>
          <LoadMore
            hasMore={log.hasNextPage}
            loading={log.isFetchingNextPage}
            onMore={() => log.fetchNextPage()}
            end={
              <p className="muted small" data-testid="audit-end">
                {entries.length} {entries.length === 1 ? 'entry' : 'entries'}: that’s everything.
              </p>
            }
            error={log.error}
            errorTitle="Could not load more entries"
            onRetry={() => log.fetchNextPage()}
          />
        </>
      )}
    </>
  );
}

/** Targets with a page of their own link to it. */
const TARGET_PAGES: Record<string, string> = { api_key: '/keys', webhook: '/webhooks' };

function ref(t: { type: string; id: string | null }, myUserId: string | undefined) {
  if (t.type === 'user' && t.id !== null && t.id === myUserId) return <span>You</span>;
  const page = t.id ? TARGET_PAGES[t.type] : undefined;
  if (page && t.id) {
    return (
      <Link to={`${page}/${t.id}`} className="mono small">
        {t.id}
      </Link>
    );
  }
  return (
    <span className="small">
      {t.type}
      {t.id && <span className="mono muted"> {t.id}</span>}
    </span>
  );
}

function AuditRow({ entry: e, myUserId }: { entry: Entry; myUserId: string | undefined }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const summary = metadataSummary(e.metadata);
  return (
    <>
      <tr data-testid="audit-row" data-action={e.action} className={open ? 'audit-row-open' : undefined}>
        <td data-label="When" className="cell-time">
          <RelativeTime iso={e.createdAt} />
        </td>
        <th scope="row" data-label="Action">
          <span className={DENIAL_ACTIONS.has(e.action) ? 'text-danger' : undefined}>{actionLabel(e.action)}</span>
          <code className="mono muted small action-code">{e.action}</code>
        </th>
        <td data-label="Actor">{ref(e.actor, myUserId)}</td>
        <td data-label="Target">{e.target ? ref(e.target, myUserId) : <span className="muted">—</span>}</td>
        <td data-label="IP">{e.ip ? <code className="mono small">{e.ip}</code> : <span className="muted">—</span>}</td>
        <td data-label="Details">
          {/* The summary is cut to fit the column; the button opens all of it, with the rest of the entry. */}
          <button
            type="button"
            className="audit-toggle"
            aria-expanded={open}
            aria-controls={open ? panelId : undefined}
            onClick={() => setOpen((o) => !o)}
            data-testid="audit-toggle"
          >
            <span className="visually-hidden">Details: </span>
            <span className="audit-summary">{summary || '—'}</span>
            <span className="audit-chevron" aria-hidden="true">
              ▾
            </span>
          </button>
        </td>
      </tr>
      {open && (
        <tr id={panelId} className="audit-panel" data-testid="audit-panel">
          <td colSpan={6}>
            <AuditEntryDetails entry={e} />
          </td>
        </tr>
      )}
    </>
  );
}

/** Everything recorded about one entry, nothing cut short. */
function AuditEntryDetails({ entry: e }: { entry: Entry }) {
  const fields: [string, string][] = [
    ['When', exactTime(e.createdAt)],
    ['Action', e.action],
    ['Actor', [e.actor.type, e.actor.id].filter(Boolean).join(' ')],
    ['Target', e.target ? `${e.target.type} ${e.target.id}` : '—'],
    ['IP', e.ip ?? '—'],
    ['User agent', e.userAgent ?? '—'],
    ...metadataFields(e.metadata),
  ];
  return (
    <dl className="audit-fields">
      {fields.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
