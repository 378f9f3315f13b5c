/**
 * @module store/history-types
 * What `baton history` and `GET /api/v1/history` read: per hour or day, how many runs
 * ended in each state; per workflow and per step, how many ran, their median and 95th
 * percentile durations and their failure rate; the steps that failed most; and the runs
 * themselves with their steps, for export. Every figure is over the **runs that ended** in
 * the window `[since, until)` (by `endedAt`), and over the step runs of those runs, so a
 * figure never moves because events were pruned (retention keeps run and step rows longer
 * than events, or as long). Every `Store` carries one as `store.history`; both compute the
 * figures in SQL (PostgreSQL with `percentile_cont`; SQLite with window functions picking
 * the same ranks), so they agree to the last digit (the conformance suite checks it).
 */
import type { RunState, StepRunState } from '../core/index.js';
import type { Trigger } from './types.js';

/** Size of a history bucket: an hour or a day, both aligned on UTC (epoch multiples). */
export type HistoryBucketSize = 'hour' | 'day';

/** Length of a bucket, ms. */
export const BUCKET_MS: Readonly<Record<HistoryBucketSize, number>> = { hour: 3_600_000, day: 86_400_000 };

/** Which runs a summary covers. */
export interface HistoryQuery {
  /** Runs that ended at or after this time, ms since the epoch. */
  since: number;
  /** Runs that ended before this time, ms since the epoch (usually now). */
  until: number;
  /** Bucket size of `buckets`. */
  by: HistoryBucketSize;
  /** Only runs of this workflow (by name). */
  workflow?: string;
}

/** Runs that ended within one bucket, by final state. */
export interface HistoryBucket {
  /** The bucket's start, ms since the epoch (a UTC hour or day). */
  start: number;
  /** Runs that ended `succeeded` in the bucket. */
  succeeded: number;
  /** Runs that ended `failed` in the bucket. */
  failed: number;
  /** Runs that ended `cancelled` in the bucket. */
  cancelled: number;
}

/**
 * Figures of one workflow's runs. Durations run from `startedAt` to `endedAt` (a run
 * cancelled before it started counts, but has no duration). Percentiles are continuous
 * (PostgreSQL's `percentile_cont`: linear between the two nearest ranks), ms, rounded to
 * 0.001 ms; absent when no run has a duration.
 */
export interface WorkflowHistory {
  /** The workflow's name. */
  workflow: string;
  /** Runs that ended in the window: succeeded + failed + cancelled. */
  runs: number;
  /** Runs that ended `succeeded`. */
  succeeded: number;
  /** Runs that ended `failed`. */
  failed: number;
  /** Runs that ended `cancelled`. */
  cancelled: number;
  /** failed / (succeeded + failed): cancelled runs are neither; null when there are none of either. */
  failureRate: number | null;
  /** Median run duration, ms. */
  p50Ms?: number;
  /** 95th percentile of run durations, ms. */
  p95Ms?: number;
}

/**
 * Figures of one step across the runs of its workflow that ended in the window. Only step
 * runs that ended `succeeded` or `failed` count (skipped and cancelled ones did not run to
 * an outcome). A step run's duration is its last attempt's, `startedAt` to `endedAt`.
 */
export interface StepHistory {
  /** The step's workflow, by name. */
  workflow: string;
  /** The step's id. */
  stepId: string;
  /** Step runs that ended succeeded or failed. */
  count: number;
  /** Step runs that ended `succeeded`. */
  succeeded: number;
  /** Step runs that ended `failed`. */
  failed: number;
  /** failed / count; null when count is 0 (never: such a step is not listed). */
  failureRate: number | null;
  /** Median duration of its last attempt, ms. */
  p50Ms?: number;
  /** 95th percentile of the durations of its last attempt, ms. */
  p95Ms?: number;
}

/** A step that failed in the window, with its latest failure. */
export interface FailingStep {
  /** The step's workflow, by name. */
  workflow: string;
  /** The step's id. */
  stepId: string;
  /** Step runs of it that ended `failed`. */
  failures: number;
  /** When the latest of them ended, ms since the epoch. */
  lastFailureAt: number;
  /** The latest failure's message, as stored (masked). */
  lastError?: string;
  /** The latest failure's type (`exit-code`, `timeout`, …). */
  lastErrorType?: string;
  /** The run of the latest failure. */
  lastRunId: string;
}

/** Most failing steps a summary lists. */
export const TOP_FAILING_STEPS = 10;
/** Most steps a summary lists (by workflow, then definition order); `stepsTruncated` says when more ran. */
export const MAX_HISTORY_STEPS = 1_000;

/** A history summary (see the module comment). */
export interface HistorySummary {
  /** The window's start (inclusive), ms since the epoch. */
  since: number;
  /** The window's end (exclusive), ms since the epoch. */
  until: number;
  /** Bucket size of `buckets`. */
  by: HistoryBucketSize;
  /** The workflow asked for, if the summary is of one. */
  workflow?: string;
  /** Every bucket from the one holding `since` to the one holding `until - 1`, oldest first, empty ones included. */
  buckets: HistoryBucket[];
  /** By workflow name. */
  workflows: WorkflowHistory[];
  /** By workflow name, then the step's position in its definition; at most {@link MAX_HISTORY_STEPS}. */
  steps: StepHistory[];
  /** True when more steps ran than `steps` lists. */
  stepsTruncated: boolean;
  /** Most failures first, then the latest failure first; at most {@link TOP_FAILING_STEPS}. */
  topFailing: FailingStep[];
}

/** One step run of an exported run (outputs are left out: they can be 1 MiB each). */
export interface StepExport {
  /** The step's id. */
  stepId: string;
  /** Its index in the definition, from 0. */
  position: number;
  /** Its final state. */
  state: StepRunState;
  /** Tries it made. */
  attempts: number;
  /** When its last attempt started, ms since the epoch. */
  startedAt?: number;
  /** When it ended, ms since the epoch. */
  endedAt?: number;
  /** endedAt - startedAt (its last attempt), ms. */
  durationMs?: number;
  /** Why it ended the way it did, beyond its state (`upstream-failed`, `timeout`…). */
  reason?: string;
  /** The failure's message, when it failed. */
  error?: string;
}

/** One exported run with its step runs. */
export interface RunExport {
  /** The run's id. */
  id: string;
  /** The workflow's name. */
  workflow: string;
  /** The workflow version it ran. */
  version: string;
  /** Its final state. */
  state: RunState;
  /** What created it. */
  trigger: Trigger;
  /** ms since the epoch. */
  createdAt: number;
  /** When it started, ms since the epoch; absent for a run cancelled before it started. */
  startedAt?: number;
  /** When it ended, ms since the epoch. */
  endedAt: number;
  /** endedAt - startedAt, ms. */
  durationMs?: number;
  /** Why it ended the way it did, beyond its state. */
  reason?: string;
  /** In definition order. */
  steps: StepExport[];
}

/** Which runs an export page holds: finished runs of the window, oldest end first. */
export interface ExportQuery {
  /** Runs that ended at or after this time, ms since the epoch. */
  since: number;
  /** Runs that ended before this time, ms since the epoch. */
  until: number;
  /** Only runs of this workflow. */
  workflow?: string;
  /** The `next` of the previous page. */
  cursor?: string;
  /** Runs per page. */
  limit: number;
}

/** One page of exported runs; `next` is absent on the last page. */
export interface ExportPage {
  /** The page's runs, oldest end first. */
  runs: RunExport[];
  /** The cursor of the next page; absent on the last. */
  next?: string;
}

/** Most runs an export page holds. */
export const MAX_EXPORT_PAGE = 500;

/**
 * How long one step of one workflow takes when it succeeds: what a `step-duration` rule
 * with `p95Factor` compares a running attempt with.
 */
export interface StepDurations {
  /** The step's id. */
  stepId: string;
  /** Step runs of it that ended `succeeded` in the window (each with a start and an end). */
  count: number;
  /**
   * 95th percentile of their durations (last attempt's `startedAt` to `endedAt`), ms:
   * continuous, as `percentile_cont`, rounded to 0.001 ms.
   */
  p95Ms: number;
  /** Their median duration, ms, computed the same way: what the ready queue weighs a step's path with. */
  p50Ms: number;
}

/**
 * Which hours an hourly load read covers: `[since, until)`, both UTC hour boundaries (ms since
 * the epoch), at most {@link MAX_LOAD_HOURS} hours.
 */
export interface LoadQuery {
  /** The first hour, ms since the epoch (a multiple of an hour). */
  since: number;
  /** The hour after the last, ms since the epoch (a multiple of an hour). */
  until: number;
  /** Only runs of this workflow (by name), and their attempts. */
  workflow?: string;
}

/**
 * The load of one UTC hour: what the load forecast reads.
 * - `queuedRuns`: runs that entered the queue in the hour, each counted once, at the time it
 *   became due: its `due_at` when it was created for later (a delayed or scheduled run),
 *   else its `createdAt`. Runs rather than step runs, because a run is what a caller
 *   submits; its steps follow from the workflow. Only runs created at most a week before
 *   `since` are read (so the read stays on the index by creation time).
 * - `stepSeconds`: seconds of attempts that overlap the hour (an attempt from 10:50 to 11:20
 *   gives 600 s to 10:00 and 1,200 s to 11:00), over attempts that ended; a running attempt
 *   counts once it ends. A workflow's attempts are those of its runs.
 */
export interface HourlyLoad {
  /** The hour's start, ms since the epoch. */
  start: number;
  /** Runs that became queued in the hour. */
  queuedRuns: number;
  /** Attempt seconds within the hour (s). */
  stepSeconds: number;
}

/** Most hours one hourly load read covers: eight weeks (what the forecast reads, and no more). */
export const MAX_LOAD_HOURS = 8 * 168;

/**
 * The recent successful durations of one step of one workflow, what the ETA draws from
 * (observe/eta): newest first, each its step run's last attempt, `startedAt` to `endedAt`, ms.
 */
export interface StepDurationSamples {
  /** The step's id (never an item of a mapped step, `<id>[<n>]`: the mapped step itself counts). */
  stepId: string;
  /** Durations, ms, newest end first; at least one. */
  durationsMs: number[];
}

/**
 * Runs of a workflow {@link HistoryStore.stepDurationSamples} looks back over, per step
 * sample asked for: a step that runs in only some runs (an `if:`) still finds samples,
 * and a workflow with a long history is not read whole.
 */
export const SAMPLE_RUNS_PER_STEP_SAMPLE = 4;

/** The history part of a store. Every method rejects with the driver's error when the database fails. */
export interface HistoryStore {
  /** The summary of the runs that ended in `[q.since, q.until)`. */
  summary(q: HistoryQuery): Promise<HistorySummary>;
  /**
   * Finished runs that ended in the window with their step runs, oldest end first (then id),
   * one page. @throws BadCursorError for a cursor no page handed out
   */
  exportRuns(q: ExportQuery): Promise<ExportPage>;
  /**
   * Per step of `workflow` (by name), the succeeded step runs that ended at or after `since`
   * (ms since the epoch) — in finished runs or in runs still going — with their p50 and p95
   * durations; by step id. A step with none is not listed. Alerting reads it for
   * `step-duration` rules with `p95Factor` (cached, not per sweep).
   */
  stepDurations(workflow: string, since: number): Promise<StepDurations[]>;
  /**
   * Every hour of `[q.since, q.until)`, oldest first, quiet hours included as zeros (see
   * {@link HourlyLoad} for what each figure counts).
   * @throws RangeError when `since`/`until` are not hour boundaries, `until < since` or the span
   *   exceeds {@link MAX_LOAD_HOURS}
   */
  hourlyLoad(q: LoadQuery): Promise<HourlyLoad[]>;
  /**
   * Per step of `workflow` (by name), the durations of its latest `limitPerStep` succeeded
   * step runs, newest end first, among the workflow's newest
   * `limitPerStep * SAMPLE_RUNS_PER_STEP_SAMPLE` runs (by creation, in any state: a
   * failed run's succeeded steps count). By step id; items of mapped steps are left out;
   * a step with none is not listed. The ETA reads it (cached a short while).
   */
  stepDurationSamples(workflow: string, limitPerStep: number): Promise<StepDurationSamples[]>;
  /**
   * Durations (`startedAt` to `endedAt`, ms) of the latest `limit` runs of `workflow` that
   * ended `succeeded`, newest first (by creation): the ETA's fallback.
   */
  runDurationSamples(workflow: string, limit: number): Promise<number[]>;
}
