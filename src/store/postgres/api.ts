/**
 * @module store/postgres/api
 * The HTTP API's part of the PostgreSQL store.
 *
 * The event feed cannot page by `seq` alone: a sequence number is taken at insert, so a
 * transaction that inserted seq 7 may commit after another committed seq 8; a reader that
 * saw 8 and resumes "after 8" would never see 7. Each event row records its transaction id
 * (`tx xid8`, migration 0006), the feed reads in (tx, seq) order, and only events whose
 * transaction is older than every transaction still running (`pg_snapshot_xmin`) are
 * handed out — those can no longer be joined by a row that sorts before them. An event
 * waits at most as long as the longest transaction open beside it (xids are cluster-wide:
 * a long transaction in another database of the same server delays the feed too).
 */
import type pg from 'pg';
import type { RunState, StepRunState } from '../../core/index.js';
import type {
  ApiStore, FeedEvent, FeedFilter, RunPage, RunQuery, SessionRecord, StateCounts, TokenRecord, WebhookDelivery, WorkflowSummary,
} from '../api-types.js';
import { BadCursorError, decodeRunCursor, FEED_ENDS, quietEndsSql, toRunPage } from '../api-types.js';
import type { WaitingStepGroup } from '../api-types.js';
import { pendingMigrationFiles, tally, toSession, toToken, toWaitingGroup, TOKEN_TOUCH_MS, WAITING_RUNS_PG_SQL } from '../api-rows.js';
import type { Row } from '../rows.js';
import { toEvent, toRun } from '../rows.js';
import type { NewEvent, RunRecord, StoredStepRun } from '../types.js';
import { inTransaction } from './dialect.js';

type InsertRun = (c: pg.PoolClient, run: RunRecord, steps: StoredStepRun[], events: NewEvent[]) => Promise<void>;

/** `ApiStore` over a pool; `insertRun` writes a run on the caller's transaction. */
export class PgApiStore implements ApiStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly insertRun: InsertRun,
    private readonly migrationsDir: string,
  ) {}

  private async rows(sql: string, vals: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query<Row>(sql, vals)).rows;
  }

  async createToken(t: TokenRecord): Promise<void> {
    await this.rows('INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES ($1, $2, $3, $4, $5)', [t.id, t.name, t.role, t.hash, t.createdAt]);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const [r] = await this.rows('SELECT * FROM api_tokens WHERE id = $1', [id]);
    return r ? toToken(r) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (await this.rows('SELECT * FROM api_tokens ORDER BY created_at, id')).map(toToken);
  }

  async revokeToken(id: string, now: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id]);
    return r.rowCount === 1;
  }

  async touchToken(id: string, now: number): Promise<void> {
    await this.rows('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)', [now, id, now - TOKEN_TOUCH_MS]);
  }

  async createSession(s: SessionRecord): Promise<void> {
    await this.rows('INSERT INTO api_sessions (id, token_id, csrf_secret, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [s.id, s.tokenId, s.csrfSecret, s.createdAt, s.expiresAt]);
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const [r] = await this.rows('SELECT * FROM api_sessions WHERE id = $1', [id]);
    return r ? toSession(r) : undefined;
  }

  async revokeSession(id: string, now: number): Promise<boolean> {
    const r = await this.pool.query('UPDATE api_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, id]);
    return r.rowCount === 1;
  }

  async deleteSessions(before: number): Promise<number> {
    const r = await this.pool.query('DELETE FROM api_sessions WHERE expires_at < $1 OR revoked_at < $1', [before]);
    return r.rowCount ?? 0;
  }

  async queryRuns(q: RunQuery): Promise<RunPage> {
    const where: string[] = [];
    const vals: unknown[] = [];
    const add = (sql: (p: string) => string, v: unknown): void => {
      vals.push(v);
      where.push(sql(`$${vals.length}`));
    };
    if (q.workflow !== undefined) add((p) => `workflow = ${p}`, q.workflow);
    if (q.state?.length) add((p) => `state = ANY(${p}::text[])`, q.state);
    if (q.trigger?.length) add((p) => `trigger = ANY(${p}::text[])`, q.trigger);
    if (q.since !== undefined) add((p) => `created_at >= ${p}`, q.since);
    if (q.until !== undefined) add((p) => `created_at < ${p}`, q.until);
    if (q.cursor !== undefined) {
      const c = decodeRunCursor(q.cursor);
      vals.push(c.createdAt, c.id);
      where.push(`(created_at, id COLLATE "C") < ($${vals.length - 1}, $${vals.length} COLLATE "C")`);
    }
    vals.push(q.limit + 1);
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY created_at DESC, id COLLATE "C" DESC LIMIT $${vals.length}`;
    return toRunPage((await this.rows(sql, vals)).map(toRun), q.limit);
  }

  async eventsAfter(cursor: string | undefined, filter: FeedFilter, limit: number): Promise<FeedEvent[]> {
    const { tx, seq } = cursor === undefined ? { tx: '0', seq: 0 } : parseCursor(cursor);
    const vals: unknown[] = [tx, seq];
    // An alert event may be about no run (or one retention deleted): its workflow is its subject's.
    const workflow = "COALESCE(r.workflow, e.data->'subject'->>'workflow', '')";
    const where = ['(e.tx, e.seq) > ($1::xid8, $2::bigint)', 'e.tx < pg_snapshot_xmin(pg_current_snapshot())', "(r.id IS NOT NULL OR e.type IN ('alert', 'breaker'))"];
    if (filter.runId !== undefined) {
      vals.push(filter.runId);
      where.push(`e.run_id = $${vals.length}`);
    }
    if (filter.workflow !== undefined) {
      vals.push(filter.workflow);
      where.push(`${workflow} = $${vals.length}`);
    }
    if (filter.type !== undefined) {
      vals.push(filter.type);
      where.push(`e.type = $${vals.length}`);
    }
    if (filter.ends && filter.quiet) {
      where.push(quietEndsSql(filter.quiet, (f) => `COALESCE((e.data->>'${f}')::float8, 0)`, (v) => {
        vals.push(v);
        return `$${vals.length}`;
      }));
    } else if (filter.ends) where.push(FEED_ENDS);
    vals.push(limit);
    const rows = await this.rows(
      `SELECT e.seq, e.run_id, e.step_id, e.attempt_id, e.alert_id, e.type, e.from_state, e.to_state, e.at, e.data, e.tx::text AS tx, ${workflow} AS workflow
         FROM events e LEFT JOIN runs r ON r.id = e.run_id
        WHERE ${where.join(' AND ')} ORDER BY e.tx, e.seq LIMIT $${vals.length}`,
      vals,
    );
    return rows.map((r) => ({ ...toEvent(r), cursor: `${r.tx as string}-${r.seq as number}`, workflow: r.workflow as string }));
  }

  async eventsHead(): Promise<string> {
    const [r] = await this.rows('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin');
    return `${r!.xmin as string}-0`;
  }

  async countStates(): Promise<StateCounts> {
    const [runs, steps, lost] = await Promise.all([
      this.rows('SELECT state, count(*) AS n FROM runs GROUP BY state'),
      this.rows(`SELECT s.state, count(*) AS n FROM step_runs s JOIN runs r ON r.id = s.run_id
                  WHERE r.state IN ('pending', 'queued', 'running') GROUP BY s.state`),
      this.rows("SELECT count(*) AS n FROM attempts WHERE state = 'lost'"),
    ]);
    return { runs: tally<RunState>(runs), stepRuns: tally<StepRunState>(steps), lostAttempts: Number(lost[0]?.n ?? 0) };
  }

  async waitingRuns(): Promise<number> {
    const [r] = await this.rows(WAITING_RUNS_PG_SQL);
    return Number(r?.n ?? 0);
  }

  async waitingSteps(): Promise<WaitingStepGroup[]> {
    // A fleet attempt published and unclaimed keeps its step run `running` (its row exists,
    // write-ahead) while it waits for a worker: waiting all the same.
    const rows = await this.rows(
      `SELECT r.version, s.step_id, r.priority, count(*) AS n, min(s.queued_at) AS oldest
         FROM step_runs s JOIN runs r ON r.id = s.run_id
        WHERE r.state = 'running' AND s.queued_at IS NOT NULL
          AND (s.state = 'queued' OR (s.state = 'running' AND EXISTS (
                SELECT 1 FROM attempts a WHERE a.run_id = s.run_id AND a.step_id = s.step_id
                   AND a.state = 'running' AND a.claimed_by IS NULL AND a.task IS NOT NULL)))
        GROUP BY r.version, s.step_id, r.priority`,
    );
    return rows.map(toWaitingGroup);
  }

  async pendingMigrations(): Promise<string[]> {
    const applied = (await this.rows('SELECT version FROM schema_migrations')).map((r) => Number(r.version));
    return pendingMigrationFiles(this.migrationsDir, applied);
  }

  async listWorkflows(): Promise<WorkflowSummary[]> {
    const rows = await this.rows(
      `SELECT DISTINCT ON (name) name, version AS latest, created_at AS updated_at, count(*) OVER (PARTITION BY name) AS versions
         FROM workflows ORDER BY name, created_at DESC, version DESC`,
    );
    return rows.map((r) => ({ name: r.name as string, latestVersion: r.latest as string, versions: Number(r.versions), updatedAt: Number(r.updated_at) }));
  }

  async listWorkflowVersions(name: string): Promise<{ version: string; createdAt: number }[]> {
    const rows = await this.rows('SELECT version, created_at FROM workflows WHERE name = $1 ORDER BY created_at DESC, version DESC', [name]);
    return rows.map((r) => ({ version: r.version as string, createdAt: Number(r.created_at) }));
  }

  async createWebhookRun(d: WebhookDelivery, run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<{ created: boolean; runId: string }> {
    return inTransaction(this.pool, async (c) => {
      // A concurrent duplicate waits on the unique key, then finds the first one's run.
      const ins = await c.query<Row>(
        'INSERT INTO webhook_deliveries (workflow, delivery_id, run_id, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING run_id',
        [d.workflow, d.id, run.id, d.receivedAt],
      );
      if (ins.rowCount === 0) {
        const seen = await c.query<Row>('SELECT run_id FROM webhook_deliveries WHERE workflow = $1 AND delivery_id = $2', [d.workflow, d.id]);
        return { created: false, runId: seen.rows[0]!.run_id as string };
      }
      await this.insertRun(c, run, steps, events);
      return { created: true, runId: run.id };
    });
  }
}

function parseCursor(cursor: string): { tx: string; seq: number } {
  const m = /^(\d+)-(\d+)$/.exec(cursor);
  if (!m) throw new BadCursorError(cursor);
  return { tx: m[1]!, seq: Number(m[2]) };
}
