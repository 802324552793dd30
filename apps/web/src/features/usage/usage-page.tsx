import type { WorkspaceUsage } from '@pc/contract';
import { Suspense, lazy, useMemo, useState } from 'react';
import { count, plural } from '../../lib/format.js';
import { Link } from '../../lib/router.js';
import { trpc } from '../../lib/trpc.js';
import { Badge, EmptyState, ErrorState, PageHeader, Segmented, Spinner } from '../../lib/ui.js';
import { KeyPrefix } from '../api-keys/key-status.js';
import { UsageLegend } from './usage-legend.js';
import { DAY_MS, OUTCOMES, hourStart, requests, sumCounts } from './usage-outcomes.js';

const StackedBarChart = lazy(() => import('./stacked-bar-chart.js'));

type Days = 7 | 30 | 90;
const RANGES: { value: Days; label: string }[] = [
  { value: 7, label: '7 days' },
  { value: 30, label: '30 days' },
  { value: 90, label: '90 days' },
];
const TOP = 10;

export default function UsagePage() {
  const [days, setDays] = useState<Days>(30);
  // From the start of an hour: the query key holds still for the hour instead of changing every render.
  const from = useMemo(() => hourStart(Date.now() - days * DAY_MS), [days]);
  const usage = trpc.usage.workspace.useQuery({ from });

  return (
    <>
      <PageHeader
        title="Usage"
        description="Requests made with each API key, by outcome: let through, or refused for the caller’s IP address, the rate limit or an expired key. Counted by the hour."
      />
      <div className="toolbar">
        <Segmented legend="Period" name="usage-days" options={RANGES} value={days} onChange={setDays} testId="usage-range" />
      </div>
      {usage.isPending ? (
        <Spinner label="Loading usage…" />
      ) : usage.error ? (
        <ErrorState error={usage.error} onRetry={() => usage.refetch()} title="Could not load usage" />
      ) : usage.data.data.length === 0 ? (
        <EmptyState title={`No requests in the last ${days} days`} action={<Link to="/keys">Go to API keys</Link>}>
          Every request made with one of this workspace’s API keys is counted here, whether it was let through or refused.
        </EmptyState>
      ) : (
        <WorkspaceUsageView data={usage.data} days={days} />
      )}
    </>
  );
}

function WorkspaceUsageView({ data, days }: { data: WorkspaceUsage; days: Days }) {
  const keys = data.data;
  const totals = sumCounts(keys);
  const total = keys.reduce((n, k) => n + k.total, 0);
  const top = keys.slice(0, TOP);
  return (
    <>
      <section className="card" aria-labelledby="usage-top">
        <h2 id="usage-top" className="card-title">
          {keys.length > TOP ? `Top ${TOP} keys` : 'By key'}
        </h2>
        <p className="usage-summary" data-testid="usage-total">
          <strong>{requests(total)}</strong> with {plural(keys.length, 'key')} in the last {days} days
        </p>
        <UsageLegend totals={totals} />
        <Suspense fallback={<div className="chart" style={{ height: chartHeight(top.length) }} />}>
          <StackedBarChart
            testId="usage-chart"
            horizontal
            height={chartHeight(top.length)}
            label={`Requests per key in the last ${days} days, most first, stacked by outcome. The numbers are in the table below.`}
            labels={top.map((k) => (top.some((o) => o !== k && o.name === k.name) ? `${k.name} · ${k.prefix.slice(-4)}` : k.name))}
            titles={top.map((k) => `${k.name} (${k.prefix}…)`)}
            series={OUTCOMES.map((o) => ({ label: o.label, color: o.color, values: top.map((k) => k[o.key]) }))}
          />
        </Suspense>
      </section>

      <div className="table-wrap">
        <table className="table" data-testid="usage-table">
          <caption className="visually-hidden">Requests per key in the last {days} days, most first</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Prefix</th>
              <th scope="col" className="num">
                Total
              </th>
              {OUTCOMES.map((o) => (
                <th key={o.key} scope="col" className="num">
                  {o.label}
                </th>
              ))}
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.keyId} data-testid="usage-row" data-key-id={k.keyId} className={k.isActive ? undefined : 'row-inactive'}>
                <th scope="row" data-label="Key">
                  <Link to={`/keys/${k.keyId}`} className="row-link">
                    {k.name}
                  </Link>
                </th>
                <td data-label="Prefix">
                  <KeyPrefix prefix={k.prefix} />
                </td>
                <td data-label="Total" className="num" data-outcome="total">
                  <strong>{count(k.total)}</strong>
                </td>
                {OUTCOMES.map((o) => (
                  <td key={o.key} data-label={o.label} className="num" data-outcome={o.key}>
                    {count(k[o.key])}
                  </td>
                ))}
                <td data-label="Status">{k.isActive ? <Badge tone="success">Active</Badge> : <Badge tone="muted">Inactive</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Room for each bar and the value axis under them. */
const chartHeight = (bars: number) => 48 + bars * 34;
