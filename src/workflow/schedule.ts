/**
 * @module workflow/schedule
 * The `schedule:` field: cron entries with a time zone, params for the runs they create,
 * and policies for missed ticks (`misfire`) and for a previous run still going (`overlap`).
 * Cron parsing and time zone arithmetic are croner's (5 or 6 fields; in a DST gap a tick
 * moves to the same instant it would have had without the gap, as Vixie cron does: croner
 * PR #144; in a repeated fall-back hour a fixed-time job fires once, and croner also drops
 * the repeated copy of sub-hourly ticks, which Vixie cron would run).
 */
import { Cron } from 'croner';
import { errorMessage } from '../shared/index.js';
import type { Issue, PathSegment } from './issues.js';
import type { JsonObject, JsonValue, ParamType } from './model.js';
import { MAX_CRON_LENGTH, MAX_TIMEZONE_LENGTH } from './limits.js';
import { matchesParamType } from './params.js';
import { TIMEZONE_PATTERN } from './schema-base.js';
import { parseDuration } from './duration.js';
import type { DeadlineSpec } from './deadline.js';
import { compileDeadline } from './deadline.js';

/** What happens to ticks missed while no server was running. @see ScheduleSpec.misfire */
export type MisfirePolicy = 'skip' | 'run-once' | 'catch-up';
/** What a tick does while the schedule's previous run is still going. @see ScheduleSpec.overlap */
export type OverlapPolicy = 'skip' | 'queue' | 'allow';

/** A compiled schedule entry. */
export interface ScheduleSpec {
  /** `<workflow>/<name>`: unique across workflows; what `baton schedules pause` takes. */
  id: string;
  /** The entry's `name`; `default` for a single entry, `s1`, `s2`… in a list without names. */
  name: string;
  /** 5 fields (minute precision) or 6 (with seconds first). */
  cron: string;
  /** IANA time zone the cron fields are read in. @default 'UTC' */
  timezone: string;
  /** Params for the runs it creates (checked against the workflow's declarations). */
  params: JsonObject;
  /**
   * Ticks missed while nothing ran: `skip` drops them; `run-once` runs once for the latest
   * missed tick; `catch-up` runs once per missed tick (at most 100), one after another in
   * tick order (all at once with `overlap: allow`). @default 'run-once'
   */
  misfire: MisfirePolicy;
  /**
   * When the previous run of this schedule is still pending, queued or running: `skip`
   * drops the tick (recorded as skipped); `queue` creates the run, which waits for the
   * previous one; `allow` runs both. Ticks replayed by `catch-up` queue, in order, unless `allow`.
   * @default 'skip'
   */
  overlap: OverlapPolicy;
  /** A disabled entry fires nothing until enabled in the file. @default true */
  enabled: boolean;
  /** When a run of this entry must have ended; absent when not asked (existing versions keep their hash). */
  deadline?: DeadlineSpec;
  /**
   * A notice `beforeMs` before each tick that a run will start (channels: the named ones,
   * else the server's default). Absent when not asked, so existing versions keep their hash.
   */
  notify?: { beforeMs: number; channels?: string[] };
}

/** Ticks `catch-up` replays at most, so a server down for months does not flood the queue. */
export const MAX_CATCH_UP = 100;

/** The next `count` fire times strictly after `after`, ms since epoch. */
export function nextFireTimes(s: Pick<ScheduleSpec, 'cron' | 'timezone'>, after: number, count: number): number[] {
  const cron = new Cron(s.cron, { timezone: s.timezone, paused: true });
  const out: number[] = [];
  let from = after;
  while (out.length < count) {
    let next = cron.nextRun(new Date(from))?.getTime();
    // croner 9 can answer a time at or before `from` when `from` lies in the second copy of
    // a fall-back hour. Ask again from further on (1 s, 2 s, 4 s … up to ~1 h past `from`)
    // so fire times only ever move forward; croner skips that hour's ticks anyway.
    for (let step = 1000; next !== undefined && next <= from && step <= 4_096_000; step *= 2) {
      next = cron.nextRun(new Date(from + step))?.getTime();
    }
    if (next === undefined || next <= from) break;
    out.push(next);
    from = next;
  }
  return out;
}

/**
 * Whether `tz` is an IANA zone this runtime knows. The length (at most
 * {@link MAX_TIMEZONE_LENGTH} characters) and the name's shape (`Area/Location`) are
 * checked first: ICU's lookup time grows with the input, and a megabyte-long name kept a
 * validation busy for minutes.
 */
export function isValidTimeZone(tz: string): boolean {
  if (tz.length > MAX_TIMEZONE_LENGTH || !TIMEZONE_PATTERN.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

type Raw = Record<string, unknown>;
const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The raw entries with their paths: `schedule` may be one entry or a list. */
function entries(raw: unknown): { entry: Raw; path: PathSegment[]; index: number | undefined }[] {
  if (Array.isArray(raw)) return raw.flatMap((e: unknown, i) => (isRecord(e) ? [{ entry: e, path: ['schedule', i] as PathSegment[], index: i }] : []));
  return isRecord(raw) ? [{ entry: raw, path: ['schedule'], index: undefined }] : [];
}

/** Cross-field checks of `schedule`: cron syntax, time zone, params against declarations, unique names. */
export function checkSchedule(raw: Raw): Issue[] {
  const issues: Issue[] = [];
  const declared = isRecord(raw.params) ? raw.params : {};
  const names = new Set<string>();
  for (const { entry, path, index } of entries(raw.schedule)) {
    // Over-long values are refused by the schema; they are not handed to croner or ICU.
    if (typeof entry.cron === 'string' && entry.cron.length <= MAX_CRON_LENGTH) {
      try {
        new Cron(entry.cron, { paused: true });
      } catch (e) {
        issues.push({ code: 'bad-cron', message: `invalid cron "${entry.cron}": ${errorMessage(e)}; use 5 fields (minute hour day month weekday) or 6 with seconds first`, path: [...path, 'cron'] });
      }
    }
    if (typeof entry.timezone === 'string' && entry.timezone.length <= MAX_TIMEZONE_LENGTH && TIMEZONE_PATTERN.test(entry.timezone) && !isValidTimeZone(entry.timezone)) {
      issues.push({ code: 'bad-timezone', message: `unknown time zone "${entry.timezone}": use an IANA name such as "Europe/Paris" or "UTC"`, path: [...path, 'timezone'] });
    }
    const name = typeof entry.name === 'string' ? entry.name : defaultName(index);
    if (names.has(name)) issues.push({ code: 'duplicate-id', message: `duplicate schedule name "${name}"`, path: [...path, 'name'] });
    names.add(name);
    if (isRecord(entry.params)) {
      for (const [key, value] of Object.entries(entry.params)) {
        const decl = declared[key];
        if (!isRecord(decl)) {
          issues.push({ code: 'unknown-param', message: `param "${key}" is not declared in the workflow's params`, path: [...path, 'params', key], atKey: true });
        } else if (typeof decl.type === 'string' && !matchesParamType(value as JsonValue, decl.type as ParamType)) {
          issues.push({ code: 'param-default-type', message: `${JSON.stringify(value)} is not of type ${decl.type}`, path: [...path, 'params', key] });
        }
      }
    }
  }
  return issues;
}

function defaultName(index: number | undefined): string {
  return index === undefined ? 'default' : `s${index + 1}`;
}

/** An authored entry after the shape check. */
export interface ScheduleInputEntry {
  name?: string | undefined;
  cron: string;
  timezone?: string | undefined;
  params?: Record<string, JsonValue> | undefined;
  misfire?: MisfirePolicy | undefined;
  overlap?: OverlapPolicy | undefined;
  enabled?: boolean | undefined;
  deadline?: string | number | undefined;
  notify?: { before: string | number; channels?: string[] };
}

/** Compiles `schedule` (one entry or a list) with defaults filled in. */
export function compileSchedules(workflow: string, input: ScheduleInputEntry | ScheduleInputEntry[] | undefined): ScheduleSpec[] {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  return list.map((e, i) => {
    const name = e.name ?? defaultName(Array.isArray(input) ? i : undefined);
    return {
      id: `${workflow}/${name}`,
      name,
      cron: e.cron,
      timezone: e.timezone ?? 'UTC',
      params: structuredClone(e.params ?? {}),
      misfire: e.misfire ?? 'run-once',
      overlap: e.overlap ?? 'skip',
      enabled: e.enabled ?? true,
      ...(e.deadline !== undefined ? { deadline: compileDeadline(e.deadline) } : {}),
      ...(e.notify ? { notify: { beforeMs: parseDuration(e.notify.before), ...(e.notify.channels ? { channels: e.notify.channels } : {}) } } : {}),
    };
  });
}
