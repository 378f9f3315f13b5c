/**
 * @module store/sqlite/control
 * Operating runs on SQLite: pause, priority and re-run writes (see the `Store` methods of
 * the same names). Each is one transaction; the guards live in the statements, so a run
 * that changed since the caller read it is left alone.
 */
import type Database from 'better-sqlite3';
import type { JsonObject } from '../../shared/index.js';
import type { NewEvent, RunReopen, StepSignal } from '../types.js';
import { json, signalEventData } from '../rows.js';
import type { Row } from '../rows.js';

/** What these writes need from the store. */
export interface SqliteControlContext {
  db: Database.Database;
  stmt(sql: string): Database.Statement<unknown[], Row>;
  insertEvents(events: NewEvent[]): void;
}

/** @see Store.setRunPaused */
export function setRunPaused(c: SqliteControlContext, runId: string, paused: boolean, now: number, data?: JsonObject): boolean {
  return c.db.transaction(() => {
    const res = paused
      ? c.stmt("UPDATE runs SET paused_at = ? WHERE id = ? AND paused_at IS NULL AND state NOT IN ('succeeded', 'failed', 'cancelled')").run(now, runId)
      : c.stmt('UPDATE runs SET paused_at = NULL WHERE id = ? AND paused_at IS NOT NULL').run(runId);
    if (!res.changes) return false;
    c.insertEvents([{ runId, type: paused ? 'run-paused' : 'run-resumed', at: now, ...(data ? { data } : {}) }]);
    return true;
  }).immediate();
}

/** @see Store.setRunPriority */
export function setRunPriority(c: SqliteControlContext, runId: string, priority: number, now: number, data?: JsonObject): boolean {
  return c.db.transaction(() => {
    const r = c.stmt("SELECT priority FROM runs WHERE id = ? AND state IN ('pending', 'queued')").get(runId) as { priority: number } | undefined;
    if (!r) return false;
    c.stmt('UPDATE runs SET priority = ? WHERE id = ?').run(priority, runId);
    c.insertEvents([{ runId, type: 'priority', at: now, data: { ...data, from: r.priority, to: priority } }]);
    return true;
  }).immediate();
}

/** @see Store.reopenRun */
export function reopenRun(c: SqliteControlContext, r: RunReopen): boolean {
  return c.db.transaction(() => {
    const res = c.stmt(
      `UPDATE runs SET state = ?, ended_at = NULL, reason = NULL, paused_at = NULL, cancel_requested_at = NULL,
         queued_at = CASE WHEN ? = 'queued' THEN ? ELSE queued_at END,
         owner = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL
       WHERE id = ? AND state = ? AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < ?)`,
    ).run(r.to, r.to, r.now, r.runId, r.from, r.now);
    if (!res.changes) return false;
    const upd = c.stmt(
      `UPDATE step_runs SET state = ?, attempts = ?, lost_attempts = ?, retry_base = ?, queued_at = ?, due_at = ?, started_at = ?,
         ended_at = ?, reason = ?, output = ?, error = ?, runs_on = ?, signal = NULL WHERE run_id = ? AND step_id = ?`,
    );
    for (const s of r.steps) {
      upd.run(s.state, s.attempts, s.lostAttempts, s.retryBase ?? 0, s.queuedAt ?? null, s.dueAt ?? null, s.startedAt ?? null,
        s.endedAt ?? null, s.reason ?? null, json(s.output), json(s.error), s.runsOn?.length ? JSON.stringify(s.runsOn) : null, s.runId, s.stepId);
    }
    const drop = c.stmt('DELETE FROM batch_groups WHERE run_id = ? AND step_id = ?');
    for (const stepId of r.clearBatchGroups) drop.run(r.runId, stepId);
    c.insertEvents(r.events);
    return true;
  }).immediate();
}

/** @see Store.signalSteps */
export function signalSteps(c: SqliteControlContext, runId: string, stepIds: readonly string[], signal: StepSignal): string[] {
  if (stepIds.length === 0) return [];
  return c.db.transaction(() => {
    const run = c.stmt("SELECT 1 FROM runs WHERE id = ? AND state NOT IN ('succeeded', 'failed', 'cancelled')").get(runId);
    if (!run) return [];
    const set = c.stmt(`UPDATE step_runs SET signal = ? WHERE run_id = ? AND step_id = ? AND signal IS NULL
      AND state NOT IN ('succeeded', 'failed', 'skipped', 'cancelled')`);
    const text = JSON.stringify(signal);
    const taken = [...new Set(stepIds)].sort().filter((stepId) => set.run(text, runId, stepId).changes > 0);
    const data = signalEventData(signal);
    c.insertEvents(taken.map((stepId) => ({ runId, stepId, type: 'signal', at: signal.at, data })));
    return taken;
  }).immediate();
}
