/**
 * @module store/postgres
 * The shared store: PostgreSQL through a node-postgres pool, for several engines (nodes) on
 * one database. Same contract and same read-back values as the SQLite store; where and why
 * the SQL differs is listed in ./dialect.ts. Statements live in ./queries.ts, batch folding
 * in ./batch.ts, row mapping in ./rows.ts.
 */
import type pg from 'pg';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HistoryStore } from '../history-types.js';
import type { ApiStore } from '../api-types.js';
import type { RetentionStore } from '../retention-types.js';
import type {
  AttemptRecord, Batch, EventRecord, NewEvent, RenewResult, RunFilter, RunOwner, RunRecord, RunReopen, ScheduleRecord, Store, StoredStepRun,
  TickFire, TickOutcome, WorkflowVersionRecord,
} from '../types.js';
import type { ScheduleSpec } from '../../workflow/index.js';
import type { JsonObject } from '../../shared/index.js';
import { reopenRun, setRunPaused, setRunPriority, signalSteps } from './control.js';
import { fireTick, insertRun, listSchedules, nextDueAt, promoteDueRuns, saveSchedules, setSchedulesPaused } from './triggers.js';
import { RunNotFoundError } from '../types.js';
import type { StepSignal, StoredBatchGroup } from '../types.js';
import { batchGroupColumns, toBatchGroup } from '../batch-groups.js';
import {
  attemptEndColumns, attemptPidColumns, attemptStartColumns, eventValues, runIdsTouched, runUpdateColumns, stepRunColumns,
} from './batch.js';
import { inTransaction, likePrefix, loadPg, MIGRATE_LOCK_KEY, pgTypes } from './dialect.js';
import { PgApiStore } from './api.js';
import { SqlAlertStore } from '../alert-sql.js';
import type { AlertStore } from '../alert-types.js';
import { postgresExecutor } from './sql-executor.js';
import type { BreakerRecord } from '../../core/index.js';
import type { BreakerCall, BreakerStore } from '../breaker-types.js';
import { SqlBreakerStore, UPSERT_BREAKER, foldCalls, numbered, toBreaker, upsertParams } from '../breaker-sql.js';
import { PgLogStore } from './logs.js';
import type { LogStore } from '../log-types.js';
import { PgHistoryStore } from './history.js';
import { PgRetentionStore } from './retention.js';
import { enqueueOn } from './fleet.js';
import type { NamedQuery } from './queries.js';
import { Q } from './queries.js';
import type { Row } from '../rows.js';
import { toAttempt, toEvent, toRun, toStepRun, toWorkflow } from '../rows.js';

/** Options of the PostgreSQL store. */
export interface PgStoreOptions {
  /** Connections in the pool. @default 10 */
  max?: number;
  /** How long to wait for a connection (new or from the pool) before failing, ms. @default 10000 */
  connectTimeoutMs?: number;
}

/**
 * The folder of the numbered `.sql` migrations. Resolved from the repository (package) root
 * as the SQLite store does, so it is the same folder from src/ under vitest and from dist/.
 */
export const POSTGRES_MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'store', 'postgres', 'migrations');

/** A connection or the pool: both run queries. */
type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Opens a pool on `url` (a `postgres://user:pass@host:port/db` connection string). No
 * connection is made until the first call; call `migrate()` before anything else.
 * @example
 * const store = openPostgresStore(process.env.BATON_DATABASE_URL!); await store.migrate();
 */
export function openPostgresStore(url: string, opts: PgStoreOptions = {}): PgStore {
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    types: pgTypes(),
    application_name: 'baton',
  });
  return new PgStore(pool);
}

/**
 * PostgreSQL implementation of `Store`. Several stores (processes, nodes) may share one
 * database. Besides the errors the contract names, methods reject with node-postgres
 * errors (`pg.DatabaseError`, connection errors) when the database fails; a failed
 * transaction is rolled back whole.
 */
export class PgStore implements Store {
  private closing: Promise<void> | undefined;
  /** {@inheritDoc Store.api} */
  readonly api: ApiStore;
  /** {@inheritDoc Store.alerts} */
  readonly alerts: AlertStore;
  /** {@inheritDoc Store.logs} */
  readonly logs: LogStore;
  /** {@inheritDoc Store.history} */
  readonly history: HistoryStore;
  /** {@inheritDoc Store.retention} */
  readonly retention: RetentionStore;
  /** {@inheritDoc Store.breakers} */
  readonly breakers: BreakerStore;

  constructor(private readonly pool: pg.Pool) {
    this.api = new PgApiStore(pool, insertRun, POSTGRES_MIGRATIONS_DIR);
    this.alerts = new SqlAlertStore(postgresExecutor(pool));
    this.breakers = new SqlBreakerStore(postgresExecutor(pool));
    this.logs = new PgLogStore(pool);
    this.history = new PgHistoryStore(pool);
    this.retention = new PgRetentionStore(pool);
    // An idle connection that breaks (server restart, network) is dropped by the pool and
    // reported here; without a listener Node would crash the process. The next query opens
    // a new connection, or fails and its caller sees the error.
    pool.on('error', () => undefined);
  }

  /**
   * Applies pending migration files in one transaction under an advisory lock, so nodes
   * starting together migrate once: the others wait, then find nothing to do.
   */
  async migrate(): Promise<void> {
    const files = readdirSync(POSTGRES_MIGRATIONS_DIR).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    await this.tx(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(${MIGRATE_LOCK_KEY})`);
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      for (const f of files) {
        const version = Number.parseInt(f, 10);
        if (done.has(version)) continue;
        await c.query(readFileSync(join(POSTGRES_MIGRATIONS_DIR, f), 'utf8'));
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [version, f, Date.now()]);
      }
    });
  }

  /** {@inheritDoc Store.saveWorkflow} */
  async saveWorkflow(w: WorkflowVersionRecord): Promise<void> {
    await run(this.pool, Q.saveWorkflow, [w.version, w.name, JSON.stringify(w.definition), w.sourcePath ?? null, w.createdAt]);
  }

  /** {@inheritDoc Store.getWorkflow} */
  async getWorkflow(version: string): Promise<WorkflowVersionRecord | undefined> {
    const [r] = await run(this.pool, Q.getWorkflow, [version]);
    return r ? toWorkflow(r) : undefined;
  }

  /** {@inheritDoc Store.createRun} */
  async createRun(r: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<void> {
    await this.tx((c) => insertRun(c, r, steps, events));
  }

  /** One transaction, one statement per non-empty part, whatever the batch size. */
  async commit(b: Batch): Promise<void> {
    await this.tx(async (c) => {
      const created = b.runsCreated ?? [];
      for (const n of created) await insertRun(c, n.record, n.steps, []);
      // A run created in this transaction is invisible to every other: nothing to lock.
      const fresh = new Set(created.map((n) => n.record.id));
      const locked = runIdsTouched(b).filter((id) => !fresh.has(id));
      if (locked.length) await run(c, Q.lockRuns, [locked]);
      // Fleet attempts are inserted with their tasks (one write per row, published in this
      // commit); the plain insert is only for the others.
      let started = b.attemptsStarted;
      if (b.attemptsPublished?.length) {
        await enqueueOn(c, b.attemptsPublished);
        const published = new Set(b.attemptsPublished.map((r) => r.id));
        started = started.filter((a) => !published.has(a.id));
      }
      if (b.stepRunsAdded?.length) {
        const added = b.stepRunsAdded;
        await run(c, Q.insertStepRunItems, [added.map((s) => s.runId), added.map((s) => s.stepId), added.map((s) => s.position), added.map((s) => s.state), added.map((s) => (s.item === undefined ? null : JSON.stringify(s.item)))]);
      }
      if (started.length) await run(c, Q.insertAttempts, attemptStartColumns(started));
      if (b.attemptsEnded.length) await run(c, Q.endAttempts, attemptEndColumns(b.attemptsEnded));
      if (b.attemptPids?.length) await run(c, Q.setAttemptPids, attemptPidColumns(b.attemptPids));
      if (b.attemptsApplied?.length) await run(c, Q.markApplied, [b.attemptsApplied]);
      if (b.stepRuns.length) await run(c, Q.updateStepRuns, stepRunColumns(b.stepRuns, { circuit: true }));
      if (b.runs.length) await run(c, Q.updateRuns, runUpdateColumns(b.runs));
      // An engine lets go of the runs it ends in the commit that ends them.
      for (const r of b.runs) if (r.release !== undefined) await run(c, Q.releaseRun, [r.id, r.release]);
      // The created runs' first events first, in the same statement: their seq comes before the rest.
      // A copy: a failed commit is retried with the same batch, which must not keep these.
      const events = [...created.flatMap((n) => n.events), ...b.events];
      if (b.breakerCalls?.length) events.push(...(await applyBreakerCalls(c, b.breakerCalls)));
      if (events.length) await run(c, Q.insertEvents, eventValues(events));
    });
  }

  /** Exact id first, then a unique case-insensitive prefix. @throws RunNotFoundError */
  async resolveRunId(idOrPrefix: string): Promise<string> {
    if ((await run(this.pool, Q.runExists, [idOrPrefix])).length) return idOrPrefix;
    const rows = await run(this.pool, Q.runsByPrefix, [likePrefix(idOrPrefix.toLowerCase())]);
    if (rows.length === 1) return rows[0]!.id as string;
    throw new RunNotFoundError(idOrPrefix, rows.map((r) => r.id as string));
  }

  /** {@inheritDoc Store.getRun} */
  async getRun(id: string): Promise<RunRecord | undefined> {
    const [r] = await run(this.pool, Q.getRun, [id]);
    return r ? toRun(r) : undefined;
  }

  /** Newest first (created_at, then id). Not a named statement: its shape varies with the filter. */
  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const vals: unknown[] = [];
    if (filter.workflow) {
      vals.push(filter.workflow);
      where.push(`workflow = $${vals.length}`);
    }
    if (filter.state?.length) {
      vals.push(filter.state);
      where.push(`state = ANY($${vals.length}::text[])`);
    }
    if (filter.parentRunId) {
      vals.push(filter.parentRunId);
      where.push(`parent_run_id = $${vals.length}`);
    }
    vals.push(filter.limit ?? 20);
    const order = filter.order === 'queue' ? 'priority DESC, COALESCE(queued_at, created_at), id COLLATE "C"' : 'created_at DESC, id COLLATE "C" DESC';
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY ${order} LIMIT $${vals.length}`;
    return (await this.pool.query<Row>(sql, vals)).rows.map(toRun);
  }

  /** {@inheritDoc Store.getStepRuns} */
  async getStepRuns(runId: string): Promise<StoredStepRun[]> {
    return (await run(this.pool, Q.getStepRuns, [runId])).map(toStepRun);
  }

  /** {@inheritDoc Store.getStepRun} */
  async getStepRun(runId: string, stepId: string): Promise<StoredStepRun | undefined> {
    const [row] = await run(this.pool, Q.getStepRun, [runId, stepId]);
    return row === undefined ? undefined : toStepRun(row);
  }

  /** {@inheritDoc Store.getAttempts} */
  async getAttempts(runId: string, stepId?: string): Promise<AttemptRecord[]> {
    const rows = stepId === undefined ? await run(this.pool, Q.getAttemptsOfRun, [runId]) : await run(this.pool, Q.getAttemptsOfStep, [runId, stepId]);
    return rows.map(toAttempt);
  }

  /** {@inheritDoc Store.getEvents} */
  async getEvents(runId: string, afterSeq = 0, limit = 10_000): Promise<EventRecord[]> {
    return (await run(this.pool, Q.getEvents, [runId, afterSeq, limit])).map(toEvent);
  }

  /** Reads the run `FOR UPDATE`, so two nodes deciding at once take turns. @throws RunNotFoundError */
  async acquireRun(runId: string, o: RunOwner, now: number, leaseMs: number, holderAlive: (r: RunRecord, now: number) => boolean): Promise<boolean> {
    return this.tx(async (c) => {
      const [r] = await run(c, Q.lockRun, [runId]);
      if (!r) throw new RunNotFoundError(runId);
      const held = toRun(r);
      if (holderAlive(held, now) && held.owner !== o.owner) return false;
      await run(c, Q.takeRun, [runId, o.owner, o.pid, o.host, now + leaseMs]);
      return true;
    });
  }

  /** {@inheritDoc Store.renewRun} */
  async renewRun(runId: string, owner: string, now: number, leaseMs: number): Promise<RenewResult> {
    const [r] = await run(this.pool, Q.renewRun, [runId, owner, now + leaseMs]);
    return { held: r?.held === true, cancelRequested: r?.cancel_requested === true, paused: r?.paused === true };
  }

  /** {@inheritDoc Store.releaseRun} */
  async releaseRun(runId: string, owner: string): Promise<void> {
    await run(this.pool, Q.releaseRun, [runId, owner]);
  }

  /** {@inheritDoc Store.requestCancel} */
  async requestCancel(runId: string, now: number): Promise<void> {
    await run(this.pool, Q.requestCancel, [runId, now]);
  }

  /** {@inheritDoc Store.setRunPaused} */
  setRunPaused(runId: string, paused: boolean, now: number, data?: JsonObject): Promise<boolean> {
    return setRunPaused(this.pool, runId, paused, now, data);
  }

  /** {@inheritDoc Store.setRunPriority} */
  setRunPriority(runId: string, priority: number, now: number, data?: JsonObject): Promise<boolean> {
    return setRunPriority((fn) => this.tx(fn), runId, priority, now, data);
  }

  /** {@inheritDoc Store.signalSteps} */
  async signalSteps(runId: string, stepIds: readonly string[], signal: StepSignal): Promise<string[]> {
    return signalSteps((fn) => this.tx(fn), runId, stepIds, signal);
  }

  /** {@inheritDoc Store.reopenRun} */
  reopenRun(r: RunReopen): Promise<boolean> {
    return reopenRun((fn) => this.tx(fn), r);
  }

  /** {@inheritDoc Store.saveSchedules} */
  saveSchedules(workflow: string, version: string, schedules: ScheduleSpec[], now: number): Promise<void> {
    return saveSchedules((fn) => this.tx(fn), workflow, version, schedules, now);
  }

  /** {@inheritDoc Store.listSchedules} */
  listSchedules(): Promise<ScheduleRecord[]> {
    return listSchedules(this.pool);
  }

  /** {@inheritDoc Store.setSchedulesPaused} */
  setSchedulesPaused(selector: string, paused: boolean, now: number): Promise<string[]> {
    return setSchedulesPaused(this.pool, selector, paused, now);
  }

  /** {@inheritDoc Store.fireTick} */
  fireTick(t: TickFire): Promise<{ outcome: TickOutcome; runId?: string } | undefined> {
    return fireTick((fn) => this.tx(fn), t);
  }

  /** {@inheritDoc Store.promoteDueRuns} */
  promoteDueRuns(now: number, limit: number, runId?: string): Promise<string[]> {
    return promoteDueRuns((fn) => this.tx(fn), now, limit, runId);
  }

  /** {@inheritDoc Store.nextDueAt} */
  nextDueAt(): Promise<number | undefined> {
    return nextDueAt(this.pool);
  }

  /** One statement; a group named twice in one call keeps its last entry (folded here: ON CONFLICT refuses duplicates). */
  async saveBatchGroups(runId: string, stepId: string, groups: StoredBatchGroup[]): Promise<void> {
    const last = [...new Map(groups.map((g) => [g.index, g])).values()];
    if (!last.length) return;
    const cols = last.map(batchGroupColumns);
    await run(this.pool, Q.saveBatchGroups, [runId, stepId, ...[0, 1, 2, 3, 4, 5, 6].map((i) => cols.map((c) => c[i]))]);
  }

  /** {@inheritDoc Store.getBatchGroups} */
  async getBatchGroups(runId: string, stepId: string): Promise<StoredBatchGroup[]> {
    return (await run(this.pool, Q.getBatchGroups, [runId, stepId])).map(toBatchGroup);
  }

  /** Ends the pool once every checked-out connection is back. Safe to call twice. */
  close(): Promise<void> {
    return (this.closing ??= this.pool.end());
  }

  /** Runs `fn` in one transaction (see `inTransaction`). */
  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }
}

/**
 * Folds attempt ends into their breakers inside a commit: rows created if missing, then
 * locked in key order (so two commits touching the same breakers cannot deadlock), folded
 * with `core/breaker`, written back. Returns the `breaker` events to insert with the rest.
 */
async function applyBreakerCalls(c: pg.PoolClient, calls: BreakerCall[]): Promise<NewEvent[]> {
  const keys = [...new Set(calls.map((x) => x.key))].sort();
  const at = calls[0]!.at;
  await c.query(`INSERT INTO breakers (key, state, updated_at) SELECT k, 'closed', $2 FROM unnest($1::text[]) k ON CONFLICT (key) DO NOTHING`, [keys, at]);
  const rows = await c.query<Row>('SELECT * FROM breakers WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE', [keys]);
  const current = new Map<string, BreakerRecord>(rows.rows.map((r) => [String(r.key), toBreaker(r)]));
  const { rows: changed, events } = foldCalls(calls, current);
  for (const b of changed) await c.query(numbered(UPSERT_BREAKER), upsertParams(b));
  return events;
}

/** Runs a named statement; returns its rows. */
async function run(db: Queryable, q: NamedQuery, values: unknown[]): Promise<Row[]> {
  return (await db.query<Row>({ name: q.name, text: q.text, values })).rows;
}
