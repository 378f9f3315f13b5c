/**
 * @module web/components/runs-chart
 * Runs that ended per bucket, succeeded and failed, as uPlot bars (from `GET /history`).
 * uPlot draws on a canvas; its CSS is a file Vite extracts (no inline style elements).
 */
import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { History } from '../api/types.js';

/** A CSS variable's value on the root, for canvas colours that follow the theme. */
export function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

/** The chart of a history summary's buckets. */
export function RunsChart({ history, label }: { history: History; label: string }): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = history.buckets.map((b) => b.start / 1000);
    const step = history.by === 'hour' ? 3600 : 86_400;
    const ok = history.buckets.map((b) => b.succeeded);
    const bad = history.buckets.map((b) => b.failed);
    // Side by side in each bucket: succeeded left of the tick, failed right of it.
    const left = uPlot.paths.bars?.({ size: [0.4, 24], align: -1 });
    const right = uPlot.paths.bars?.({ size: [0.4, 24], align: 1 });
    const text = cssVar('--text', '#222');
    const grid = cssVar('--border', '#ccc');
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } };
    const plot = new uPlot({
      width: Math.max(280, el.clientWidth),
      height: 220,
      // Room for the first bucket's left bar and the last bucket's right bar.
      scales: { x: { time: true, range: (_u, min, max) => [min - step, max + step] } },
      axes: [axis, { ...axis, label: 'runs' }],
      series: [
        {},
        { label: 'succeeded', points: { show: false }, stroke: cssVar('--st-succeeded', 'green'), fill: cssVar('--st-succeeded', 'green'), ...(left ? { paths: left } : {}) },
        { label: 'failed', points: { show: false }, stroke: cssVar('--st-failed', 'red'), fill: cssVar('--st-failed', 'red'), ...(right ? { paths: right } : {}) },
      ],
    }, [xs, ok, bad], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [history]);
  const total = history.buckets.reduce((n, b) => n + b.succeeded + b.failed, 0);
  return (
    <figure className="chart" aria-label={label}>
      <div ref={box} role="img" aria-label={`${label}: ${total} runs ended`} />
    </figure>
  );
}
