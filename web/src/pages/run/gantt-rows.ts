/**
 * @module web/pages/run/gantt-rows
 * A run's attempts as Gantt rows: per step (in the order given), the wait in the queue
 * before its first attempt, its attempts, and the waits between them.
 */
import type { Attempt, Run, StepRun } from '../../api/types.js';

/** A bar of a row: times are ms since the epoch. */
export type GanttBar =
  | { kind: 'attempt'; attempt: number; state: string; from: number; to: number }
  | { kind: 'queued' | 'retry'; from: number; to: number };

/** A step's row. */
export interface GanttRow {
  stepId: string;
  bars: GanttBar[];
}

/**
 * The rows, and the time span they cover: from the run's start (or its first bar) to its
 * end, or `now` while it runs. A running attempt's bar ends at `now`.
 */
export function ganttRows(steps: readonly StepRun[], attempts: readonly Attempt[], run: Pick<Run, 'startedAt' | 'endedAt'>, now: number): { rows: GanttRow[]; start: number; end: number } {
  const byStep = new Map<string, Attempt[]>();
  for (const a of attempts) {
    const list = byStep.get(a.stepId);
    if (list) list.push(a);
    else byStep.set(a.stepId, [a]);
  }
  let start = run.startedAt ?? Number.POSITIVE_INFINITY;
  let end = run.endedAt ?? now;
  const rows = steps.map((s): GanttRow => {
    const list = (byStep.get(s.stepId) ?? []).sort((a, b) => a.number - b.number);
    const bars: GanttBar[] = [];
    const first = list[0];
    if (first && s.queuedAt !== undefined && s.queuedAt < first.startedAt) bars.push({ kind: 'queued', from: s.queuedAt, to: first.startedAt });
    list.forEach((a, i) => {
      const prev = list[i - 1];
      if (prev?.endedAt !== undefined && prev.endedAt < a.startedAt) bars.push({ kind: 'retry', from: prev.endedAt, to: a.startedAt });
      bars.push({ kind: 'attempt', attempt: a.number, state: a.state, from: a.startedAt, to: a.endedAt ?? Math.max(a.startedAt, now) });
    });
    // A step waiting to retry now: its wait runs to its due time, or to now.
    const last = list[list.length - 1];
    if (s.state === 'retrying' && last?.endedAt !== undefined) bars.push({ kind: 'retry', from: last.endedAt, to: Math.max(last.endedAt, Math.min(s.dueAt ?? now, now)) });
    for (const b of bars) {
      start = Math.min(start, b.from);
      end = Math.max(end, b.to);
    }
    return { stepId: s.stepId, bars };
  });
  if (!Number.isFinite(start)) start = end;
  return { rows, start, end };
}
