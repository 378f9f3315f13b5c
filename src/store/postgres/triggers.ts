/**
 * @module store/postgres/triggers
 * Schedules, ticks and delayed runs on PostgreSQL. Ticks are exactly-once through the
 * primary key (schedule_id, tick_at) and taken under a per-schedule advisory lock, so the
 * overlap check and the run it creates see one consistent state across nodes.
 */
import type pg from 'pg';
import type { ScheduleSpec } from '../../workflow/index.js';
import type { NewEvent, RunRecord, ScheduleRecord, StoredStepRun, TickFire, TickOutcome } from '../types.js';
import { eventValues } from './batch.js';
import { LIST_SCHEDULES_SQL, toSchedule } from '../rows.js';
import { Q } from './queries.js';
import type { Row } from '../rows.js';

type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;
type Db = Pick<pg.PoolClient, 'query'>;

/** Inserts a run with its step runs and events; the caller holds the transaction. */
export async function insertRun(c: Db, r: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<void> {
  await c.query({
    name: Q.insertRun.name,
    text: Q.insertRun.text,
    values: [r.id, r.workflow, r.version, r.state, r.trigger, JSON.stringify(r.params), r.priority, r.concurrency ?? null, r.stepCount,
      r.createdAt, r.dueAt ?? null, r.scheduleId ?? null, r.tickAt ?? null, r.waitForSchedule ?? false,
      r.owner ?? null, r.ownerPid ?? null, r.ownerHost ?? null, r.leaseExpiresAt ?? null, r.queuedAt ?? null, r.retryOf ?? null,
      r.parentRunId ?? null, r.parentStepId ?? null, r.depth ?? 0],
  });
  if (steps.length) {
    await c.query({
      name: Q.insertStepRuns.name,
      text: Q.insertStepRuns.text,
      values: [steps.map((s) => s.runId), steps.map((s) => s.stepId), steps.map((s) => s.position), steps.map((s) => s.state)],
    });
  }
  if (events.length) await c.query({ name: Q.insertEvents.name, text: Q.insertEvents.text, values: eventValues(events) });
}

/** @see Store.saveSchedules */
export async function saveSchedules(tx: Tx, workflow: string, version: string, schedules: ScheduleSpec[], now: number): Promise<void> {
  await tx(async (c) => {
    await c.query('DELETE FROM schedules WHERE workflow = $1 AND NOT (id = ANY($2::text[]))', [workflow, schedules.map((x) => x.id)]);
    for (const x of schedules) {
      // A new schedule starts from now: it does not replay ticks from before it existed.
      await c.query(
        `INSERT INTO schedules (id, workflow, version, spec, paused, last_tick_at, updated_at) VALUES ($1, $2, $3, $4::json, false, $5, $5)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, spec = excluded.spec, updated_at = excluded.updated_at`,
        [x.id, workflow, version, JSON.stringify(x), now],
      );
    }
  });
}

/** @see Store.listSchedules */
export async function listSchedules(db: Db): Promise<ScheduleRecord[]> {
  return (await db.query<Row>(`${LIST_SCHEDULES_SQL} COLLATE "C"`)).rows.map(toSchedule);
}

/** @see Store.setSchedulesPaused */
export async function setSchedulesPaused(db: Db, selector: string, paused: boolean, now: number): Promise<string[]> {
  const rows = (await db.query<{ id: string }>(
    // Resuming moves the last tick to now: ticks that fell while paused are not replayed.
    `UPDATE schedules SET paused = $2, updated_at = $3,
       last_tick_at = CASE WHEN $2 THEN last_tick_at ELSE GREATEST(COALESCE(last_tick_at, 0), $3) END
     WHERE id = $1 OR workflow = $1 RETURNING id`, [selector, paused, now],
  )).rows;
  return rows.map((r) => r.id).sort();
}

/** @see Store.fireTick */
export async function fireTick(tx: Tx, t: TickFire): Promise<{ outcome: TickOutcome; runId?: string } | undefined> {
  return tx(async (c) => {
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton:schedule:${t.scheduleId}`]);
    const taken = await c.query('SELECT 1 FROM schedule_ticks WHERE schedule_id = $1 AND tick_at = $2', [t.scheduleId, t.tickAt]);
    if (taken.rowCount) return undefined;
    let outcome: TickOutcome = t.refused === 'backpressure' ? 'skipped-backpressure' : 'skipped-misfire';
    let runId: string | undefined;
    if (t.run) {
      const { rows } = await c.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM runs WHERE schedule_id = $1 AND state IN ('pending', 'queued', 'running')", [t.scheduleId],
      );
      const active = (rows[0]?.n ?? 0) > 0;
      if (active && t.overlap === 'skip' && !t.replay) {
        outcome = 'skipped-overlap';
      } else {
        outcome = 'created';
        runId = t.run.record.id;
        await insertRun(c, { ...t.run.record, waitForSchedule: active && (t.overlap === 'queue' || (t.replay === true && t.overlap === 'skip')) }, t.run.steps, t.run.events);
      }
    }
    await c.query('INSERT INTO schedule_ticks (schedule_id, tick_at, outcome, run_id, fired_at) VALUES ($1, $2, $3, $4, $5)', [
      t.scheduleId, t.tickAt, outcome, runId ?? null, t.now,
    ]);
    await c.query('UPDATE schedules SET last_tick_at = GREATEST(COALESCE(last_tick_at, 0), $2) WHERE id = $1', [t.scheduleId, t.tickAt]);
    return runId === undefined ? { outcome } : { outcome, runId };
  });
}

/** @see Store.promoteDueRuns — SKIP LOCKED lets several nodes promote at once, each run once. */
export async function promoteDueRuns(tx: Tx, now: number, limit: number, runId?: string): Promise<string[]> {
  return tx(async (c) => {
    const { rows: due } = await c.query<{ id: string; schedule_id: string | null; wait_for_schedule: boolean }>(
      runId === undefined
        ? `SELECT id, schedule_id, wait_for_schedule FROM runs WHERE state = 'pending' AND due_at <= $1
           ORDER BY priority DESC, due_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED`
        : `SELECT id, schedule_id, wait_for_schedule FROM runs WHERE state = 'pending' AND due_at <= $1 AND id = $2 FOR UPDATE SKIP LOCKED`,
      runId === undefined ? [now, limit] : [now, runId],
    );
    const promoted: string[] = [];
    // Schedules with a run promoted in this call: a run waiting behind one of them stays.
    const busy = new Set<string>();
    for (const r of due) {
      if (r.schedule_id !== null) {
        // Every promotion of a schedule's run takes the schedule's lock, so a waiting run on
        // another node sees this one as queued before it decides.
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`baton:schedule:${r.schedule_id}`]);
        if (r.wait_for_schedule) {
          if (busy.has(r.schedule_id)) continue;
          const { rows } = await c.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM runs WHERE schedule_id = $1 AND state IN ('queued', 'running')", [r.schedule_id],
          );
          if ((rows[0]?.n ?? 0) > 0) continue;
        }
        busy.add(r.schedule_id);
      }
      promoted.push(r.id);
    }
    if (promoted.length) {
      await c.query("UPDATE runs SET state = 'queued', queued_at = $2 WHERE id = ANY($1::text[])", [promoted, now]);
      const events: NewEvent[] = promoted.map((id) => ({ runId: id, type: 'run', from: 'pending', to: 'queued', at: now }));
      await c.query({ name: Q.insertEvents.name, text: Q.insertEvents.text, values: eventValues(events) });
    }
    return promoted;
  });
}

/** @see Store.nextDueAt */
export async function nextDueAt(db: Db): Promise<number | undefined> {
  const { rows } = await db.query<{ due: number | null }>("SELECT MIN(due_at) AS due FROM runs WHERE state = 'pending'");
  return rows[0]?.due ?? undefined;
}
