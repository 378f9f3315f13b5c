/**
 * @module store/history-rows
 * What both stores' history code shares: the window's buckets, percentiles from ranks
 * (SQLite), rounding, export cursors and rows mapped to export records, so the two read
 * back the same figures.
 */
import type { Failure } from '../core/index.js';
import type { FailingStep, HistoryBucket, HistoryQuery, RunExport, StepDurationSamples, StepExport } from './history-types.js';
import { BUCKET_MS } from './history-types.js';
import { BadCursorError } from './api-types.js';
import type { Row } from './rows.js';
import { parseJson } from './rows.js';

/**
 * "The run is finished" in SQL, as both stores spell it: the same text as the predicate of
 * the partial index `runs_by_end` (migration 0011), which a query uses only when its WHERE
 * holds that text. `alias` qualifies the column (`r.state`).
 */
export function finishedSql(alias?: string): string {
  return `${alias === undefined ? '' : alias + '.'}state IN ('succeeded', 'failed', 'cancelled')`;
}

/** The percentiles a summary gives. */
export const PERCENTILES = [0.5, 0.95] as const;

/** A duration figure rounded to 0.001 ms, so both stores print the same digits. */
export function roundMs(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** failed / (succeeded + failed), or null when both are 0. */
export function failureRate(succeeded: number, failed: number): number | null {
  const n = succeeded + failed;
  return n === 0 ? null : failed / n;
}

/**
 * The ranks (0-based, in ascending order of value) a continuous percentile `p` of `n`
 * values reads: the floor and the ceiling of `p * (n - 1)`.
 */
export function percentileRanks(p: number, n: number): [number, number] {
  const pos = p * (n - 1);
  return [Math.floor(pos), Math.ceil(pos)];
}

/**
 * A continuous percentile from the values at its two ranks, computed as PostgreSQL's
 * `percentile_cont` does (`lo + (hi - lo) * (pos - floor(pos))` in doubles), so SQLite and
 * PostgreSQL give the same number.
 * @see https://www.postgresql.org/docs/current/functions-aggregate.html (percentile_cont)
 */
export function percentileFrom(p: number, n: number, valueAt: (rank: number) => number): number {
  const pos = p * (n - 1);
  const [lo, hi] = percentileRanks(p, n);
  const a = valueAt(lo);
  return lo === hi ? a : a + (valueAt(hi) - a) * (pos - lo);
}

/**
 * Every bucket of the window, oldest first, with the counts of `rows` (`bucket`, `state`,
 * `n`) and zeros elsewhere.
 */
export function fillBuckets(q: HistoryQuery, rows: Row[]): HistoryBucket[] {
  const size = BUCKET_MS[q.by];
  const first = Math.floor(q.since / size) * size;
  const last = Math.floor((Math.max(q.since, q.until - 1)) / size) * size;
  const out: HistoryBucket[] = [];
  const at = new Map<number, HistoryBucket>();
  for (let start = first; start <= last; start += size) {
    const b: HistoryBucket = { start, succeeded: 0, failed: 0, cancelled: 0 };
    out.push(b);
    at.set(start, b);
  }
  for (const r of rows) {
    const b = at.get(Number(r.bucket));
    const state = r.state as 'succeeded' | 'failed' | 'cancelled';
    if (b && (state === 'succeeded' || state === 'failed' || state === 'cancelled')) b[state] += Number(r.n);
  }
  return out;
}

/** Encodes an export page position (end time, run id). */
export function encodeExportCursor(endedAt: number, id: string): string {
  return Buffer.from(`${endedAt}:${id}`).toString('base64url');
}

/** Decodes {@link encodeExportCursor}. @throws BadCursorError */
export function decodeExportCursor(cursor: string): { endedAt: number; id: string } {
  const m = /^(\d+):(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new BadCursorError(cursor);
  return { endedAt: Number(m[1]), id: m[2]! };
}

/** A `runs` row as an export record, with its steps. */
export function toRunExport(r: Row, steps: StepExport[]): RunExport {
  const run: RunExport = {
    id: r.id as string,
    workflow: r.workflow as string,
    version: r.version as string,
    state: r.state as RunExport['state'],
    trigger: r.trigger as RunExport['trigger'],
    createdAt: Number(r.created_at),
    endedAt: Number(r.ended_at),
    steps,
  };
  if (r.started_at != null) {
    run.startedAt = Number(r.started_at);
    run.durationMs = run.endedAt - run.startedAt;
  }
  if (r.reason != null) run.reason = r.reason as string;
  return run;
}

/** A `step_runs` row as an export record. */
export function toStepExport(r: Row): StepExport {
  const s: StepExport = {
    stepId: r.step_id as string,
    position: Number(r.position),
    state: r.state as StepExport['state'],
    attempts: Number(r.attempts),
  };
  if (r.started_at != null) s.startedAt = Number(r.started_at);
  if (r.ended_at != null) s.endedAt = Number(r.ended_at);
  if (s.startedAt !== undefined && s.endedAt !== undefined) s.durationMs = s.endedAt - s.startedAt;
  if (r.reason != null) s.reason = r.reason as string;
  const error = parseJson<Failure>(r.error);
  if (error !== undefined) s.error = error.message;
  return s;
}

/** The message and type of a stored failure (JSON text), if any. */
export function failureOf(v: unknown): { message?: string; type?: string } {
  const f = parseJson<Partial<Failure>>(v);
  return { ...(typeof f?.message === 'string' ? { message: f.message } : {}), ...(typeof f?.type === 'string' ? { type: f.type } : {}) };
}

/** A top-failing row as a record (both stores run the same window query). */
export function toFailing(r: Row): FailingStep {
  const f = failureOf(r.error);
  return {
    workflow: r.workflow as string, stepId: r.step_id as string, failures: Number(r.failures), lastFailureAt: Number(r.last_at), lastRunId: r.run_id as string,
    ...(f.message !== undefined ? { lastError: f.message } : {}), ...(f.type !== undefined ? { lastErrorType: f.type } : {}),
  };
}

/** Rows `step_id`, `d` (in step id order, newest first within a step) grouped into per-step samples. */
export function groupSamples(rows: Row[]): StepDurationSamples[] {
  const out: StepDurationSamples[] = [];
  for (const r of rows) {
    const last = out[out.length - 1];
    if (last !== undefined && last.stepId === r.step_id) last.durationsMs.push(Number(r.d));
    else out.push({ stepId: r.step_id as string, durationsMs: [Number(r.d)] });
  }
  return out;
}
