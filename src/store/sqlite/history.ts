/**
 * @module store/sqlite/history
 * History summaries on SQLite. SQLite has no percentile aggregate: a window query numbers
 * each group's durations in order (`row_number() OVER (PARTITION BY … ORDER BY …)`) and
 * hands back only the rows at the ranks a percentile reads (at most four per group), and
 * `percentileFrom` interpolates them exactly as PostgreSQL's `percentile_cont` does. The
 * sort stays inside SQLite; what crosses into JavaScript is bounded by the number of groups.
 * Runs are read `INDEXED BY runs_by_end` (finished runs by end time): without statistics
 * SQLite's planner prefers the index on state and sorts every finished run ever kept.
 */
/* eslint-disable @typescript-eslint/require-await -- the driver is synchronous; `async` turns its throws into rejections */
import type Database from 'better-sqlite3';
import type {
  ExportPage, ExportQuery, FailingStep, HistoryQuery, HistoryStore, HistorySummary, HourlyLoad, LoadQuery, StepDurationSamples, StepDurations, StepExport, StepHistory,
  WorkflowHistory,
} from '../history-types.js';
import { BUCKET_MS, MAX_HISTORY_STEPS, SAMPLE_RUNS_PER_STEP_SAMPLE, TOP_FAILING_STEPS } from '../history-types.js';
import {
  decodeExportCursor, encodeExportCursor, failureRate, fillBuckets, finishedSql, groupSamples, PERCENTILES, percentileFrom, percentileRanks, roundMs,
  toFailing, toRunExport, toStepExport,
} from '../history-rows.js';
import { checkLoadQuery, HOUR_MS, loadHours } from '../load-rows.js';
import type { Row } from '../rows.js';

type Stmt = Database.Statement<unknown[], Row>;

/** Durations at the ranks the percentiles read, by group key. */
type Ranked = Map<string, { n: number; at: Map<number, number> }>;

/** `HistoryStore` over one better-sqlite3 connection. */
export class SqliteHistoryStore implements HistoryStore {
  private readonly st = new Map<string, Stmt>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Stmt {
    let s = this.st.get(sql);
    if (!s) this.st.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async summary(q: HistoryQuery): Promise<HistorySummary> {
    const size = BUCKET_MS[q.by];
    const { where, vals } = window(q);
    // One read transaction: the four queries see the same runs.
    return this.db.transaction((): HistorySummary => {
      // The size as a literal: a bound JS number is a REAL to SQLite, and REAL division keeps the fraction.
      const buckets = this.stmt(`SELECT (r.ended_at / ${size}) * ${size} AS bucket, r.state, count(*) AS n FROM runs r INDEXED BY runs_by_end WHERE ${where} GROUP BY 1, 2`)
        .all(...vals);
      const workflows = this.workflows(where, vals);
      const { steps, truncated } = this.steps(where, vals);
      const topFailing = this.topFailing(where, vals);
      return {
        since: q.since, until: q.until, by: q.by, ...(q.workflow !== undefined ? { workflow: q.workflow } : {}),
        buckets: fillBuckets(q, buckets), workflows, steps, stepsTruncated: truncated, topFailing,
      };
    })();
  }

  private workflows(where: string, vals: unknown[]): WorkflowHistory[] {
    const rows = this.stmt(`SELECT r.workflow, count(*) AS n, sum(r.state = 'succeeded') AS succeeded, sum(r.state = 'failed') AS failed,
        sum(r.state = 'cancelled') AS cancelled FROM runs r INDEXED BY runs_by_end WHERE ${where} GROUP BY r.workflow ORDER BY r.workflow`).all(...vals);
    const ranked = this.ranked(`SELECT r.workflow AS g, r.ended_at - r.started_at AS v FROM runs r INDEXED BY runs_by_end WHERE ${where} AND r.started_at IS NOT NULL`, vals);
    return rows.map((r) => {
      const w: WorkflowHistory = {
        workflow: r.workflow as string, runs: Number(r.n), succeeded: Number(r.succeeded), failed: Number(r.failed), cancelled: Number(r.cancelled),
        failureRate: failureRate(Number(r.succeeded), Number(r.failed)),
      };
      return { ...w, ...percentiles(ranked.get(r.workflow as string)) };
    });
  }

  private steps(where: string, vals: unknown[]): { steps: StepHistory[]; truncated: boolean } {
    const done = "s.state IN ('succeeded', 'failed')";
    const rows = this.stmt(`SELECT r.workflow, s.step_id, min(s.position) AS position, count(*) AS n, sum(s.state = 'succeeded') AS succeeded,
        sum(s.state = 'failed') AS failed FROM runs r INDEXED BY runs_by_end JOIN step_runs s ON s.run_id = r.id WHERE ${where} AND ${done}
        GROUP BY r.workflow, s.step_id ORDER BY r.workflow, position, s.step_id LIMIT ?`).all(...vals, MAX_HISTORY_STEPS + 1);
    const ranked = this.ranked(`SELECT json_array(r.workflow, s.step_id) AS g, s.ended_at - s.started_at AS v FROM runs r INDEXED BY runs_by_end
        JOIN step_runs s ON s.run_id = r.id WHERE ${where} AND ${done} AND s.started_at IS NOT NULL AND s.ended_at IS NOT NULL`, vals);
    const steps = rows.slice(0, MAX_HISTORY_STEPS).map((r) => {
      const s: StepHistory = {
        workflow: r.workflow as string, stepId: r.step_id as string, count: Number(r.n), succeeded: Number(r.succeeded), failed: Number(r.failed),
        failureRate: failureRate(Number(r.succeeded), Number(r.failed)),
      };
      return { ...s, ...percentiles(ranked.get(JSON.stringify([r.workflow, r.step_id]))) };
    });
    return { steps, truncated: rows.length > MAX_HISTORY_STEPS };
  }

  private topFailing(where: string, vals: unknown[]): FailingStep[] {
    const rows = this.stmt(`SELECT workflow, step_id, failures, last_at, run_id, error FROM (
        SELECT r.workflow, s.step_id, s.ended_at AS last_at, r.id AS run_id, s.error,
          count(*) OVER (PARTITION BY r.workflow, s.step_id) AS failures,
          row_number() OVER (PARTITION BY r.workflow, s.step_id ORDER BY s.ended_at DESC, r.id DESC) AS rn
        FROM runs r INDEXED BY runs_by_end JOIN step_runs s ON s.run_id = r.id WHERE ${where} AND s.state = 'failed')
      WHERE rn = 1 ORDER BY failures DESC, last_at DESC, workflow, step_id LIMIT ?`).all(...vals, TOP_FAILING_STEPS);
    return rows.map(toFailing);
  }

  /**
   * Runs `sql` (columns `g`, the group key, and `v`, a duration) and keeps, per group, the
   * count and the values at the ranks every percentile reads.
   */
  private ranked(sql: string, vals: unknown[]): Ranked {
    const picks = PERCENTILES.map((p) => `(i >= CAST(${p} * (n - 1) AS INTEGER) AND i <= CAST(${p} * (n - 1) AS INTEGER) + 1)`).join(' OR ');
    const rows = this.stmt(`WITH d AS (${sql}),
        o AS (SELECT g, v, row_number() OVER (PARTITION BY g ORDER BY v) - 1 AS i, count(*) OVER (PARTITION BY g) AS n FROM d)
      SELECT g, i, n, v FROM o WHERE ${picks}`).all(...vals);
    const out: Ranked = new Map();
    for (const r of rows) {
      const key = r.g as string;
      let e = out.get(key);
      if (!e) out.set(key, (e = { n: Number(r.n), at: new Map() }));
      e.at.set(Number(r.i), Number(r.v));
    }
    return out;
  }

  async stepDurations(workflow: string, since: number): Promise<StepDurations[]> {
    // By the workflow's runs (runs_by_workflow), then each run's step rows by primary key.
    const ranked = this.ranked(`SELECT s.step_id AS g, s.ended_at - s.started_at AS v FROM runs r JOIN step_runs s ON s.run_id = r.id
        WHERE r.workflow = ? AND s.state = 'succeeded' AND s.ended_at >= ? AND s.started_at IS NOT NULL`, [workflow, since]);
    return [...ranked].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([stepId, g]) => {
        const p = percentiles(g);
        return { stepId, count: g.n, p95Ms: p.p95Ms!, p50Ms: p.p50Ms! };
      });
  }

  async hourlyLoad(q: LoadQuery): Promise<HourlyLoad[]> {
    checkLoadQuery(q);
    const wf = q.workflow !== undefined ? ' AND r.workflow = ?' : '';
    const w = q.workflow !== undefined ? [q.workflow] : [];
    return this.db.transaction((): HourlyLoad[] => {
      // Bound numbers are REALs to SQLite: CAST before the integer division by the literal hour.
      const queued = this.stmt(`SELECT h, count(*) AS n FROM (
          SELECT CAST(max(r.created_at, coalesce(r.due_at, r.created_at)) AS INTEGER) / ${HOUR_MS} AS h FROM runs r
          WHERE r.created_at >= ? AND r.created_at < ?${wf}) WHERE h >= ? AND h < ? GROUP BY h`)
        .all(q.since - 7 * 24 * HOUR_MS, q.until, ...w, q.since / HOUR_MS, q.until / HOUR_MS);
      const spans = this.stmt(`SELECT hs, he, count(*) AS c, sum(min(e, (hs + 1) * ${HOUR_MS}) - s) AS head, sum(e - he * ${HOUR_MS}) AS tail FROM (
          SELECT s, e, s / ${HOUR_MS} AS hs, (e - 1) / ${HOUR_MS} AS he FROM (
            SELECT CAST(max(a.started_at, ?) AS INTEGER) AS s, CAST(min(a.ended_at, ?) AS INTEGER) AS e
            FROM attempts a${wf ? ' JOIN runs r ON r.id = a.run_id' : ''}
            WHERE a.ended_at > ? AND a.started_at < ? AND a.ended_at > a.started_at${wf}))
        GROUP BY hs, he`).all(q.since, q.until, q.since, q.until, ...w);
      return loadHours(q, queued, spans);
    })();
  }

  async stepDurationSamples(workflow: string, limitPerStep: number): Promise<StepDurationSamples[]> {
    // The newest runs by runs_by_workflow, then each run's step rows by primary key.
    const rows = this.stmt(`SELECT step_id, d FROM (
        SELECT s.step_id, s.ended_at - s.started_at AS d,
          row_number() OVER (PARTITION BY s.step_id ORDER BY s.ended_at DESC, s.run_id DESC) AS rn
        FROM (SELECT id FROM runs WHERE workflow = ? ORDER BY created_at DESC LIMIT ?) r JOIN step_runs s ON s.run_id = r.id
        WHERE s.state = 'succeeded' AND s.started_at IS NOT NULL AND s.ended_at IS NOT NULL AND instr(s.step_id, '[') = 0)
      WHERE rn <= ? ORDER BY step_id, rn`).all(workflow, limitPerStep * SAMPLE_RUNS_PER_STEP_SAMPLE, limitPerStep);
    return groupSamples(rows);
  }

  async runDurationSamples(workflow: string, limit: number): Promise<number[]> {
    return this.stmt(`SELECT ended_at - started_at AS d FROM runs WHERE workflow = ? AND state = 'succeeded' AND started_at IS NOT NULL
        AND ended_at IS NOT NULL ORDER BY created_at DESC LIMIT ?`).all(workflow, limit).map((r) => Number(r.d));
  }

  async exportRuns(q: ExportQuery): Promise<ExportPage> {
    const { where, vals } = window(q);
    const page = [...vals];
    let after = '';
    if (q.cursor !== undefined) {
      const c = decodeExportCursor(q.cursor);
      after = ' AND (r.ended_at > ? OR (r.ended_at = ? AND r.id > ?))';
      page.push(c.endedAt, c.endedAt, c.id);
    }
    return this.db.transaction((): ExportPage => {
      const runs = this.stmt(`SELECT r.* FROM runs r INDEXED BY runs_by_end WHERE ${where}${after} ORDER BY r.ended_at, r.id LIMIT ?`).all(...page, q.limit + 1);
      const shown = runs.slice(0, q.limit);
      const steps = new Map<string, StepExport[]>();
      const ids = shown.map((r) => r.id as string);
      if (ids.length) {
        for (const s of this.stmt('SELECT * FROM step_runs WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, position, length(step_id), step_id').all(JSON.stringify(ids))) {
          const list = steps.get(s.run_id as string) ?? [];
          list.push(toStepExport(s));
          steps.set(s.run_id as string, list);
        }
      }
      const out = shown.map((r) => toRunExport(r, steps.get(r.id as string) ?? []));
      const last = shown[shown.length - 1];
      return runs.length > q.limit && last ? { runs: out, next: encodeExportCursor(Number(last.ended_at), last.id as string) } : { runs: out };
    })();
  }
}

/** The WHERE clause of the runs of a window (alias `r`), and its parameters. */
function window(q: { since: number; until: number; workflow?: string }): { where: string; vals: unknown[] } {
  const vals: unknown[] = [q.since, q.until];
  let where = `${finishedSql('r')} AND r.ended_at >= ? AND r.ended_at < ?`;
  if (q.workflow !== undefined) {
    where += ' AND r.workflow = ?';
    vals.push(q.workflow);
  }
  return { where, vals };
}

/** p50 and p95 of one group, from the values at their ranks; nothing when the group has no durations. */
function percentiles(g: { n: number; at: Map<number, number> } | undefined): { p50Ms?: number; p95Ms?: number } {
  if (!g || g.n === 0) return {};
  const [p50, p95] = PERCENTILES.map((p) => {
    const [lo, hi] = percentileRanks(p, g.n);
    if (!g.at.has(lo) || !g.at.has(hi)) throw new Error(`history: rank ${lo}..${hi} of ${g.n} missing`);
    return roundMs(percentileFrom(p, g.n, (i) => g.at.get(i)!));
  });
  return { p50Ms: p50!, p95Ms: p95! };
}
