/**
 * @module store/postgres/batch
 * Turns a `Batch` into the parameters of the set statements in queries.ts: column arrays for
 * `unnest`, or, for rows only inserted (events), one JSON document for `json_to_recordset`:
 * the driver escapes each element of a text array in JavaScript, while `JSON.stringify` of
 * the whole set is native and the server parses it once. Statements that join their input to
 * a table keep arrays (see `updateStepRuns` in queries.ts for why).
 *
 * `UPDATE ... FROM unnest(...)` changes a row at most once even when the input names it
 * several times, and which input row wins is unspecified. The SQLite store applies one
 * statement per entry in order, so entries for the same row are folded here into the one
 * update that sequence would have produced.
 */
import type { AttemptEnd, AttemptRecord, Batch, NewEvent, RunUpdate, StoredStepRun } from '../types.js';
import { json } from './dialect.js';

type Col = unknown[];

/** Values of `pick` over `rows`, `undefined` as SQL NULL. */
function column<T>(rows: readonly T[], pick: (r: T) => unknown): Col {
  return rows.map((r) => pick(r) ?? null);
}

/** Attempt starts: id, run_id, step_id, number, started_at, log_path, worker. */
export function attemptStartColumns(rows: readonly AttemptRecord[]): Col[] {
  return [
    column(rows, (a) => a.id), column(rows, (a) => a.runId), column(rows, (a) => a.stepId), column(rows, (a) => a.number),
    column(rows, (a) => a.startedAt), column(rows, (a) => a.logPath), column(rows, (a) => a.worker),
  ];
}

/**
 * Attempt ends: id, state, ended_at, exit_code, error, peak_rss_bytes, cpu_ms. The first end
 * of an attempt wins: in SQLite the second update finds the attempt no longer running.
 */
export function attemptEndColumns(ends: readonly AttemptEnd[]): Col[] {
  const first = new Map<string, AttemptEnd>();
  for (const e of ends) if (!first.has(e.id)) first.set(e.id, e);
  const rows = [...first.values()];
  return [
    column(rows, (a) => a.id), column(rows, (a) => a.state), column(rows, (a) => a.endedAt), column(rows, (a) => a.exitCode),
    column(rows, (a) => json(a.error)), column(rows, (a) => a.peakRssBytes), column(rows, (a) => a.cpuMs),
  ];
}

/** Attempt pids: id, pid; the last pid given for an attempt wins. */
export function attemptPidColumns(pids: readonly { id: string; pid: number }[]): Col[] {
  const last = new Map(pids.map((p) => [p.id, p.pid]));
  return [[...last.keys()], [...last.values()]];
}

/**
 * Step runs: run_id, step_id, state, attempts, lost_attempts, queued_at, due_at, started_at,
 * ended_at, reason, output, error, and with `circuit` the step's circuit (JSON). Full rows; the last
 * entry for a step run wins (Batch contract).
 */
export function stepRunColumns(steps: readonly StoredStepRun[], opts: { circuit?: boolean } = {}): Col[] {
  const last = new Map<string, StoredStepRun>();
  for (const s of steps) last.set(`${s.runId}\u0000${s.stepId}`, s);
  const rows = [...last.values()];
  return [
    column(rows, (s) => s.runId), column(rows, (s) => s.stepId), column(rows, (s) => s.state), column(rows, (s) => s.attempts),
    column(rows, (s) => s.lostAttempts), column(rows, (s) => s.queuedAt), column(rows, (s) => s.dueAt),
    column(rows, (s) => s.startedAt), column(rows, (s) => s.endedAt), column(rows, (s) => s.reason),
    column(rows, (s) => json(s.output)), column(rows, (s) => json(s.error)),
    // The commit's update writes why a queued step waits; a re-run's leaves it out.
    ...(opts.circuit ? [column(rows, (s) => json(s.circuit))] : []),
  ];
}

/** Several updates of one run folded into the one the SQLite sequence would leave. */
interface FoldedRunUpdate {
  id: string;
  state: string | null;
  startedAt: number | null;
  setEnded: boolean;
  endedAt: number | null;
  setReason: boolean;
  reason: string | null;
}

/**
 * Run updates: id, state, started_at, set_ended, ended_at, set_reason, reason. Per run: the
 * last state given wins; the first startedAt wins (the column is only filled when empty);
 * the last endedAt / reason given, null included, wins.
 */
export function runUpdateColumns(updates: readonly RunUpdate[]): Col[] {
  const folded = new Map<string, FoldedRunUpdate>();
  for (const u of updates) {
    const f = folded.get(u.id) ?? { id: u.id, state: null, startedAt: null, setEnded: false, endedAt: null, setReason: false, reason: null };
    if (u.state !== undefined) f.state = u.state;
    if (u.startedAt !== undefined && f.startedAt === null) f.startedAt = u.startedAt;
    if (u.endedAt !== undefined) {
      f.setEnded = true;
      f.endedAt = u.endedAt;
    }
    if (u.reason !== undefined) {
      f.setReason = true;
      f.reason = u.reason;
    }
    folded.set(u.id, f);
  }
  const rows = [...folded.values()];
  return [
    column(rows, (r) => r.id), column(rows, (r) => r.state), column(rows, (r) => r.startedAt), column(rows, (r) => r.setEnded),
    column(rows, (r) => r.endedAt), column(rows, (r) => r.setReason), column(rows, (r) => r.reason),
  ];
}

/**
 * Events as one JSON array (`$1` of `insertEvents`), in order: objects with run_id, step_id,
 * attempt_id, type, from_state, to_state, at and data (JSON text).
 */
export function eventValues(events: readonly NewEvent[]): [string] {
  return [JSON.stringify(events.map((e) => ({
    run_id: e.runId, step_id: e.stepId, attempt_id: e.attemptId, type: e.type, from_state: e.from, to_state: e.to, at: e.at, data: json(e.data),
  })))];
}

/** Ids of the runs a batch writes events or updates for, to lock before numbering events. */
export function runIdsTouched(b: Pick<Batch, 'runs' | 'events'>): string[] {
  return [...new Set([...b.runs.map((r) => r.id), ...b.events.map((e) => e.runId)])];
}
