import type { UsageCounts } from '@pc/contract';
import { useId, useState, type ReactNode } from 'react';
import { count } from '../../lib/format.js';
import { Button } from '../../lib/ui.js';
import { OUTCOMES } from './usage-outcomes.js';

/** The chart's legend, which doubles as the totals in text: a swatch, the outcome and its count. */
export function UsageLegend({ totals }: { totals: UsageCounts }) {
  return (
    <ul className="usage-legend" data-testid="usage-legend">
      {OUTCOMES.map((o) => (
        <li key={o.key} data-outcome={o.key}>
          <span className={`usage-swatch usage-swatch-${o.key}`} aria-hidden="true" />
          {o.label} <strong>{count(totals[o.key])}</strong>
        </li>
      ))}
    </ul>
  );
}

/**
 * The numbers behind a chart, as a table: always there for screen readers, shown on request for
 * everyone else.
 */
export function ChartTable({ children, testId }: { children: ReactNode; testId: string }) {
  const [shown, setShown] = useState(false);
  const id = useId();
  return (
    <>
      <Button variant="ghost" className="chart-table-toggle" aria-expanded={shown} aria-controls={id} onClick={() => setShown(!shown)}>
        {shown ? 'Hide the numbers' : 'Show as a table'}
      </Button>
      <div id={id} className={shown ? 'num-table-wrap' : 'visually-hidden'} data-testid={testId}>
        {children}
      </div>
    </>
  );
}
