/**
 * @module store/rows
 * Rows of either store mapped to records, in one place so both stores read back the same
 * values. JSON columns arrive as text from both (PostgreSQL's json parser is turned off:
 * postgres/dialect.ts), booleans as 0/1 from SQLite and true/false from PostgreSQL, and a
 * NULL column leaves its optional field absent, never `null`.
 */
import type { Failure } from '../core/index.js';
import type { ScheduleSpec } from '../workflow/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import type { AttemptRecord, EventRecord, RunRecord, ScheduleRecord, StepSignal, StoredStepRun, TickOutcome, WorkflowVersionRecord } from './types.js';

/** One row, column name to value. */
export type Row = Record<string, unknown>;

/** JSON text for a column; undefined becomes NULL. */
export function json(v: unknown): string | null {
  return v === undefined ? null : JSON.stringify(v);
}

/** Parses a JSON column; NULL becomes undefined, so JSON `null` stays apart from no value. */
export function parseJson<T>(v: unknown): T | undefined {
  return v == null ? undefined : (JSON.parse(v as string) as T);
}

/** Copies the non-null columns named in `map` onto `target`. */
function optional<T extends object>(target: T, row: Row, map: Record<string, keyof T>): T {
  for (const [col, key] of Object.entries(map)) if (row[col] != null) (target as Record<keyof T, unknown>)[key] = row[col];
  return target;
}

/** A boolean column: 0/1 in SQLite, true/false in PostgreSQL. */
function truthy(v: unknown): boolean {
  return v === true || v === 1;
}

/** A `workflows` row as a record. */
export function toWorkflow(r: Row): WorkflowVersionRecord {
  const w: WorkflowVersionRecord = {
    version: r.version as string,
    name: r.name as string,
    definition: parseJson<JsonValue>(r.definition) ?? null,
    createdAt: r.created_at as number,
  };
  if (r.source_path != null) w.sourcePath = r.source_path as string;
  return w;
}

/** A row as a record. */
export function toRun(r: Row): RunRecord {
  const run = optional<RunRecord>(
    {
      id: r.id as string,
      workflow: r.workflow as string,
      version: r.version as string,
      state: r.state as RunRecord['state'],
      trigger: r.trigger as RunRecord['trigger'],
      params: parseJson<JsonObject>(r.params) ?? {},
      priority: r.priority as number,
      stepCount: r.step_count as number,
      createdAt: r.created_at as number,
    },
    r,
    {
      concurrency: 'concurrency', started_at: 'startedAt', ended_at: 'endedAt', reason: 'reason', owner: 'owner',
      owner_pid: 'ownerPid', owner_host: 'ownerHost', lease_expires_at: 'leaseExpiresAt', cancel_requested_at: 'cancelRequestedAt',
      due_at: 'dueAt', schedule_id: 'scheduleId', tick_at: 'tickAt', paused_at: 'pausedAt', queued_at: 'queuedAt', retry_of: 'retryOf',
      parent_run_id: 'parentRunId', parent_step_id: 'parentStepId',
    },
  );
  if (typeof r.depth === 'number' && r.depth > 0) run.depth = r.depth;
  if (truthy(r.wait_for_schedule)) run.waitForSchedule = true;
  return run;
}

/**
 * `Store.listSchedules`: every schedule with the outcome of its last tick (the tick row at
 * `last_tick_at`, by its primary key), by id. No parameters; PostgreSQL appends its collation.
 */
export const LIST_SCHEDULES_SQL = `SELECT s.*, t.outcome AS last_outcome FROM schedules s
  LEFT JOIN schedule_ticks t ON t.schedule_id = s.id AND t.tick_at = s.last_tick_at
  ORDER BY s.id`;

/** A `schedules` row (with `last_outcome` from {@link LIST_SCHEDULES_SQL}) as a record. */
export function toSchedule(r: Row): ScheduleRecord {
  const x: ScheduleRecord = {
    id: r.id as string,
    workflow: r.workflow as string,
    version: r.version as string,
    spec: parseJson<ScheduleSpec>(r.spec)!,
    paused: truthy(r.paused),
    updatedAt: r.updated_at as number,
  };
  if (r.last_tick_at != null) x.lastTickAt = r.last_tick_at as number;
  if (r.last_outcome != null) x.lastOutcome = r.last_outcome as TickOutcome;
  return x;
}

/** A row as a record. */
export function toStepRun(r: Row): StoredStepRun {
  const s = optional<StoredStepRun>(
    {
      runId: r.run_id as string,
      stepId: r.step_id as string,
      position: r.position as number,
      state: r.state as StoredStepRun['state'],
      attempts: r.attempts as number,
      lostAttempts: r.lost_attempts as number,
    },
    r,
    { queued_at: 'queuedAt', due_at: 'dueAt', started_at: 'startedAt', ended_at: 'endedAt', reason: 'reason' },
  );
  // 0 (never re-run) stays absent, as before the column existed.
  if (typeof r.retry_base === 'number' && r.retry_base > 0) s.retryBase = r.retry_base;
  const output = parseJson<JsonValue>(r.output);
  if (output !== undefined) s.output = output;
  const error = parseJson<Failure>(r.error);
  if (error !== undefined) s.error = error;
  const item = parseJson<JsonValue>(r.item);
  if (item !== undefined) s.item = item;
  const signal = parseJson<StepSignal>(r.signal);
  if (signal !== undefined) s.signal = signal;
  const runsOn = parseJson<string[]>(r.runs_on);
  if (runsOn?.length) s.runsOn = runsOn;
  const circuit = parseJson<StoredStepRun['circuit']>(r.circuit);
  if (circuit !== undefined) s.circuit = circuit;
  return s;
}

/** A row as a record. */
export function toAttempt(r: Row): AttemptRecord {
  const a = optional<AttemptRecord>(
    {
      id: r.id as string,
      runId: r.run_id as string,
      stepId: r.step_id as string,
      number: r.number as number,
      state: r.state as AttemptRecord['state'],
      startedAt: r.started_at as number,
    },
    r,
    { ended_at: 'endedAt', exit_code: 'exitCode', log_path: 'logPath', pid: 'pid', peak_rss_bytes: 'peakRssBytes', cpu_ms: 'cpuMs', worker: 'worker' },
  );
  const error = parseJson<Failure>(r.error);
  if (error !== undefined) a.error = error;
  return a;
}

/** A row as a record. */
export function toEvent(r: Row): EventRecord {
  const e = optional<EventRecord>(
    { seq: r.seq as number, runId: r.run_id as string, type: r.type as string, at: r.at as number },
    r,
    { step_id: 'stepId', attempt_id: 'attemptId', alert_id: 'alertId', from_state: 'from', to_state: 'to' },
  );
  const data = parseJson<JsonObject>(r.data);
  if (data !== undefined) e.data = data;
  return e;
}

/** The data of a `signal` event: who answered and with what name, not the payload (which may be large). */
export function signalEventData(s: StepSignal): JsonObject {
  const approved = s.name === 'approval' && typeof s.payload === 'object' && s.payload !== null && !Array.isArray(s.payload) ? s.payload.approved : undefined;
  return { name: s.name, ...(s.by !== undefined ? { by: s.by } : {}), ...(typeof approved === 'boolean' ? { approved } : {}) };
}
