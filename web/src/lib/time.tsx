/**
 * @module web/lib/time
 * Times as people read them: in the browser's time zone, with the UTC time on hover
 * (`title`), and durations as `1h 2m`, `3.4s`.
 */
import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';

const local = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
const localShort = new Intl.DateTimeFormat(undefined, { month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });

/** `ms` since the epoch as UTC text: `2024-05-01 12:00:00 UTC`. */
export function utcText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** `ms` since the epoch in the browser's time zone. */
export function localText(ms: number, short = false): string {
  return (short ? localShort : local).format(new Date(ms));
}

/** A time in the browser's zone, UTC in its tooltip; `—` when absent. */
export function Time({ ms, short = false }: { ms: number | undefined; short?: boolean }): ReactNode {
  if (ms === undefined) return <span className="muted">—</span>;
  return <time dateTime={new Date(ms).toISOString()} title={utcText(ms)}>{localText(ms, short)}</time>;
}

/** A duration, ms, as `850ms`, `3.4s`, `2m 05s`, `1h 02m`, `3d 4h`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Bytes as `512 B`, `3.2 MiB`. */
export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

/** The current time, ms, re-rendering every `everyMs` (a clock for elapsed times; it asks the server nothing). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}
