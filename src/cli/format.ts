/**
 * @module cli/format
 * Plain-text formatting shared by commands: durations, times, tables, state colors.
 */
import { formatMs } from '../runtime/index.js';
import type { RunEta } from '../observe/index.js';

export { formatMs };

/** Whether to color: a terminal, and `NO_COLOR` unset (no-color.org). */
export const useColor = process.stdout.isTTY === true && !process.env.NO_COLOR;

const COLORS: Record<string, number> = {
  succeeded: 32, failed: 31, running: 36, queued: 33, retrying: 35, cancelled: 90, skipped: 90, pending: 90, lost: 31,
  // circuit breakers
  open: 31, 'half-open': 35,
};

/** A state name, colored on a terminal. */
export function paintState(state: string): string {
  const c = COLORS[state];
  return useColor && c ? `\u001b[${c}m${state}\u001b[0m` : state;
}

/**
 * A run's state as shown: a run paused by an operator that has not ended reads
 * `running (paused)` or `queued (paused)`; the state itself stays one of the run states.
 */
export function runStateText(run: { state: string; pausedAt?: number }): string {
  const ended = run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled';
  return paintState(run.state) + (run.pausedAt !== undefined && !ended ? ' (paused)' : '');
}

/** Dim text on a terminal. */
export function dim(s: string): string {
  return useColor ? `\u001b[2m${s}\u001b[0m` : s;
}

/** Width of text as shown (ANSI codes do not count). */
export function visibleLength(s: string): number {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** Left-aligned columns with two spaces between. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(c))));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visibleLength(c)))).join('  ').trimEnd())
    .join('\n');
}

/** Local time as `2026-11-21 23:05:09`. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Elapsed between two times, or until now when not ended. */
export function elapsed(start: number | undefined, end: number | undefined, now = Date.now()): string {
  if (start === undefined) return '-';
  return formatMs(Math.max(0, (end ?? now) - start));
}

/** `1 step`, `2 steps`: a count with its noun, plural unless it is one (add `s`, or `plural`). */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

/** Bytes as GiB with one decimal (`15.5 GiB`): memory of machines and workers. */
export function formatGiB(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** A predicted time as a person reads it: `14:32` today, `Dec 9 14:32` another day (local time). */
export function clockTime(ms: number, now = Date.now()): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  return new Date(now).toDateString() === d.toDateString() ? hm : `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()} ${hm}`;
}

/** Where an ETA came from, in words. */
const ETA_BASIS: Readonly<Record<RunEta['basis'], string>> = { steps: 'from step history', runs: 'from run durations', unknown: 'no history yet' };

/**
 * A run's ETA line: `ETA 14:32 (p90 14:40) from step history`, or `ETA unknown (no history
 * yet)`; undefined for an ETA with nothing to say of an ended run (absent).
 */
export function etaText(eta: RunEta | undefined, now = Date.now()): string | undefined {
  if (eta === undefined) return undefined;
  const deadline = eta.deadline === undefined ? '' : `; deadline ${clockTime(eta.deadline, now)}${deadlineState(eta, now)}`;
  if (eta.p50 === null || eta.p90 === null) return `ETA unknown (${ETA_BASIS.unknown})${deadline}`;
  return `ETA ${clockTime(eta.p50, now)} (p90 ${clockTime(eta.p90, now)}) ${ETA_BASIS[eta.basis]}${deadline}`;
}

/** `: missed`, `: at risk` (the p90 is past it), or nothing: what `deadline-missed` / `deadline-at-risk` judge. */
function deadlineState(eta: RunEta, now: number): string {
  if (eta.deadline === undefined) return '';
  if (now > eta.deadline) return ': missed';
  return eta.p90 !== null && eta.p90 > eta.deadline ? ': at risk' : '';
}

/** The short ETA of a table cell: `14:32 (p90 14:40)`, `?` when unknown, `-` when absent. */
export function etaCell(eta: RunEta | undefined, now = Date.now()): string {
  if (eta === undefined) return '-';
  if (eta.p50 === null || eta.p90 === null) return '?';
  return `${clockTime(eta.p50, now)} (p90 ${clockTime(eta.p90, now)})`;
}
