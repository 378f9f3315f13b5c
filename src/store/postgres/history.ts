/**
 * @module store/postgres/history
 * History summaries on PostgreSQL: counts with `FILTER`, percentiles with
 * `percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY duration)` (NULL durations, runs
 * that never started, are left out by the aggregate itself), and the same window query as
 * SQLite for the most failing steps. The queries of one summary run in one REPEATABLE READ
 * transaction, so they count the same runs.
 */
import type pg from 'pg';
import type {
  ExportPage, ExportQuery, HistoryQuery, HistoryStore, HistorySummary, HourlyLoad, LoadQuery, StepDurationSamples, StepDurations, StepExport, StepHistory, WorkflowHistory,
} from '../history-types.js';
import { BUCKET_MS, MAX_HISTORY_STEPS, SAMPLE_RUNS_PER_STEP_SAMPLE, TOP_FAILING_STEPS } from '../history-types.js';
import {
  decodeExportCursor, encodeExportCursor, failureRate, fillBuckets, finishedSql, groupSamples, PERCENTILES, roundMs, toFailing, toRunExport, toStepExport,
} from '../history-rows.js';
import { checkLoadQuery, HOUR_MS, loadHours } from '../load-rows.js';
import type { Row } from '../rows.js';
import { inTransaction } from './dialect.js';

const PCTS = `ARRAY[${PERCENTILES.join(', ')}]::float8[]`;

/** `HistoryStore` over a pool. */
export class PgHistoryStore implements HistoryStore {
  constructor(private readonly pool: pg.Pool) {}

  async summary(q: HistoryQuery): Promise<HistorySummary> {
    const size = BUCKET_MS[q.by];
    const { where, vals } = window(q);
    return inTransaction(this.pool, async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const rows = async (sql: string, v: unknown[]): Promise<Row[]> => (await c.query<Row>(sql, v)).rows;
      const n = vals.length;
      const buckets = await rows(`SELECT (r.ended_at / $${n + 1}::bigint) * $${n + 1}::bigint AS bucket, r.state, count(*) AS n
        FROM runs r WHERE ${where} GROUP BY 1, 2`, [...vals, size]);
      const workflows = (await rows(`SELECT r.workflow, count(*) AS n,
          count(*) FILTER (WHERE r.state = 'succeeded') AS succeeded, count(*) FILTER (WHERE r.state = 'failed') AS failed,
          count(*) FILTER (WHERE r.state = 'cancelled') AS cancelled,
          percentile_cont(${PCTS}) WITHIN GROUP (ORDER BY (r.ended_at - r.started_at)::float8) AS pcts
        FROM runs r WHERE ${where} GROUP BY r.workflow ORDER BY r.workflow COLLATE "C"`, vals)).map((r): WorkflowHistory => ({
        workflow: r.workflow as string, runs: Number(r.n), succeeded: Number(r.succeeded), failed: Number(r.failed), cancelled: Number(r.cancelled),
        failureRate: failureRate(Number(r.succeeded), Number(r.failed)), ...percentiles(r.pcts),
      }));
      const stepRows = await rows(`SELECT r.workflow, s.step_id, min(s.position) AS position, count(*) AS n,
          count(*) FILTER (WHERE s.state = 'succeeded') AS succeeded, count(*) FILTER (WHERE s.state = 'failed') AS failed,
          percentile_cont(${PCTS}) WITHIN GROUP (ORDER BY (s.ended_at - s.started_at)::float8) AS pcts
        FROM runs r JOIN step_runs s ON s.run_id = r.id WHERE ${where} AND s.state IN ('succeeded', 'failed')
        GROUP BY r.workflow, s.step_id ORDER BY r.workflow COLLATE "C", position, s.step_id COLLATE "C" LIMIT $${n + 1}`, [...vals, MAX_HISTORY_STEPS + 1]);
      const steps = stepRows.slice(0, MAX_HISTORY_STEPS).map((r): StepHistory => ({
        workflow: r.workflow as string, stepId: r.step_id as string, count: Number(r.n), succeeded: Number(r.succeeded), failed: Number(r.failed),
        failureRate: failureRate(Number(r.succeeded), Number(r.failed)), ...percentiles(r.pcts),
      }));
      const topFailing = (await rows(`SELECT workflow, step_id, failures, last_at, run_id, error FROM (
          SELECT r.workflow, s.step_id, s.ended_at AS last_at, r.id AS run_id, s.error,
            count(*) OVER (PARTITION BY r.workflow, s.step_id) AS failures,
            row_number() OVER (PARTITION BY r.workflow, s.step_id ORDER BY s.ended_at DESC, r.id COLLATE "C" DESC) AS rn
          FROM runs r JOIN step_runs s ON s.run_id = r.id WHERE ${where} AND s.state = 'failed') x
        WHERE rn = 1 ORDER BY failures DESC, last_at DESC, workflow COLLATE "C", step_id COLLATE "C" LIMIT $${n + 1}`, [...vals, TOP_FAILING_STEPS])).map(toFailing);
      return {
        since: q.since, until: q.until, by: q.by, ...(q.workflow !== undefined ? { workflow: q.workflow } : {}),
        buckets: fillBuckets(q, buckets), workflows, steps, stepsTruncated: stepRows.length > MAX_HISTORY_STEPS, topFailing,
      };
    });
  }

  async stepDurations(workflow: string, since: number): Promise<StepDurations[]> {
    const rows = (await this.pool.query<Row>(`SELECT s.step_id, count(*) AS n,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY (s.ended_at - s.started_at)::float8) AS p95,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY (s.ended_at - s.started_at)::float8) AS p50
      FROM runs r JOIN step_runs s ON s.run_id = r.id
      WHERE r.workflow = $1 AND s.state = 'succeeded' AND s.ended_at >= $2::bigint AND s.started_at IS NOT NULL
      GROUP BY s.step_id ORDER BY s.step_id COLLATE "C"`, [workflow, since])).rows;
    return rows.map((r) => ({ stepId: r.step_id as string, count: Number(r.n), p95Ms: roundMs(Number(r.p95)), p50Ms: roundMs(Number(r.p50)) }));
  }

  async hourlyLoad(q: LoadQuery): Promise<HourlyLoad[]> {
    checkLoadQuery(q);
    const wf = q.workflow !== undefined ? ' AND r.workflow = $5' : '';
    const w = q.workflow !== undefined ? [q.workflow] : [];
    return inTransaction(this.pool, async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const queued = (await c.query<Row>(`SELECT h, count(*) AS n FROM (
          SELECT greatest(r.created_at, r.due_at) / ${HOUR_MS} AS h FROM runs r
          WHERE r.created_at >= $1::bigint AND r.created_at < $2::bigint${wf}) x WHERE h >= $3::bigint AND h < $4::bigint GROUP BY h`,
      [q.since - 7 * 24 * HOUR_MS, q.until, q.since / HOUR_MS, q.until / HOUR_MS, ...w])).rows;
      const spans = (await c.query<Row>(`SELECT hs, he, count(*) AS c, sum(least(e, (hs + 1) * ${HOUR_MS}) - s) AS head, sum(e - he * ${HOUR_MS}) AS tail FROM (
          SELECT s, e, s / ${HOUR_MS} AS hs, (e - 1) / ${HOUR_MS} AS he FROM (
            SELECT greatest(a.started_at, $1::bigint) AS s, least(a.ended_at, $2::bigint) AS e
            FROM attempts a${wf ? ' JOIN runs r ON r.id = a.run_id' : ''}
            WHERE a.ended_at > $3::bigint AND a.started_at < $4::bigint AND a.ended_at > a.started_at${wf}) x) y
        GROUP BY hs, he`, [q.since, q.until, q.since, q.until, ...w])).rows;
      return loadHours(q, queued, spans);
    });
  }

  async stepDurationSamples(workflow: string, limitPerStep: number): Promise<StepDurationSamples[]> {
    const rows = (await this.pool.query<Row>(`SELECT step_id, d FROM (
        SELECT s.step_id, s.ended_at - s.started_at AS d,
          row_number() OVER (PARTITION BY s.step_id ORDER BY s.ended_at DESC, s.run_id COLLATE "C" DESC) AS rn
        FROM (SELECT id FROM runs WHERE workflow = $1 ORDER BY created_at DESC LIMIT $2) r JOIN step_runs s ON s.run_id = r.id
        WHERE s.state = 'succeeded' AND s.started_at IS NOT NULL AND s.ended_at IS NOT NULL AND strpos(s.step_id, '[') = 0) x
      WHERE rn <= $3 ORDER BY step_id COLLATE "C", rn`, [workflow, limitPerStep * SAMPLE_RUNS_PER_STEP_SAMPLE, limitPerStep])).rows;
    return groupSamples(rows);
  }

  async runDurationSamples(workflow: string, limit: number): Promise<number[]> {
    const rows = (await this.pool.query<Row>(`SELECT ended_at - started_at AS d FROM runs WHERE workflow = $1 AND state = 'succeeded'
        AND started_at IS NOT NULL AND ended_at IS NOT NULL ORDER BY created_at DESC LIMIT $2`, [workflow, limit])).rows;
    return rows.map((r) => Number(r.d));
  }

  async exportRuns(q: ExportQuery): Promise<ExportPage> {
    const { where, vals } = window(q);
    const page = [...vals];
    let after = '';
    if (q.cursor !== undefined) {
      const c = decodeExportCursor(q.cursor);
      page.push(c.endedAt, c.id);
      after = ` AND (r.ended_at, r.id COLLATE "C") > ($${page.length - 1}::bigint, $${page.length} COLLATE "C")`;
    }
    page.push(q.limit + 1);
    return inTransaction(this.pool, async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const runs = (await c.query<Row>(`SELECT r.* FROM runs r WHERE ${where}${after} ORDER BY r.ended_at, r.id COLLATE "C" LIMIT $${page.length}`, page)).rows;
      const shown = runs.slice(0, q.limit);
      const steps = new Map<string, StepExport[]>();
      if (shown.length) {
        const rows = (await c.query<Row>('SELECT * FROM step_runs WHERE run_id = ANY($1::text[]) ORDER BY run_id, position, length(step_id), step_id COLLATE "C"', [shown.map((r) => r.id)])).rows;
        for (const s of rows) {
          const list = steps.get(s.run_id as string) ?? [];
          list.push(toStepExport(s));
          steps.set(s.run_id as string, list);
        }
      }
      const out = shown.map((r) => toRunExport(r, steps.get(r.id as string) ?? []));
      const last = shown[shown.length - 1];
      return runs.length > q.limit && last ? { runs: out, next: encodeExportCursor(Number(last.ended_at), last.id as string) } : { runs: out };
    });
  }
}

/** The WHERE clause of the runs of a window (alias `r`, parameters from $1), and its values. */
function window(q: { since: number; until: number; workflow?: string }): { where: string; vals: unknown[] } {
  const vals: unknown[] = [q.since, q.until];
  let where = `${finishedSql('r')} AND r.ended_at >= $1::bigint AND r.ended_at < $2::bigint`;
  if (q.workflow !== undefined) {
    vals.push(q.workflow);
    where += ' AND r.workflow = $3';
  }
  return { where, vals };
}

/** p50 and p95 from `percentile_cont`'s array; nothing when it is NULL (no durations). */
function percentiles(v: unknown): { p50Ms?: number; p95Ms?: number } {
  if (!Array.isArray(v) || v[0] == null || v[1] == null) return {};
  return { p50Ms: roundMs(Number(v[0])), p95Ms: roundMs(Number(v[1])) };
}
