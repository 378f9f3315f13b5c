/**
 * @module workflow/deadline
 * The `deadline:` field of a workflow or of a schedule entry: when a run must have ended.
 * Either a duration after the run is due (`deadline: 4h`) or a time of day (`deadline:
 * "06:00"`, "ready by six"), read in the schedule's time zone: the first such time at or
 * after the run is due. Alerting compares it with the run's ETA (`deadline-at-risk` as soon
 * as the p90 end passes it, `deadline-missed` once the clock does) — unlike Airflow's SLAs,
 * which were only checked after a run finished and were dropped in Airflow 3.
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseDuration, MAX_DURATION_MS } from './duration.js';

/** A compiled deadline: an offset from when the run is due, or a wall-clock time of day. */
export type DeadlineSpec =
  /** ms after the run is due (> 0). */
  | { afterMs: number }
  /** `HH:MM`, 24-hour, in the zone of the schedule that created the run (else the workflow's first schedule's, else UTC). */
  | { at: string };

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const deadlineError = 'deadline must be a duration after the run is due ("4h", "90m") or a time of day "HH:MM" ("06:00")';

/** `deadline:` as written: a duration (text or seconds) or `"HH:MM"`. */
export const DeadlineSchema = z.union([z.string(), z.number()], { error: deadlineError }).superRefine((v, ctx) => {
  if (typeof v === 'string' && TIME_OF_DAY.test(v.trim())) return;
  if (typeof v === 'string' && /^\d{1,2}:\d{2}/.test(v.trim())) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a time of day: use HH:MM from 00:00 to 23:59` });
    return;
  }
  try {
    const ms = parseDuration(v);
    if (ms <= 0 || ms > MAX_DURATION_MS) ctx.addIssue({ code: 'custom', message: 'deadline must be more than 0 and at most 365 days after the run is due' });
  } catch {
    ctx.addIssue({ code: 'custom', message: deadlineError });
  }
});

/**
 * Compiles a written deadline.
 * @throws RangeError for a value {@link DeadlineSchema} refuses (validation ran first).
 */
export function compileDeadline(v: string | number): DeadlineSpec {
  if (typeof v === 'string' && TIME_OF_DAY.test(v.trim())) return { at: v.trim() };
  return { afterMs: parseDuration(v) };
}

/**
 * When a run due at `dueAt` must have ended, ms since the epoch.
 * A time of day is the first `HH:MM` in `timezone` at or after `dueAt` (croner does the
 * zone arithmetic, DST included): a run due at 02:00 with `"06:00"` has four hours; one due
 * at 07:00 has until 06:00 the next day.
 * @param timezone - IANA zone of a time of day; @default 'UTC'
 */
export function deadlineAt(deadline: DeadlineSpec, dueAt: number, timezone = 'UTC'): number {
  if ('afterMs' in deadline) return dueAt + deadline.afterMs;
  const [, hh, mm] = TIME_OF_DAY.exec(deadline.at)!;
  const cron = new Cron(`${Number(mm)} ${Number(hh)} * * *`, { timezone, paused: true });
  // nextRun answers strictly after its argument; a second earlier makes "at or after" (minute precision).
  const next = cron.nextRun(new Date(dueAt - 1000))?.getTime();
  return next ?? dueAt + 86_400_000;
}

/** What {@link runDeadline} reads of a workflow definition. */
export interface DeadlineView {
  deadline?: DeadlineSpec;
  schedules: readonly { name: string; timezone: string; deadline?: DeadlineSpec }[];
}

/** What {@link runDeadline} reads of a run. */
export interface DeadlineRun {
  createdAt: number;
  dueAt?: number;
  scheduleId?: string;
  tickAt?: number;
}

/**
 * A run's deadline, ms since the epoch, or undefined when neither its schedule entry nor its
 * workflow declares one. A run is due at its schedule tick, else at its `dueAt` (a delayed
 * run), else when it was created. The schedule entry's own `deadline` wins over the
 * workflow's; a time of day is read in the entry's zone (a run no schedule created: the
 * workflow's first schedule's zone, else UTC).
 */
export function runDeadline(view: DeadlineView, run: DeadlineRun): number | undefined {
  const entryName = run.scheduleId?.slice(run.scheduleId.lastIndexOf('/') + 1);
  const entry = entryName === undefined ? undefined : view.schedules.find((s) => s.name === entryName);
  const deadline = entry?.deadline ?? view.deadline;
  if (!deadline) return undefined;
  const due = run.tickAt ?? run.dueAt ?? run.createdAt;
  return deadlineAt(deadline, due, (entry ?? view.schedules[0])?.timezone ?? 'UTC');
}
