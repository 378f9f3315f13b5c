/**
 * @module store/postgres/control
 * Operating runs on PostgreSQL: pause, priority and re-run writes (see the `Store` methods
 * of the same names). The guards are in the statements (or under the run's row lock), so a
 * run that changed since the caller read it is left alone, whichever node asks.
 */
import type pg from 'pg';
import type { JsonObject } from '../../shared/index.js';
import type { RunReopen, StepSignal } from '../types.js';
import { eventValues, stepRunColumns } from './batch.js';
import { signalEventData } from '../rows.js';
import { Q } from './queries.js';

type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;
type Db = Pick<pg.PoolClient, 'query'>;

/**
 * Pauses a run that is not paused and not finished, and records `run-paused`, in one
 * statement (the update holds the row lock before the event takes its seq).
 * $1 id, $2 now, $3 data (JSON text).
 */
const PAUSE = `WITH marked AS (
    UPDATE runs SET paused_at = $2 WHERE id = $1 AND paused_at IS NULL AND state NOT IN ('succeeded', 'failed', 'cancelled') RETURNING id)
  INSERT INTO events (run_id, type, at, data) SELECT id, 'run-paused', $2, $3::json FROM marked`;

/** Unpauses a paused run and records `run-resumed`. $1 id, $2 now, $3 data (JSON text). */
const UNPAUSE = `WITH marked AS (
    UPDATE runs SET paused_at = NULL WHERE id = $1 AND paused_at IS NOT NULL RETURNING id)
  INSERT INTO events (run_id, type, at, data) SELECT id, 'run-resumed', $2, $3::json FROM marked`;

/**
 * The run's row of a re-run; only if it is still in the planned state and no live holder has
 * it. $1 id, $2 new state, $3 now, $4 planned state.
 */
const REOPEN_RUN = `UPDATE runs SET state = $2, ended_at = NULL, reason = NULL, paused_at = NULL,
    cancel_requested_at = NULL, queued_at = CASE WHEN $2 = 'queued' THEN $3 ELSE queued_at END,
    owner = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL
  WHERE id = $1 AND state = $4 AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < $3)`;

/**
 * Full step run rows of a re-run, with retry_base. Columns as arrays: $1 run_id, $2 step_id,
 * $3 state, $4 attempts, $5 lost_attempts, $6 queued_at, $7 due_at, $8 started_at, $9 ended_at,
 * $10 reason, $11 output (JSON text), $12 error (JSON text), $13 retry_base, $14 runs_on (JSON
 * text: the re-run's tags, NULL for none).
 */
const REOPEN_STEPS = `UPDATE step_runs s SET state = u.state, attempts = u.attempts, lost_attempts = u.lost_attempts,
    queued_at = u.queued_at, due_at = u.due_at, started_at = u.started_at, ended_at = u.ended_at, reason = u.reason,
    output = u.output::json, error = u.error::json, retry_base = u.retry_base, runs_on = u.runs_on::json, signal = NULL
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::bigint[], $8::bigint[],
      $9::bigint[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[])
    AS u(run_id, step_id, state, attempts, lost_attempts, queued_at, due_at, started_at, ended_at, reason, output, error, retry_base, runs_on)
  WHERE s.run_id = u.run_id AND s.step_id = u.step_id`;

/** @see Store.setRunPaused */
export async function setRunPaused(db: Db, runId: string, paused: boolean, now: number, data?: JsonObject): Promise<boolean> {
  const res = await db.query(paused ? PAUSE : UNPAUSE, [runId, now, data === undefined ? null : JSON.stringify(data)]);
  return (res.rowCount ?? 0) > 0;
}

/** @see Store.setRunPriority — under the run's row lock, so the event's `from` is the value replaced. */
export async function setRunPriority(tx: Tx, runId: string, priority: number, now: number, data?: JsonObject): Promise<boolean> {
  return tx(async (c) => {
    const { rows } = await c.query<{ priority: number }>(
      "SELECT priority FROM runs WHERE id = $1 AND state IN ('pending', 'queued') FOR UPDATE", [runId],
    );
    const old = rows[0];
    if (!old) return false;
    await c.query('UPDATE runs SET priority = $2 WHERE id = $1', [runId, priority]);
    const events = [{ runId, type: 'priority', at: now, data: { ...data, from: old.priority, to: priority } }];
    await c.query({ name: Q.insertEvents.name, text: Q.insertEvents.text, values: eventValues(events) });
    return true;
  });
}

/** @see Store.reopenRun */
export async function reopenRun(tx: Tx, r: RunReopen): Promise<boolean> {
  return tx(async (c) => {
    const res = await c.query(REOPEN_RUN, [r.runId, r.to, r.now, r.from]);
    if (!res.rowCount) return false;
    // One row per step run (the last entry wins, as in a batch), so retry_base lines up with the other columns.
    const steps = [...new Map(r.steps.map((s) => [s.stepId, s])).values()];
    if (steps.length) {
      await c.query(REOPEN_STEPS, [...stepRunColumns(steps), steps.map((s) => s.retryBase ?? 0), steps.map((s) => (s.runsOn?.length ? JSON.stringify(s.runsOn) : null))]);
    }
    if (r.clearBatchGroups.length) {
      await c.query('DELETE FROM batch_groups WHERE run_id = $1 AND step_id = ANY($2::text[])', [r.runId, r.clearBatchGroups]);
    }
    if (r.events.length) await c.query({ name: Q.insertEvents.name, text: Q.insertEvents.text, values: eventValues(r.events) });
    return true;
  });
}

/**
 * Sets the answer of waiting step runs that have none and have not ended, of a run that has
 * not ended, with an event per step run that took it. $1 run id, $2 step ids, $3 answer
 * (JSON text), $4 now, $5 event data (JSON text).
 */
const SIGNAL_STEPS = `WITH taken AS (
    UPDATE step_runs s SET signal = $3::json FROM runs r
    WHERE s.run_id = $1 AND s.step_id = ANY($2::text[]) AND s.signal IS NULL
      AND s.state NOT IN ('succeeded', 'failed', 'skipped', 'cancelled')
      AND r.id = s.run_id AND r.state NOT IN ('succeeded', 'failed', 'cancelled')
    RETURNING s.run_id, s.step_id)
  INSERT INTO events (run_id, step_id, type, at, data) SELECT run_id, step_id, 'signal', $4, $5::json FROM taken ORDER BY step_id
  RETURNING step_id`;

/** @see Store.signalSteps */
export async function signalSteps(tx: Tx, runId: string, stepIds: readonly string[], signal: StepSignal): Promise<string[]> {
  if (stepIds.length === 0) return [];
  return tx(async (c) => {
    // The run's row first, as every writer of its events does, so its events commit in seq order.
    await c.query('SELECT 1 FROM runs WHERE id = $1 FOR UPDATE', [runId]);
    const res = await c.query<{ step_id: string }>(SIGNAL_STEPS, [runId, [...stepIds], JSON.stringify(signal), signal.at, JSON.stringify(signalEventData(signal))]);
    return res.rows.map((r) => r.step_id);
  });
}
