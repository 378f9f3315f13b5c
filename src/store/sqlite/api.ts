/**
 * @module store/sqlite/api
 * The HTTP API's part of the SQLite store. SQLite has one writer at a time, so event
 * sequence numbers are handed out in commit order and the feed's cursor is the sequence
 * number itself.
 */
/* eslint-disable @typescript-eslint/require-await -- the driver is synchronous; `async` turns its throws into rejections */
import type Database from 'better-sqlite3';
import type { RunState, StepRunState } from '../../core/index.js';
import type {
  ApiStore, FeedEvent, FeedFilter, RunPage, RunQuery, SessionRecord, StateCounts, TokenRecord, WebhookDelivery, WorkflowSummary,
} from '../api-types.js';
import { BadCursorError, decodeRunCursor, FEED_ENDS, quietEndsSql, toRunPage } from '../api-types.js';
import type { Row } from '../rows.js';
import { toEvent, toRun } from '../rows.js';
import type { NewEvent, RunRecord, StoredStepRun } from '../types.js';
import { pendingMigrationFiles, tally, toSession, toToken, toWaitingGroup, TOKEN_TOUCH_MS, WAITING_RUNS_SQL } from '../api-rows.js';
import type { WaitingStepGroup } from '../api-types.js';

type InsertRun = (run: RunRecord, steps: StoredStepRun[], events: NewEvent[]) => void;

/** `ApiStore` over one better-sqlite3 connection; `insertRun` writes a run inside the caller's transaction. */
export class SqliteApiStore implements ApiStore {
  private readonly st = new Map<string, Database.Statement<unknown[], unknown>>();

  constructor(
    private readonly db: Database.Database,
    private readonly insertRun: InsertRun,
    private readonly migrationsDir: string,
  ) {}

  /** A prepared statement, prepared once per SQL text: filters make a handful of shapes only. */
  private stmt(sql: string): Database.Statement<unknown[], unknown> {
    let s = this.st.get(sql);
    if (!s) this.st.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async createToken(t: TokenRecord): Promise<void> {
    this.stmt('INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)').run(t.id, t.name, t.role, t.hash, t.createdAt);
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    const r = this.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as Row | undefined;
    return r ? toToken(r) : undefined;
  }

  async listTokens(): Promise<TokenRecord[]> {
    return (this.stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as Row[]).map(toToken);
  }

  async revokeToken(id: string, now: number): Promise<boolean> {
    return this.stmt('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1;
  }

  async touchToken(id: string, now: number): Promise<void> {
    this.stmt('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(now, id, now - TOKEN_TOUCH_MS);
  }

  async createSession(s: SessionRecord): Promise<void> {
    this.stmt('INSERT INTO api_sessions (id, token_id, csrf_secret, created_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(s.id, s.tokenId, s.csrfSecret, s.createdAt, s.expiresAt);
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    const r = this.stmt('SELECT * FROM api_sessions WHERE id = ?').get(id) as Row | undefined;
    return r ? toSession(r) : undefined;
  }

  async revokeSession(id: string, now: number): Promise<boolean> {
    return this.stmt('UPDATE api_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, id).changes === 1;
  }

  async deleteSessions(before: number): Promise<number> {
    return this.stmt('DELETE FROM api_sessions WHERE expires_at < ? OR revoked_at < ?').run(before, before).changes;
  }

  async queryRuns(q: RunQuery): Promise<RunPage> {
    const where: string[] = [];
    const vals: unknown[] = [];
    const inList = (col: string, xs: readonly string[]): void => {
      where.push(`${col} IN (${xs.map(() => '?').join(', ')})`);
      vals.push(...xs);
    };
    if (q.workflow !== undefined) inList('workflow', [q.workflow]);
    if (q.state?.length) inList('state', q.state);
    if (q.trigger?.length) inList('trigger', q.trigger);
    if (q.since !== undefined) {
      where.push('created_at >= ?');
      vals.push(q.since);
    }
    if (q.until !== undefined) {
      where.push('created_at < ?');
      vals.push(q.until);
    }
    if (q.cursor !== undefined) {
      const c = decodeRunCursor(q.cursor);
      where.push('(created_at < ? OR (created_at = ? AND id < ?))');
      vals.push(c.createdAt, c.createdAt, c.id);
    }
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    const rows = (this.stmt(sql).all(...vals, q.limit + 1) as Row[]).map(toRun);
    return toRunPage(rows, q.limit);
  }

  async eventsAfter(cursor: string | undefined, filter: FeedFilter, limit: number): Promise<FeedEvent[]> {
    const after = cursor === undefined ? 0 : seqOf(cursor);
    // An alert event may be about no run (or one retention deleted): its workflow is its subject's.
    const workflow = "COALESCE(r.workflow, json_extract(e.data, '$.subject.workflow'), '')";
    const where = ['e.seq > ?', "(r.id IS NOT NULL OR e.type IN ('alert', 'breaker'))"];
    const vals: unknown[] = [after];
    if (filter.runId !== undefined) {
      where.push('e.run_id = ?');
      vals.push(filter.runId);
    }
    if (filter.workflow !== undefined) {
      where.push(`${workflow} = ?`);
      vals.push(filter.workflow);
    }
    if (filter.type !== undefined) {
      where.push('e.type = ?');
      vals.push(filter.type);
    }
    if (filter.ends && filter.quiet) {
      where.push(quietEndsSql(filter.quiet, (f) => `COALESCE(json_extract(e.data, '$.${f}'), 0)`, (v) => {
        vals.push(v);
        return '?';
      }));
    } else if (filter.ends) where.push(FEED_ENDS);
    const rows = this.stmt(`SELECT e.*, ${workflow} AS workflow FROM events e LEFT JOIN runs r ON r.id = e.run_id WHERE ${where.join(' AND ')} ORDER BY e.seq LIMIT ?`)
      .all(...vals, limit) as Row[];
    return rows.map((r) => ({ ...toEvent(r), cursor: String(r.seq as number), workflow: r.workflow as string }));
  }

  async eventsHead(): Promise<string> {
    const r = this.stmt('SELECT coalesce(max(seq), 0) AS seq FROM events').get() as { seq: number } | undefined;
    return String(r?.seq ?? 0);
  }

  async countStates(): Promise<StateCounts> {
    const runs = this.stmt('SELECT state, count(*) AS n FROM runs GROUP BY state').all() as Row[];
    const steps = this.stmt(`SELECT s.state, count(*) AS n FROM step_runs s JOIN runs r ON r.id = s.run_id
                WHERE r.state IN ('pending', 'queued', 'running') GROUP BY s.state`)
      .all() as Row[];
    const lost = this.stmt("SELECT count(*) AS n FROM attempts WHERE state = 'lost'").get() as Row;
    return { runs: tally<RunState>(runs), stepRuns: tally<StepRunState>(steps), lostAttempts: lost.n as number };
  }

  async waitingRuns(): Promise<number> {
    const r = this.stmt(WAITING_RUNS_SQL).get() as Row;
    return r.n as number;
  }

  async waitingSteps(): Promise<WaitingStepGroup[]> {
    // No fleet on SQLite: waiting is `queued`.
    const rows = this.stmt(`SELECT r.version, s.step_id, r.priority, count(*) AS n, min(s.queued_at) AS oldest
                FROM step_runs s JOIN runs r ON r.id = s.run_id
               WHERE r.state = 'running' AND s.state = 'queued' AND s.queued_at IS NOT NULL
               GROUP BY r.version, s.step_id, r.priority`).all() as Row[];
    return rows.map(toWaitingGroup);
  }

  async pendingMigrations(): Promise<string[]> {
    const applied = (this.stmt('SELECT version FROM schema_migrations').all() as Row[]).map((r) => Number(r.version));
    return pendingMigrationFiles(this.migrationsDir, applied);
  }

  async listWorkflows(): Promise<WorkflowSummary[]> {
    const rows = this.stmt(`SELECT w.name, count(*) AS versions, max(w.created_at) AS updated_at,
                  (SELECT version FROM workflows x WHERE x.name = w.name ORDER BY created_at DESC, version DESC LIMIT 1) AS latest
                FROM workflows w GROUP BY w.name ORDER BY w.name`)
      .all() as Row[];
    return rows.map((r) => ({ name: r.name as string, latestVersion: r.latest as string, versions: r.versions as number, updatedAt: r.updated_at as number }));
  }

  async listWorkflowVersions(name: string): Promise<{ version: string; createdAt: number }[]> {
    const rows = this.stmt('SELECT version, created_at FROM workflows WHERE name = ? ORDER BY created_at DESC, version DESC').all(name) as Row[];
    return rows.map((r) => ({ version: r.version as string, createdAt: r.created_at as number }));
  }

  async createWebhookRun(d: WebhookDelivery, run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<{ created: boolean; runId: string }> {
    return this.db
      .transaction(() => {
        const seen = this.stmt('SELECT run_id FROM webhook_deliveries WHERE workflow = ? AND delivery_id = ?').get(d.workflow, d.id) as Row | undefined;
        if (seen) return { created: false, runId: seen.run_id as string };
        this.insertRun(run, steps, events);
        this.stmt('INSERT INTO webhook_deliveries (workflow, delivery_id, run_id, received_at) VALUES (?, ?, ?, ?)').run(d.workflow, d.id, run.id, d.receivedAt);
        return { created: true, runId: run.id };
      })
      .immediate();
  }
}

function seqOf(cursor: string): number {
  if (!/^\d+$/.test(cursor)) throw new BadCursorError(cursor);
  return Number(cursor);
}
