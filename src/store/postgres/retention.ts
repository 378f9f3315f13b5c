/**
 * @module store/postgres/retention
 * Retention's bounded steps on PostgreSQL (see store/retention-types.ts). Rows are picked
 * with `LIMIT` in a subquery and deleted by `ctid`, one statement per table, so a batch is
 * a few round trips whatever the rows. Runs are read `FOR UPDATE` (retiring) or `FOR SHARE`
 * (walking) with `SKIP LOCKED`: a run someone is changing right now (an operator's re-run, a
 * cancel request) is left for a later pass instead of making either side wait. Deletes
 * commit with `synchronous_commit = off`: a batch lost in a crash of the database is done
 * again by the next pass, and the engine's commits do not queue behind one WAL flush per
 * batch. The lease uses database time (`baton_now_ms()`), as every lease of the fleet.
 */
import type pg from 'pg';
import type {
  AttemptLog, PrunableCounts, PruneScope, RetentionStore, RetiredRowCounts, RunCursor,
} from '../retention-types.js';
import { finishedSql } from '../history-rows.js';
import type { Row } from '../rows.js';
import { RUN_WALK_BATCH, walkResult } from '../retention-rows.js';
import { inTransaction } from './dialect.js';

/** Tables holding rows of a run, deleted in this order once it is retired (attempts apart: their files go first). */
const CHILD_TABLES = [
  { table: 'events', key: 'events' },
  { table: 'step_runs', key: 'stepRuns' },
  { table: 'batch_groups', key: 'batchGroups' },
  { table: 'webhook_deliveries', key: 'webhookDeliveries' },
  { table: 'attempt_log_chunks', key: 'logChunks' },
] as const;

/** The given run ids ($1) that are retired: a live run's rows are never deleted here. */
const RETIRED = 'SELECT run_id FROM retired_runs WHERE run_id = ANY($1::text[])';

/** `RetentionStore` over a pool. */
export class PgRetentionStore implements RetentionStore {
  constructor(private readonly pool: pg.Pool) {}

  private async rows(sql: string, vals: unknown[]): Promise<Row[]> {
    return (await this.pool.query<Row>(sql, vals)).rows;
  }

  /** Runs `fn` in a transaction that does not wait for its WAL flush at commit (see the module comment). */
  private write<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (c) => {
      await c.query('SET LOCAL synchronous_commit = off');
      return fn(c);
    });
  }

  async retireRuns(scope: PruneScope, limit: number): Promise<string[]> {
    const { where, vals } = scoped(scope, 1);
    const rows = await this.write(async (c) => (await c.query<Row>(`WITH c AS (
        SELECT r.id, r.workflow, r.ended_at FROM runs r WHERE ${where} ORDER BY r.ended_at, r.id LIMIT $${vals.length + 1} FOR UPDATE SKIP LOCKED),
      t AS (INSERT INTO retired_runs (run_id, workflow, ended_at, retired_at) SELECT id, workflow, ended_at, baton_now_ms() FROM c ON CONFLICT DO NOTHING)
      DELETE FROM runs r USING c WHERE r.id = c.id RETURNING r.id, r.ended_at`, [...vals, limit])).rows);
    return rows.sort((a, b) => Number(a.ended_at) - Number(b.ended_at) || String(a.id).localeCompare(String(b.id))).map((r) => r.id as string);
  }

  async retiredRuns(limit: number): Promise<string[]> {
    return (await this.rows('SELECT run_id FROM retired_runs ORDER BY retired_at, run_id LIMIT $1', [limit])).map((r) => r.run_id as string);
  }

  async retiredAttempts(runIds: readonly string[], limit: number): Promise<AttemptLog[]> {
    return (await this.rows(`SELECT id, run_id, log_path FROM attempts WHERE run_id IN (${RETIRED}) ORDER BY run_id, id LIMIT $2`, [runIds, limit])).map(toAttemptLog);
  }

  async deleteRetiredAttempts(ids: readonly string[]): Promise<number> {
    if (!ids.length) return 0;
    return this.write(async (c) => (await c.query('DELETE FROM attempts WHERE id = ANY($1::text[]) AND run_id IN (SELECT run_id FROM retired_runs)', [ids])).rowCount ?? 0);
  }

  async dropRetired(runIds: readonly string[], limit: number): Promise<RetiredRowCounts> {
    return this.write(async (c) => {
      const out: RetiredRowCounts = { events: 0, stepRuns: 0, batchGroups: 0, webhookDeliveries: 0, logChunks: 0, runs: 0 };
      let budget = limit;
      for (const t of CHILD_TABLES) {
        if (budget <= 0) break;
        const r = await c.query(`DELETE FROM ${t.table} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t.table} WHERE run_id IN (${RETIRED}) LIMIT $2))`, [runIds, budget]);
        out[t.key] = r.rowCount ?? 0;
        budget -= out[t.key];
      }
      // Budget left: every table above is empty for these runs. A run whose attempts are
      // gone too (deleteRetiredAttempts, after its files) is gone entirely.
      if (budget > 0) {
        const r = await c.query(`DELETE FROM retired_runs t WHERE t.run_id = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.run_id = t.run_id)`, [runIds]);
        out.runs = r.rowCount ?? 0;
      }
      return out;
    });
  }

  async pruneEvents(scope: PruneScope, after: RunCursor | undefined, limit: number): Promise<{ deleted: number; cursor?: RunCursor; done: boolean }> {
    return this.write(async (c) => {
      const runs = await walk(c, scope, after);
      if (!runs.length) return { deleted: 0, ...(after ? { cursor: after } : {}), done: true };
      const touched = (await c.query<Row>(`DELETE FROM events WHERE seq IN (
          SELECT e.seq FROM unnest($1::text[]) WITH ORDINALITY AS w(id, k) JOIN events e ON e.run_id = w.id ORDER BY w.k, e.seq LIMIT $2)
        RETURNING run_id`, [runs.map((r) => r.id), limit])).rows;
      // RETURNING gives no order: put the rows back in walk order.
      const order = new Map(runs.map((r, i) => [r.id, i]));
      const ids = touched.map((r) => r.run_id as string).sort((a, b) => order.get(a)! - order.get(b)!);
      return { deleted: ids.length, ...walkResult(runs, ids, limit, after) };
    });
  }

  async expiredLogs(scope: PruneScope, after: RunCursor | undefined, limit: number): Promise<{ attempts: AttemptLog[]; cursor?: RunCursor; done: boolean }> {
    return inTransaction(this.pool, async (c) => {
      const runs = await walk(c, scope, after);
      if (!runs.length) return { attempts: [], ...(after ? { cursor: after } : {}), done: true };
      const attempts = (await c.query<Row>(`SELECT a.id, a.run_id, a.log_path FROM unnest($1::text[]) WITH ORDINALITY AS w(id, k)
          JOIN attempts a ON a.run_id = w.id WHERE a.log_path IS NOT NULL ORDER BY w.k, a.id LIMIT $2`, [runs.map((r) => r.id), limit])).rows.map(toAttemptLog);
      return { attempts, ...walkResult(runs, attempts.map((a) => a.runId), limit, after) };
    });
  }

  async forgetLogs(attemptIds: readonly string[]): Promise<number> {
    if (!attemptIds.length) return 0;
    return this.write(async (c) => (await c.query('UPDATE attempts SET log_path = NULL WHERE id = ANY($1::text[]) AND log_path IS NOT NULL', [attemptIds])).rowCount ?? 0);
  }

  async countPrunable(scope: PruneScope): Promise<PrunableCounts> {
    const { where, vals } = scoped(scope, 1);
    const runs = `SELECT r.id FROM runs r WHERE ${where}`;
    const [r] = await this.rows(`SELECT
        (SELECT count(*) FROM runs r WHERE ${where}) AS runs,
        (SELECT count(*) FROM step_runs WHERE run_id IN (${runs})) AS step_runs,
        (SELECT count(*) FROM attempts WHERE run_id IN (${runs})) AS attempts,
        (SELECT count(*) FROM events WHERE run_id IN (${runs})) AS events,
        (SELECT count(*) FROM batch_groups WHERE run_id IN (${runs})) AS batch_groups,
        (SELECT count(*) FROM attempts WHERE log_path IS NOT NULL AND run_id IN (${runs})) AS log_files`, vals);
    return {
      runs: Number(r!.runs), stepRuns: Number(r!.step_runs), attempts: Number(r!.attempts), events: Number(r!.events),
      batchGroups: Number(r!.batch_groups), logFiles: Number(r!.log_files),
    };
  }

  async countRetired(): Promise<number> {
    return Number((await this.rows('SELECT count(*) AS n FROM retired_runs', []))[0]!.n);
  }

  async tryLease(name: string, holder: string, ttlMs: number, _now: number): Promise<boolean> {
    const r = await this.pool.query(`INSERT INTO leader_leases (name, holder, expires_at) VALUES ($1, $2, baton_now_ms() + $3)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leader_leases.holder = excluded.holder OR leader_leases.expires_at <= baton_now_ms()`, [name, holder, ttlMs]);
    return r.rowCount === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.pool.query('DELETE FROM leader_leases WHERE name = $1 AND holder = $2', [name, holder]);
  }
}

/** The next finished runs of `scope` after `after` (read FOR SHARE, skipping runs being changed), oldest end first. */
async function walk(c: pg.PoolClient, scope: PruneScope, after: RunCursor | undefined): Promise<RunCursor[]> {
  const { where, vals } = scoped(scope, 1);
  let past = '';
  if (after) {
    vals.push(after.endedAt, after.id);
    past = ` AND (r.ended_at, r.id) > ($${vals.length - 1}::bigint, $${vals.length})`;
  }
  vals.push(RUN_WALK_BATCH);
  const rows = (await c.query<Row>(`SELECT r.id, r.ended_at FROM runs r WHERE ${where}${past} ORDER BY r.ended_at, r.id LIMIT $${vals.length} FOR SHARE SKIP LOCKED`, vals)).rows;
  return rows.map((r) => ({ id: r.id as string, endedAt: Number(r.ended_at) }));
}

/** WHERE (alias `r`) and parameters (numbered from `first`) of the finished runs of a scope. */
function scoped(s: PruneScope, first: number): { where: string; vals: unknown[] } {
  const vals: unknown[] = [s.before];
  const p = (): string => `$${first + vals.length - 1}`;
  let where = `${finishedSql('r')} AND r.ended_at < ${p()}::bigint`;
  if (s.from !== undefined) {
    vals.push(s.from);
    where += ` AND r.ended_at >= ${p()}::bigint`;
  }
  if (s.workflow !== undefined) {
    vals.push(s.workflow);
    where += ` AND r.workflow = ${p()}`;
  }
  if (s.exceptWorkflows?.length) {
    vals.push(s.exceptWorkflows);
    where += ` AND r.workflow <> ALL(${p()}::text[])`;
  }
  return { where, vals };
}

function toAttemptLog(r: Row): AttemptLog {
  return { id: r.id as string, runId: r.run_id as string, ...(r.log_path != null ? { logPath: r.log_path as string } : {}) };
}
