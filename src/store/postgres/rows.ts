/**
 * @module store/postgres/rows
 * Rows as node-postgres returns them (int8 already a number, json still text: see
 * dialect.ts) mapped to the store's records. A NULL column leaves its optional field
 * absent, never `null`, so records read back exactly as the SQLite store returns them.
 */
import type { Failure } from '../../core/index.js';
import type { JsonObject, JsonValue } from '../../spec/index.js';
import type { AttemptRecord, EventRecord, RunRecord, StoredStepRun, WorkflowVersionRecord } from '../types.js';
import { parseJson } from './dialect.js';

/** One row, column name to value. */
export type Row = Record<string, unknown>;

/** Copies the non-null columns named in `map` onto `target`. */
function optional<T extends object>(target: T, row: Row, map: Record<string, keyof T>): T {
  for (const [col, key] of Object.entries(map)) if (row[col] != null) (target as Record<keyof T, unknown>)[key] = row[col];
  return target;
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

/** A `runs` row as a record. */
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
      due_at: 'dueAt', schedule_id: 'scheduleId', tick_at: 'tickAt',
    },
  );
  if (r.wait_for_schedule === true) run.waitForSchedule = true;
  return run;
}

/** A `step_runs` row as a record. */
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
  const output = parseJson<JsonValue>(r.output);
  if (output !== undefined) s.output = output;
  const error = parseJson<Failure>(r.error);
  if (error !== undefined) s.error = error;
  return s;
}

/** An `attempts` row as a record. */
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

/** An `events` row as a record. */
export function toEvent(r: Row): EventRecord {
  const e = optional<EventRecord>(
    { seq: r.seq as number, runId: r.run_id as string, type: r.type as string, at: r.at as number },
    r,
    { step_id: 'stepId', attempt_id: 'attemptId', from_state: 'from', to_state: 'to' },
  );
  const data = parseJson<JsonObject>(r.data);
  if (data !== undefined) e.data = data;
  return e;
}
