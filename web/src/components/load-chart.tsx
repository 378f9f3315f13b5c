/**
 * @module web/components/load-chart
 * One load series as uPlot lines: the past hours solid, the forecast hours dashed, joined at
 * the last complete hour. Colours come from the theme's CSS variables (read when drawn); uPlot
 * draws on a canvas and sets styles through the CSSOM only, which the dashboard's CSP
 * (`style-src 'self'`) allows. The canvas is `role="img"` with a one-line summary; the
 * caller gives the table that says the same in text.
 */
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { cssVar } from './runs-chart.js';

/** One point of a load series: an hour's start (ms since the epoch) and its value. */
export interface LoadPoint {
  start: number;
  value: number;
}

/** The chart of `history` then `forecast` (both oldest first), labelled `label`, values in `unit`. */
export function LoadChart({ history, forecast, label, unit, summary }: {
  history: LoadPoint[];
  forecast: LoadPoint[];
  label: string;
  unit: string;
  /** What the chart shows, in a sentence (its accessible name). */
  summary: string;
}): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = [...history, ...forecast].map((p) => p.start / 1000);
    const past: (number | null)[] = [...history.map((p) => p.value), ...forecast.map(() => null)];
    // The forecast starts from the last known hour, so the two lines meet.
    const ahead: (number | null)[] = [...history.map(() => null), ...forecast.map((p) => p.value)];
    if (history.length && forecast.length) ahead[history.length - 1] = history[history.length - 1]!.value;
    const text = cssVar('--text', '#222');
    const grid = cssVar('--border', '#ccc');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const plot = new uPlot({
      width: Math.max(280, el.clientWidth),
      height: 200,
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      axes: [axis, { ...axis, label: unit }],
      series: [
        {},
        { label: `${label} (last ${history.length} h)`, stroke: cssVar('--accent', 'blue'), width: 2, points: { show: false } },
        { label: `forecast (next ${forecast.length} h)`, stroke: cssVar('--st-queued', 'purple'), width: 2, dash: [6, 4], points: { show: false } },
      ],
    }, [xs, past, ahead], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 200 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [history, forecast, label, unit]);
  return (
    <figure className="chart" aria-label={label}>
      <div ref={box} role="img" aria-label={summary} />
    </figure>
  );
}
