/**
 * Chart.js, registering only the bar chart's parts (~52 KB gzip), in a chunk of its own that only the
 * usage views import (lazily). Chosen over uPlot (~23 KB) because both charts we draw are stacked
 * bars, one of them horizontal, which Chart.js does natively (`stacked`, `indexAxis`) with tooltips
 * and resizing; uPlot is built for time-series lines and would need our own stacking and bar
 * plugins. Chart.js is widely used and actively released, has no runtime dependency but a tiny
 * colour library, and injects no <style> (our CSP is `style-src 'self'`).
 */
import { BarController, BarElement, CategoryScale, Chart, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef, useSyncExternalStore } from 'react';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip);

export interface BarSeries {
  label: string;
  /** A CSS custom property defined for light and dark mode, e.g. `--usage-ok`. */
  color: string;
  values: readonly number[];
}

interface Props {
  /** Axis labels, one per bar. */
  labels: readonly string[];
  /** What a tooltip calls each bar; defaults to its label. */
  titles?: readonly string[];
  series: readonly BarSeries[];
  horizontal?: boolean;
  /** What the chart shows, for screen readers; the numbers themselves are in a table beside it. */
  label: string;
  height: number;
  testId?: string;
}

const DARK = '(prefers-color-scheme: dark)';
function subscribeScheme(onChange: () => void) {
  const mq = window.matchMedia?.(DARK);
  mq?.addEventListener('change', onChange);
  return () => mq?.removeEventListener('change', onChange);
}
const isDark = () => window.matchMedia?.(DARK).matches ?? false;

/** Stacked bars whose colours follow the theme's CSS variables, redrawn when the colour scheme changes. */
export default function StackedBarChart({ labels, titles, series, horizontal = false, label, height, testId }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const dark = useSyncExternalStore(subscribeScheme, isDark, () => false);
  // Props are rebuilt on every render of the page; redraw only when what is drawn changes.
  const spec = JSON.stringify({ labels, titles, series, horizontal });

  useEffect(() => {
    const canvas = canvasRef.current;
    // No 2D context (a test DOM): keep the canvas and its fallback text, draw nothing.
    if (!canvas || !canvas.getContext('2d')) return;
    const css = getComputedStyle(canvas);
    const v = (name: string) => css.getPropertyValue(name).trim();
    const text = v('--text-muted');
    const grid = v('--border-muted');
    const { labels, titles, series, horizontal } = JSON.parse(spec) as Omit<Props, 'label' | 'height'>;
    const valueAxis = { stacked: true, beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { color: grid }, border: { display: false } };
    const categoryAxis = { stacked: true, ticks: { color: text, maxRotation: 0, autoSkipPadding: 12 }, grid: { display: false }, border: { color: grid } };

    const chart = new Chart(canvas, {
      type: 'bar',
      data: {
        labels: [...labels],
        datasets: series.map((s) => ({
          label: s.label,
          data: [...s.values],
          backgroundColor: v(s.color),
          hoverBackgroundColor: v(s.color),
          borderWidth: 0,
          maxBarThickness: 28,
          categoryPercentage: 0.85,
          barPercentage: 0.9,
        })),
      },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        font: { family: v('--sans'), size: 12 },
        interaction: { mode: 'index', intersect: false, axis: horizontal ? 'y' : 'x' },
        scales: horizontal ? { x: valueAxis, y: categoryAxis } : { x: categoryAxis, y: valueAxis },
        plugins: {
          tooltip: {
            backgroundColor: v('--surface'),
            titleColor: v('--text'),
            bodyColor: v('--text'),
            borderColor: v('--border'),
            borderWidth: 1,
            boxPadding: 4,
            // A zero says nothing on hover; the table has every number.
            filter: (item) => item.parsed[horizontal ? 'x' : 'y'] !== 0,
            callbacks: { title: (items) => (titles ?? labels)[items[0]?.dataIndex ?? 0] ?? '' },
          },
        },
      },
    });
    return () => chart.destroy();
  }, [spec, dark]);

  return (
    <div className="chart" style={{ height }} data-testid={testId}>
      <canvas ref={canvasRef} role="img" aria-label={label}>
        {label}
      </canvas>
    </div>
  );
}
