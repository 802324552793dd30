import type { ApiKeyUsage, UsageGranularity } from '@pc/contract';
import { Suspense, lazy, useState } from 'react';
import { count } from '../../lib/format.js';
import { trpc } from '../../lib/trpc.js';
import { EmptyState, ErrorState, Segmented, Spinner } from '../../lib/ui.js';
import { ChartTable, UsageLegend } from './usage-legend.js';
import { OUTCOMES, bucketLabels, requests, sumCounts, totalOf } from './usage-outcomes.js';

// Chart.js loads with the first chart, never with the page around it.
const StackedBarChart = lazy(() => import('./stacked-bar-chart.js'));

const RANGES: { value: UsageGranularity; label: string; per: string }[] = [
  { value: 'hour', label: 'Last 24 hours', per: 'hour' },
  { value: 'day', label: 'Last 30 days', per: 'day (UTC)' },
];
const CHART_HEIGHT = 220;

/** A key's requests over time, by outcome: the last 24 hours by hour or the last 30 days by day. */
export function KeyUsage({ id }: { id: string }) {
  const [granularity, setGranularity] = useState<UsageGranularity>('hour');
  // No from/to: the server's defaults are exactly these two ranges, ending now, and the query key stays stable.
  const usage = trpc.apiKeys.usage.useQuery({ id, granularity });
  const range = RANGES.find((r) => r.value === granularity)!;

  return (
    <section className="card" aria-labelledby="key-usage" data-testid="key-usage">
      <div className="card-head">
        <h2 id="key-usage" className="card-title">
          Usage
        </h2>
        <Segmented legend="Usage period" name={`usage-range-${id}`} options={RANGES} value={granularity} onChange={setGranularity} />
      </div>
      {usage.isPending ? (
        <Spinner label="Loading usage…" />
      ) : usage.error ? (
        <ErrorState error={usage.error} onRetry={() => usage.refetch()} title="Could not load this key’s usage" />
      ) : (
        <UsageOverTime data={usage.data} range={range} />
      )}
    </section>
  );
}

function UsageOverTime({ data, range }: { data: ApiKeyUsage; range: (typeof RANGES)[number] }) {
  const totals = sumCounts(data.data);
  const total = totalOf(totals);
  const period = range.label.toLowerCase();
  if (total === 0) {
    return (
      <EmptyState title={`No requests in the ${period}`}>
        Every request made with this key is counted here by the {range.value}, whether it was let through or refused.
      </EmptyState>
    );
  }
  const labels = data.data.map((b) => bucketLabels(b, data.granularity));
  // The table reads newest first, where one looks for what just happened; the chart left to right.
  const newestFirst = data.data.map((b, i) => ({ b, label: labels[i]! })).reverse();
  return (
    <>
      <p className="usage-summary" data-testid="key-usage-total">
        <strong>{requests(total)}</strong> in the {period}
      </p>
      <UsageLegend totals={totals} />
      <Suspense fallback={<div className="chart" style={{ height: CHART_HEIGHT }} />}>
        <StackedBarChart
          testId="key-usage-chart"
          height={CHART_HEIGHT}
          label={`Requests per ${range.value} in the ${period}, stacked by outcome. The numbers are in the table that follows.`}
          labels={labels.map((l) => l.tick)}
          titles={labels.map((l) => l.full)}
          series={OUTCOMES.map((o) => ({ label: o.label, color: o.color, values: data.data.map((b) => b[o.key]) }))}
        />
      </Suspense>
      <ChartTable testId="key-usage-table">
        <table className="num-table">
          <caption className="visually-hidden">
            Requests per {range.per}, {period}
          </caption>
          <thead>
            <tr>
              <th scope="col">{range.value === 'hour' ? 'Hour' : 'Day (UTC)'}</th>
              {OUTCOMES.map((o) => (
                <th key={o.key} scope="col">
                  {o.label}
                </th>
              ))}
              <th scope="col">Total</th>
            </tr>
          </thead>
          <tbody>
            {newestFirst.map(({ b, label }) => (
              <tr key={b.start} data-start={b.start}>
                <th scope="row">
                  <time dateTime={b.start}>{label.full}</time>
                </th>
                {OUTCOMES.map((o) => (
                  <td key={o.key} data-outcome={o.key}>
                    {count(b[o.key])}
                  </td>
                ))}
                <td data-outcome="total">{count(totalOf(b))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ChartTable>
    </>
  );
}
