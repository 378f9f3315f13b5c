/**
 * @module triggers/backfill
 * Runs for schedule ticks in the past (`baton backfill`). Each tick is recorded through
 * `Store.fireTick`, the same unique (schedule, tick time) key the live scheduler writes in the
 * transaction of its run, so a tick gets one run whichever of a backfill, a second backfill of
 * the same range or the scheduler records it first. Time is an argument: tests drive it with
 * any clock.
 */
import type { ScheduleSpec, WorkflowSpec } from '../workflow/index.js';
import { nextFireTimes, resolveParams } from '../workflow/index.js';
import type { Store } from '../store/index.js';
import { newRun, workflowRecord } from '../runtime/index.js';
import { BatonError } from '../shared/index.js';

/** Most ticks one backfill covers unless told otherwise (`--max-ticks`). */
export const MAX_BACKFILL_TICKS = 10_000;

/** Why a backfill cannot go ahead: `no-schedule`, `which-schedule`, `unknown-schedule`, `range`, `too-many-ticks`. */
export type BackfillProblem = 'no-schedule' | 'which-schedule' | 'unknown-schedule' | 'range' | 'too-many-ticks';

/** Thrown by {@link backfillTicks} and {@link backfill} for a request that cannot be met; `problem` says which. */
export class BackfillError extends BatonError {
  /** What is wrong. */
  readonly problem: BackfillProblem;

  constructor(problem: BackfillProblem, message: string) {
    super('backfill', message);
    this.problem = problem;
  }
}

/**
 * The schedule of `spec` a backfill uses: the one named, or its only one.
 * @throws BackfillError `no-schedule`, `which-schedule` (several and none named), `unknown-schedule`
 */
export function pickSchedule(spec: WorkflowSpec, name?: string): ScheduleSpec {
  const names = spec.schedules.map((s) => s.name);
  if (spec.schedules.length === 0) throw new BackfillError('no-schedule', `workflow ${spec.name} declares no schedule: a backfill replays schedule ticks`);
  if (name === undefined) {
    if (spec.schedules.length > 1) throw new BackfillError('which-schedule', `workflow ${spec.name} has ${spec.schedules.length} schedules (${names.join(', ')}): say which with --schedule NAME`);
    return spec.schedules[0]!;
  }
  const found = spec.schedules.find((s) => s.name === name || s.id === name);
  if (found === undefined) throw new BackfillError('unknown-schedule', `workflow ${spec.name} has no schedule "${name}": its schedules are ${names.join(', ')}`);
  return found;
}

/**
 * Every tick of the schedule in [from, to] (both ends included), oldest first, in the
 * schedule's time zone (croner). Stops looking at `max + 1` ticks.
 * @throws BackfillError `range` when `from` is after `to`; `too-many-ticks` past `max`
 *   (@default {@link MAX_BACKFILL_TICKS})
 */
export function backfillTicks(s: Pick<ScheduleSpec, 'cron' | 'timezone'>, from: number, to: number, max = MAX_BACKFILL_TICKS): number[] {
  if (from > to) throw new BackfillError('range', `--from ${new Date(from).toISOString()} is after --to ${new Date(to).toISOString()}`);
  const ticks: number[] = [];
  // nextFireTimes answers ticks strictly after its start: start 1 ms early so `from` counts.
  let after = from - 1;
  // Chunks grow from 8 to 1,000: a short range asks croner for few ticks past `to`.
  for (let size = 8; ; size = Math.min(1_000, size * 2)) {
    const chunk = nextFireTimes(s, after, Math.min(size, max + 1 - ticks.length));
    for (const t of chunk) {
      if (t > to) return ticks;
      ticks.push(t);
    }
    if (ticks.length > max) {
      throw new BackfillError('too-many-ticks', `the range holds more than ${max.toLocaleString('en-US')} ticks of ${s.cron} (${s.timezone}): backfill a shorter range, or raise --max-ticks`);
    }
    if (chunk.length === 0) return ticks;
    after = chunk[chunk.length - 1]!;
  }
}

/** Options of {@link backfill}. */
export interface BackfillOptions {
  /** First instant of the range, ms since the epoch (a tick at it counts). */
  from: number;
  /** Last instant of the range, ms since the epoch (a tick at it counts); not after `now`. */
  to: number;
  /** The current time, ms since the epoch: the runs' creation time. */
  now: number;
  /** The schedule's `name` (or id); needed when the workflow has several. */
  schedule?: string;
  /** Refuse ranges with more ticks. @default MAX_BACKFILL_TICKS */
  maxTicks?: number;
  /** Only work out the ticks; write nothing. */
  dryRun?: boolean;
}

/** What {@link backfill} did. */
export interface BackfillReport {
  /** The schedule's id (`<workflow>/<name>`). */
  scheduleId: string;
  /** Every tick in the range, oldest first, ms since the epoch. */
  ticks: number[];
  /** The runs created, one per tick that had none, oldest tick first (empty on a dry run). */
  created: { tickAt: number; runId: string }[];
  /** Ticks already recorded (by the scheduler or an earlier backfill): nothing was created for them. */
  present: number[];
}

/**
 * Creates one `queued` run (trigger `backfill`) per tick of the schedule in [from, to] that
 * has none yet, with the params the schedule gives its runs and the tick recorded on the run
 * (`scheduleId`, `tickAt`), as a live tick would. Ticks go through `Store.fireTick` with
 * overlap `allow`: whoever executes the runs decides how many go at once. The workflow
 * version is stored first, so any process can execute them.
 * @throws BackfillError for a range that is backwards, ends in the future or holds too many ticks, or a schedule that cannot be told
 * @throws ParamError when the schedule's params no longer fit the workflow
 */
export async function backfill(store: Store, spec: WorkflowSpec, version: string, o: BackfillOptions): Promise<BackfillReport> {
  const schedule = pickSchedule(spec, o.schedule);
  if (o.to > o.now) throw new BackfillError('range', `--to ${new Date(o.to).toISOString()} is in the future: a backfill covers ticks that have passed; the scheduler fires the others`);
  const ticks = backfillTicks(schedule, o.from, o.to, o.maxTicks ?? MAX_BACKFILL_TICKS);
  const report: BackfillReport = { scheduleId: schedule.id, ticks, created: [], present: [] };
  if (o.dryRun) return report;
  const params = resolveParams(spec, schedule.params);
  await store.saveWorkflow(workflowRecord(spec, version, o.now));
  for (const tickAt of ticks) {
    const run = newRun(spec, version, { trigger: 'backfill', params, schedule: { id: schedule.id, tickAt } }, o.now);
    const res = await store.fireTick({ scheduleId: schedule.id, tickAt, now: o.now, overlap: 'allow', run });
    if (res?.runId !== undefined) report.created.push({ tickAt, runId: res.runId });
    else report.present.push(tickAt);
  }
  return report;
}

/**
 * Reads a `--from`/`--to` time: an ISO date-time with an offset or `Z` as written; a date
 * (`2026-11-01`) or a date-time without offset (`2026-11-01T02:00`) as wall time in `timezone`
 * (the schedule's), so a range reads like the schedule's cron. Undefined when not a time.
 */
export function parseRangeTime(text: string, timezone: string): number | undefined {
  const wall = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (!wall) {
    const t = Date.parse(text);
    return /\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text.trim()) && !Number.isNaN(t) ? t : undefined;
  }
  const [y, mo, d, h, mi, s] = wall.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const asUtc = Date.UTC(y!, mo! - 1, d, h, mi, s);
  const check = new Date(asUtc);
  if (check.getUTCMonth() !== mo! - 1 || check.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) return undefined;
  // The zone's offset at that wall time; asked twice because the offset at the guess may differ (DST).
  let t = asUtc - offsetMs(asUtc, timezone);
  t = asUtc - offsetMs(t, timezone);
  return t;
}

/** How far `timezone`'s wall clock is ahead of UTC at instant `at`, ms. */
function offsetMs(at: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(at));
  const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second')) - Math.floor(at / 1000) * 1000;
}
