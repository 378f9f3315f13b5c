/**
 * @module store/sqlite/retention
 * Retention's bounded steps on SQLite (see store/retention-types.ts). Each write is one
 * IMMEDIATE transaction: it takes the write lock up front, so the engine's next commit
 * waits at most one batch. Lists of ids travel as one JSON array (`json_each(?)`), so each
 * statement is prepared once whatever the list's length. Runs are walked `INDEXED BY
 * runs_by_end` (see ./history.ts).
 */
/* eslint-disable @typescript-eslint/require-await -- the driver is synchronous; `async` turns its throws into rejections */
import type Database from 'better-sqlite3';
import type {
  AttemptLog, PrunableCounts, PruneScope, RetentionStore, RetiredRowCounts, RunCursor,
} from '../retention-types.js';
import { finishedSql } from '../history-rows.js';
import type { Row } from '../rows.js';
import { RUN_WALK_BATCH, walkResult } from '../retention-rows.js';

type Stmt = Database.Statement<unknown[], Row>;

/** Tables holding rows of a run, deleted in this order once it is retired (attempts apart: their files go first). */
const CHILD_TABLES = [
  { table: 'events', key: 'events', rows: 'seq' },
  // The others are WITHOUT ROWID: rows are picked by their primary key.
  { table: 'step_runs', key: 'stepRuns', rows: 'run_id, step_id' },
  { table: 'batch_groups', key: 'batchGroups', rows: 'run_id, step_id, group_index' },
  { table: 'webhook_deliveries', key: 'webhookDeliveries', rows: 'workflow, delivery_id' },
] as const;

/** `RetentionStore` over one better-sqlite3 connection. */
export class SqliteRetentionStore implements RetentionStore {
  private readonly st = new Map<string, Stmt>();

  constructor(private readonly db: Database.Database) {}

  private stmt(sql: string): Stmt {
    let s = this.st.get(sql);
    if (!s) this.st.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async retireRuns(scope: PruneScope, limit: number): Promise<string[]> {
    const { where, vals } = scoped(scope);
    return this.db.transaction((): string[] => {
      const rows = this.stmt(`SELECT r.id, r.workflow, r.ended_at FROM runs r INDEXED BY runs_by_end WHERE ${where} ORDER BY r.ended_at, r.id LIMIT ?`).all(...vals, limit);
      if (!rows.length) return [];
      const ids = JSON.stringify(rows.map((r) => r.id));
      this.stmt(`INSERT OR IGNORE INTO retired_runs (run_id, workflow, ended_at, retired_at)
        SELECT r.id, r.workflow, r.ended_at, ? FROM runs r WHERE r.id IN (SELECT value FROM json_each(?))`).run(Date.now(), ids);
      this.stmt('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').run(ids);
      return rows.map((r) => r.id as string);
    }).immediate();
  }

  async retiredRuns(limit: number): Promise<string[]> {
    return this.stmt('SELECT run_id FROM retired_runs ORDER BY retired_at, run_id LIMIT ?').all(limit).map((r) => r.run_id as string);
  }

  async retiredAttempts(runIds: readonly string[], limit: number): Promise<AttemptLog[]> {
    return this.stmt(`SELECT id, run_id, log_path FROM attempts WHERE run_id IN (${RETIRED}) ORDER BY run_id, id LIMIT ?`)
      .all(JSON.stringify(runIds), limit).map(toAttemptLog);
  }

  async deleteRetiredAttempts(ids: readonly string[]): Promise<number> {
    if (!ids.length) return 0;
    return this.stmt('DELETE FROM attempts WHERE id IN (SELECT value FROM json_each(?)) AND run_id IN (SELECT run_id FROM retired_runs)')
      .run(JSON.stringify(ids)).changes;
  }

  async dropRetired(runIds: readonly string[], limit: number): Promise<RetiredRowCounts> {
    const ids = JSON.stringify(runIds);
    return this.db.transaction((): RetiredRowCounts => {
      const out: RetiredRowCounts = { events: 0, stepRuns: 0, batchGroups: 0, webhookDeliveries: 0, logChunks: 0, runs: 0 };
      let budget = limit;
      for (const t of CHILD_TABLES) {
        if (budget <= 0) break;
        const n = this.stmt(`DELETE FROM ${t.table} WHERE (${t.rows}) IN (SELECT ${t.rows} FROM ${t.table} WHERE run_id IN (${RETIRED}) LIMIT ?)`).run(ids, budget).changes;
        out[t.key] = n;
        budget -= n;
      }
      // Budget left: every table above is empty for these runs. A run whose attempts are
      // gone too (deleteRetiredAttempts, after its files) is gone entirely.
      if (budget > 0) {
        out.runs = this.stmt(`DELETE FROM retired_runs WHERE run_id IN (SELECT value FROM json_each(?))
          AND NOT EXISTS (SELECT 1 FROM attempts a WHERE a.run_id = retired_runs.run_id)`).run(ids).changes;
      }
      return out;
    }).immediate();
  }

  async pruneEvents(scope: PruneScope, after: RunCursor | undefined, limit: number): Promise<{ deleted: number; cursor?: RunCursor; done: boolean }> {
    return this.db.transaction(() => {
      const runs = this.walk(scope, after);
      if (!runs.length) return { deleted: 0, ...(after ? { cursor: after } : {}), done: true };
      const touched = this.stmt(`DELETE FROM events WHERE seq IN (
          SELECT e.seq FROM json_each(?) c JOIN events e ON e.run_id = c.value ORDER BY c.key, e.seq LIMIT ?) RETURNING run_id`)
        .all(JSON.stringify(runs.map((r) => r.id)), limit).map((r) => r.run_id as string);
      return { deleted: touched.length, ...walkResult(runs, touched, limit, after) };
    }).immediate();
  }

  async expiredLogs(scope: PruneScope, after: RunCursor | undefined, limit: number): Promise<{ attempts: AttemptLog[]; cursor?: RunCursor; done: boolean }> {
    const runs = this.walk(scope, after);
    if (!runs.length) return { attempts: [], ...(after ? { cursor: after } : {}), done: true };
    const attempts = this.stmt(`SELECT a.id, a.run_id, a.log_path FROM json_each(?) c JOIN attempts a ON a.run_id = c.value
        WHERE a.log_path IS NOT NULL ORDER BY c.key, a.id LIMIT ?`).all(JSON.stringify(runs.map((r) => r.id)), limit).map(toAttemptLog);
    return { attempts, ...walkResult(runs, attempts.map((a) => a.runId), limit, after) };
  }

  async forgetLogs(attemptIds: readonly string[]): Promise<number> {
    if (!attemptIds.length) return 0;
    return this.stmt('UPDATE attempts SET log_path = NULL WHERE id IN (SELECT value FROM json_each(?)) AND log_path IS NOT NULL').run(JSON.stringify(attemptIds)).changes;
  }

  async countPrunable(scope: PruneScope): Promise<PrunableCounts> {
    const { where, vals } = scoped(scope);
    const runs = `SELECT r.id FROM runs r INDEXED BY runs_by_end WHERE ${where}`;
    return this.db.transaction((): PrunableCounts => {
      const n = (sql: string): number => Number((this.stmt(sql).get(...vals) as Row).n);
      return {
        runs: n(`SELECT count(*) AS n FROM (${runs})`),
        stepRuns: n(`SELECT count(*) AS n FROM step_runs WHERE run_id IN (${runs})`),
        attempts: n(`SELECT count(*) AS n FROM attempts WHERE run_id IN (${runs})`),
        events: n(`SELECT count(*) AS n FROM events WHERE run_id IN (${runs})`),
        batchGroups: n(`SELECT count(*) AS n FROM batch_groups WHERE run_id IN (${runs})`),
        logFiles: n(`SELECT count(*) AS n FROM attempts WHERE log_path IS NOT NULL AND run_id IN (${runs})`),
      };
    })();
  }

  async countRetired(): Promise<number> {
    return Number((this.stmt('SELECT count(*) AS n FROM retired_runs').get() as Row).n);
  }

  async tryLease(name: string, holder: string, ttlMs: number, now: number): Promise<boolean> {
    return this.stmt(`INSERT INTO leader_leases (name, holder, expires_at) VALUES (?, ?, ?)
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leader_leases.holder = excluded.holder OR leader_leases.expires_at <= ?`).run(name, holder, now + ttlMs, now).changes === 1;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.stmt('DELETE FROM leader_leases WHERE name = ? AND holder = ?').run(name, holder);
  }

  /** The next finished runs of `scope` after `after`, oldest end first, at most {@link RUN_WALK_BATCH}. */
  private walk(scope: PruneScope, after: RunCursor | undefined): RunCursor[] {
    const { where, vals } = scoped(scope);
    const past = after ? ' AND (r.ended_at > ? OR (r.ended_at = ? AND r.id > ?))' : '';
    const rows = this.stmt(`SELECT r.id, r.ended_at FROM runs r INDEXED BY runs_by_end WHERE ${where}${past} ORDER BY r.ended_at, r.id LIMIT ?`)
      .all(...vals, ...(after ? [after.endedAt, after.endedAt, after.id] : []), RUN_WALK_BATCH);
    return rows.map((r) => ({ id: r.id as string, endedAt: Number(r.ended_at) }));
  }
}

/** The given run ids (a JSON array, `?`) that are retired: a live run's rows are never deleted here. */
const RETIRED = 'SELECT value FROM json_each(?) WHERE value IN (SELECT run_id FROM retired_runs)';

/** WHERE (alias `r`) and parameters of the finished runs of a scope. */
function scoped(s: PruneScope): { where: string; vals: unknown[] } {
  let where = `${finishedSql('r')} AND r.ended_at < ?`;
  const vals: unknown[] = [s.before];
  if (s.from !== undefined) {
    where += ' AND r.ended_at >= ?';
    vals.push(s.from);
  }
  if (s.workflow !== undefined) {
    where += ' AND r.workflow = ?';
    vals.push(s.workflow);
  }
  if (s.exceptWorkflows?.length) {
    where += ' AND r.workflow NOT IN (SELECT value FROM json_each(?))';
    vals.push(JSON.stringify(s.exceptWorkflows));
  }
  return { where, vals };
}

function toAttemptLog(r: Row): AttemptLog {
  return { id: r.id as string, runId: r.run_id as string, ...(r.log_path != null ? { logPath: r.log_path as string } : {}) };
}
