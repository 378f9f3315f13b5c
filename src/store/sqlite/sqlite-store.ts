/**
 * @module store/sqlite
 * The embedded default store: one SQLite file through better-sqlite3, in WAL mode.
 * better-sqlite3 is synchronous; the async `Store` methods wrap it so the runtime stays
 * driver-agnostic. All writes of one engine flush go through `commit` in one transaction.
 */
/* eslint-disable @typescript-eslint/require-await -- the driver is synchronous; `async` turns its throws into rejections */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScheduleSpec } from '../../workflow/index.js';
import type { JsonObject } from '../../shared/index.js';
import type { HistoryStore } from '../history-types.js';
import type { ApiStore } from '../api-types.js';
import type { RetentionStore } from '../retention-types.js';
import type {
  AttemptRecord, Batch, EventRecord, NewEvent, RenewResult, RunFilter, RunOwner, RunRecord, RunReopen, ScheduleRecord, Store, StoredStepRun,
  TickFire, TickOutcome, WorkflowVersionRecord,
} from '../types.js';
import type { SqliteControlContext } from './control.js';
import { reopenRun, setRunPaused, setRunPriority, signalSteps } from './control.js';
import { RunNotFoundError, StoreUnsupportedError } from '../types.js';
import type { StepSignal, StoredBatchGroup } from '../types.js';
import { batchGroupColumns, toBatchGroup } from '../batch-groups.js';
import { SqliteApiStore } from './api.js';
import { SqlAlertStore } from '../alert-sql.js';
import type { AlertStore } from '../alert-types.js';
import { sqliteExecutor } from './sql-executor.js';
import type { BreakerRecord } from '../../core/index.js';
import type { BreakerCall, BreakerStore } from '../breaker-types.js';
import { SqlBreakerStore, UPSERT_BREAKER, foldCalls, toBreaker, upsertParams } from '../breaker-sql.js';
import { SqliteHistoryStore } from './history.js';
import { SqliteRetentionStore } from './retention.js';
import type { Row } from '../rows.js';
import { json, LIST_SCHEDULES_SQL, toAttempt, toEvent, toRun, toSchedule, toStepRun, toWorkflow } from '../rows.js';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /**
   * `normal` survives any process crash (WAL); a power loss may lose the last commits.
   * `full` fsyncs every commit and survives power loss, at several times the cost per commit.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /** How long a writer waits for another process's lock, ms. @default 5000 */
  busyTimeoutMs?: number;
}

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'store', 'sqlite', 'migrations');

type Stmt = Database.Statement<unknown[], Row>;

/**
 * better-sqlite3, loaded when the first SQLite store is opened: a native addon that
 * programs importing baton for a PostgreSQL store, or only for its types, never need.
 */
function loadSqlite(): typeof Database {
  return (sqliteDriver ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database);
}
let sqliteDriver: typeof Database | undefined;

/** Opens (creating folders as needed) the SQLite store at `path`. */
export function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return new SqliteStore(new (loadSqlite())(path), opts);
}

/**
 * SQLite implementation of `Store`. Methods are `async` although the driver is synchronous,
 * so a driver error surfaces as a rejected promise, as with every other store.
 */
export class SqliteStore implements Store {
  private readonly st: Record<string, Stmt> = {};
  private readonly commitTx: (b: Batch) => void;
  private readonly createRunTx: Database.Transaction<(run: RunRecord, steps: StoredStepRun[], events: NewEvent[]) => void>;
  /** {@inheritDoc Store.api} */
  readonly api: ApiStore;
  /** {@inheritDoc Store.alerts} */
  readonly alerts: AlertStore;
  /** {@inheritDoc Store.history} */
  readonly history: HistoryStore;
  /** {@inheritDoc Store.retention} */
  readonly retention: RetentionStore;
  /** {@inheritDoc Store.breakers} */
  readonly breakers: BreakerStore;

  constructor(
    private readonly db: Database.Database,
    opts: SqliteStoreOptions,
  ) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    // The engine commits once per flush: the transaction wrapper is made once, not per call.
    this.commitTx = db.transaction((b: Batch) => this.applyBatch(b));
    this.createRunTx = db.transaction((run: RunRecord, steps: StoredStepRun[], events: NewEvent[]) => this.insertRun(run, steps, events));
    this.api = new SqliteApiStore(db, (r, s, e) => this.insertRun(r, s, e), MIGRATIONS_DIR);
    this.alerts = new SqlAlertStore(sqliteExecutor(db));
    this.breakers = new SqlBreakerStore(sqliteExecutor(db));
    this.history = new SqliteHistoryStore(db);
    this.retention = new SqliteRetentionStore(db);
  }

  private stmt(sql: string): Stmt {
    return (this.st[sql] ??= this.db.prepare(sql));
  }

  /** {@inheritDoc Store.migrate} */
  async migrate(): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const done = new Set((this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
    const files = readdirSync(MIGRATIONS_DIR).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
    // IMMEDIATE takes the write lock up front, so two processes starting at once serialize
    // on busy_timeout instead of one failing with SQLITE_BUSY halfway through.
    const apply = this.db.transaction((version: number, name: string, sql: string) => {
      const again = this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(version);
      if (again) return;
      this.db.exec(sql);
      this.db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(version, name, Date.now());
    });
    for (const f of files) {
      const version = Number.parseInt(f, 10);
      if (done.has(version)) continue;
      apply.immediate(version, f, readFileSync(join(MIGRATIONS_DIR, f), 'utf8'));
    }
  }

  /** {@inheritDoc Store.saveWorkflow} */
  async saveWorkflow(w: WorkflowVersionRecord): Promise<void> {
    this.stmt(
      'INSERT OR IGNORE INTO workflows (version, name, definition, source_path, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(w.version, w.name, JSON.stringify(w.definition), w.sourcePath ?? null, w.createdAt);
  }

  /** {@inheritDoc Store.getWorkflow} */
  async getWorkflow(version: string): Promise<WorkflowVersionRecord | undefined> {
    const r = this.stmt('SELECT * FROM workflows WHERE version = ?').get(version);
    return r ? toWorkflow(r) : undefined;
  }

  /** {@inheritDoc Store.createRun} */
  async createRun(run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<void> {
    this.createRunTx.immediate(run, steps, events);
  }

  /** Inserts a run with its step runs and events; the caller holds the transaction. */
  private insertRun(run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): void {
    this.stmt(
      `INSERT INTO runs (id, workflow, version, state, trigger, params, priority, concurrency, step_count, created_at,
         due_at, schedule_id, tick_at, wait_for_schedule, owner, owner_pid, owner_host, lease_expires_at, queued_at, retry_of,
         parent_run_id, parent_step_id, depth)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(run.id, run.workflow, run.version, run.state, run.trigger, JSON.stringify(run.params), run.priority,
      run.concurrency ?? null, run.stepCount, run.createdAt, run.dueAt ?? null, run.scheduleId ?? null, run.tickAt ?? null,
      run.waitForSchedule ? 1 : 0, run.owner ?? null, run.ownerPid ?? null, run.ownerHost ?? null, run.leaseExpiresAt ?? null,
      run.queuedAt ?? null, run.retryOf ?? null, run.parentRunId ?? null, run.parentStepId ?? null, run.depth ?? 0);
    const ins = this.stmt(
      'INSERT INTO step_runs (run_id, step_id, position, state, attempts, lost_attempts) VALUES (?, ?, ?, ?, 0, 0)',
    );
    for (const s of steps) ins.run(s.runId, s.stepId, s.position, s.state);
    this.insertEvents(events);
  }

  /** {@inheritDoc Store.saveSchedules} */
  async saveSchedules(workflow: string, version: string, schedules: ScheduleSpec[], now: number): Promise<void> {
    this.db.transaction(() => {
      const ids = schedules.map((x) => x.id);
      this.db.prepare(`DELETE FROM schedules WHERE workflow = ? AND id NOT IN (${ids.map(() => '?').join(', ')})`).run(workflow, ...ids);
      const upsert = this.stmt(
        `INSERT INTO schedules (id, workflow, version, spec, paused, last_tick_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, spec = excluded.spec, updated_at = excluded.updated_at`,
      );
      // A new schedule starts from now: it does not replay ticks from before it existed.
      for (const x of schedules) upsert.run(x.id, workflow, version, JSON.stringify(x), now, now);
    }).immediate();
  }

  /** {@inheritDoc Store.listSchedules} */
  async listSchedules(): Promise<ScheduleRecord[]> {
    return this.stmt(LIST_SCHEDULES_SQL).all().map(toSchedule);
  }

  /** {@inheritDoc Store.setSchedulesPaused} */
  async setSchedulesPaused(selector: string, paused: boolean, now: number): Promise<string[]> {
    return this.db.transaction(() => {
      const rows = this.stmt('SELECT id FROM schedules WHERE id = ? OR workflow = ? ORDER BY id').all(selector, selector) as { id: string }[];
      // Resuming moves the last tick to now: ticks that fell while paused are not replayed.
      const upd = this.stmt(
        'UPDATE schedules SET paused = ?, updated_at = ?, last_tick_at = CASE WHEN ? THEN last_tick_at ELSE MAX(COALESCE(last_tick_at, 0), ?) END WHERE id = ?',
      );
      for (const r of rows) upd.run(paused ? 1 : 0, now, paused ? 1 : 0, now, r.id);
      return rows.map((r) => r.id);
    }).immediate();
  }

  /** {@inheritDoc Store.fireTick} */
  async fireTick(t: TickFire): Promise<{ outcome: TickOutcome; runId?: string } | undefined> {
    // IMMEDIATE: the tick row, the overlap check and the run are decided under the write lock.
    return this.db.transaction(() => {
      const taken = this.stmt('SELECT 1 FROM schedule_ticks WHERE schedule_id = ? AND tick_at = ?').get(t.scheduleId, t.tickAt);
      if (taken) return undefined;
      let outcome: TickOutcome = t.refused === 'backpressure' ? 'skipped-backpressure' : 'skipped-misfire';
      let runId: string | undefined;
      if (t.run) {
        const active = this.stmt(
          "SELECT count(*) AS n FROM runs WHERE schedule_id = ? AND state IN ('pending', 'queued', 'running')",
        ).get(t.scheduleId) as { n: number };
        if (active.n > 0 && t.overlap === 'skip' && !t.replay) {
          outcome = 'skipped-overlap';
        } else {
          outcome = 'created';
          runId = t.run.record.id;
          this.insertRun({ ...t.run.record, waitForSchedule: active.n > 0 && (t.overlap === 'queue' || (t.replay === true && t.overlap === 'skip')) }, t.run.steps, t.run.events);
        }
      }
      this.stmt('INSERT INTO schedule_ticks (schedule_id, tick_at, outcome, run_id, fired_at) VALUES (?, ?, ?, ?, ?)').run(
        t.scheduleId, t.tickAt, outcome, runId ?? null, t.now,
      );
      this.stmt('UPDATE schedules SET last_tick_at = MAX(COALESCE(last_tick_at, 0), ?) WHERE id = ?').run(t.tickAt, t.scheduleId);
      return runId === undefined ? { outcome } : { outcome, runId };
    }).immediate();
  }

  /** {@inheritDoc Store.promoteDueRuns} */
  async promoteDueRuns(now: number, limit: number, runId?: string): Promise<string[]> {
    return this.db.transaction(() => {
      const due = (runId === undefined
        ? this.stmt(
          `SELECT id, schedule_id, wait_for_schedule FROM runs WHERE state = 'pending' AND due_at <= ?
           ORDER BY priority DESC, due_at, created_at LIMIT ?`,
        ).all(now, limit)
        : this.stmt("SELECT id, schedule_id, wait_for_schedule FROM runs WHERE id = ? AND state = 'pending' AND due_at <= ?").all(runId, now)
      ) as { id: string; schedule_id: string | null; wait_for_schedule: number }[];
      const busy = new Set<string>();
      const promoted: string[] = [];
      const active = this.stmt("SELECT count(*) AS n FROM runs WHERE schedule_id = ? AND state IN ('queued', 'running')");
      const move = this.stmt("UPDATE runs SET state = 'queued', queued_at = ? WHERE id = ? AND state = 'pending'");
      for (const r of due) {
        if (r.schedule_id !== null) {
          if (r.wait_for_schedule && (busy.has(r.schedule_id) || (active.get(r.schedule_id) as { n: number }).n > 0)) continue;
          busy.add(r.schedule_id);
        }
        move.run(now, r.id);
        promoted.push(r.id);
      }
      this.insertEvents(promoted.map((id) => ({ runId: id, type: 'run', from: 'pending', to: 'queued', at: now })));
      return promoted;
    }).immediate();
  }

  /** {@inheritDoc Store.nextDueAt} */
  async nextDueAt(): Promise<number | undefined> {
    const r = this.stmt("SELECT MIN(due_at) AS due FROM runs WHERE state = 'pending'").get() as { due: number | null };
    return r.due ?? undefined;
  }

  /**
   * {@inheritDoc Store.commit}
   * @throws StoreUnsupportedError for a batch that publishes or applies fleet attempts (PostgreSQL only)
   */
  async commit(b: Batch): Promise<void> {
    // Never ignored in silence: an engine that thinks it has a fleet on SQLite would wait
    // forever for workers that cannot exist.
    if (b.attemptsPublished?.length || b.attemptsApplied?.length) {
      throw new StoreUnsupportedError('the SQLite store has no fleet: a commit cannot publish or apply fleet attempts (use PostgreSQL for a fleet)');
    }
    this.commitTx(b);
  }

  /** Writes a batch; runs inside `commitTx`. */
  private applyBatch(b: Batch): void {
    for (const c of b.runsCreated ?? []) this.insertRun(c.record, c.steps, c.events);
    if (b.stepRunsAdded?.length) {
      const ins = this.stmt('INSERT OR IGNORE INTO step_runs (run_id, step_id, position, state, attempts, lost_attempts, item) VALUES (?, ?, ?, ?, 0, 0, ?)');
      for (const s of b.stepRunsAdded) ins.run(s.runId, s.stepId, s.position, s.state, json(s.item));
    }
    if (b.attemptsStarted.length) {
      const ins = this.stmt(
        // OR IGNORE: a retried batch finds its attempts already there (see the PostgreSQL store).
        `INSERT OR IGNORE INTO attempts (id, run_id, step_id, number, state, started_at, log_path, worker)
         VALUES (?, ?, ?, ?, 'running', ?, ?, ?)`,
      );
      for (const a of b.attemptsStarted) ins.run(a.id, a.runId, a.stepId, a.number, a.startedAt, a.logPath ?? null, a.worker ?? null);
    }
    if (b.attemptsEnded.length) {
      // Guarded: only a running attempt can end, so a late report after `lost` changes nothing.
      const upd = this.stmt(
        `UPDATE attempts SET state = ?, ended_at = ?, exit_code = ?, error = ?, peak_rss_bytes = ?, cpu_ms = ?
         WHERE id = ? AND state = 'running'`,
      );
      for (const a of b.attemptsEnded) {
        upd.run(a.state, a.endedAt, a.exitCode ?? null, json(a.error), a.peakRssBytes ?? null, a.cpuMs ?? null, a.id);
      }
    }
    if (b.attemptPids?.length) {
      const upd = this.stmt('UPDATE attempts SET pid = ? WHERE id = ?');
      for (const p of b.attemptPids) upd.run(p.pid, p.id);
    }
    if (b.stepRuns.length) {
      const upd = this.stmt(
        `UPDATE step_runs SET state = ?, attempts = ?, lost_attempts = ?, queued_at = ?, due_at = ?, started_at = ?,
           ended_at = ?, reason = ?, output = ?, error = ?, circuit = ? WHERE run_id = ? AND step_id = ?`,
      );
      for (const s of b.stepRuns) {
        upd.run(s.state, s.attempts, s.lostAttempts, s.queuedAt ?? null, s.dueAt ?? null, s.startedAt ?? null,
          s.endedAt ?? null, s.reason ?? null, json(s.output), json(s.error), json(s.circuit), s.runId, s.stepId);
      }
    }
    for (const r of b.runs) {
      // COALESCE keeps a column as it is when the update leaves it out (undefined -> NULL
      // parameter); `endedAt`/`reason` set to null clear the column on purpose.
      this.stmt(
        `UPDATE runs SET state = COALESCE(?, state), started_at = COALESCE(started_at, ?),
           ended_at = CASE WHEN ? THEN ? ELSE ended_at END, reason = CASE WHEN ? THEN ? ELSE reason END WHERE id = ?`,
      ).run(r.state ?? null, r.startedAt ?? null, r.endedAt !== undefined ? 1 : 0, r.endedAt ?? null,
        r.reason !== undefined ? 1 : 0, r.reason ?? null, r.id);
      if (r.release !== undefined) this.releaseStmt().run(r.id, r.release);
    }
    this.insertEvents(b.events);
    if (b.breakerCalls?.length) this.applyBreakerCalls(b.breakerCalls);
  }

  /** Folds attempt ends into their breakers; inside the commit's immediate transaction, so no other writer interleaves. */
  private applyBreakerCalls(calls: BreakerCall[]): void {
    const keys = [...new Set(calls.map((c) => c.key))];
    const read = this.stmt('SELECT * FROM breakers WHERE key = ?');
    const current = new Map<string, BreakerRecord>();
    for (const k of keys) {
      const r = read.get(k);
      if (r) current.set(k, toBreaker(r));
    }
    const { rows, events } = foldCalls(calls, current);
    const up = this.stmt(UPSERT_BREAKER);
    for (const b of rows) up.run(...upsertParams(b));
    this.insertEvents(events);
  }

  private insertEvents(events: NewEvent[]): void {
    if (!events.length) return;
    const ins = this.stmt(
      'INSERT INTO events (run_id, step_id, attempt_id, type, from_state, to_state, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const e of events) {
      ins.run(e.runId, e.stepId ?? null, e.attemptId ?? null, e.type, e.from ?? null, e.to ?? null, e.at, json(e.data));
    }
  }

  /** {@inheritDoc Store.resolveRunId} */
  async resolveRunId(idOrPrefix: string): Promise<string> {
    const exact = this.stmt('SELECT id FROM runs WHERE id = ?').get(idOrPrefix);
    if (exact) return idOrPrefix;
    const rows = this.stmt("SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY id LIMIT 6").all(
      idOrPrefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%',
    ) as { id: string }[];
    if (rows.length === 1) return rows[0]!.id;
    throw new RunNotFoundError(idOrPrefix, rows.map((r) => r.id));
  }

  /** {@inheritDoc Store.getRun} */
  async getRun(id: string): Promise<RunRecord | undefined> {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id);
    return r ? toRun(r) : undefined;
  }

  /** {@inheritDoc Store.listRuns} */
  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const vals: unknown[] = [];
    if (filter.workflow) {
      where.push('workflow = ?');
      vals.push(filter.workflow);
    }
    if (filter.state?.length) {
      where.push(`state IN (${filter.state.map(() => '?').join(', ')})`);
      vals.push(...filter.state);
    }
    if (filter.parentRunId) {
      where.push('parent_run_id = ?');
      vals.push(filter.parentRunId);
    }
    const order = filter.order === 'queue' ? 'priority DESC, COALESCE(queued_at, created_at), id' : 'created_at DESC, id DESC';
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY ${order} LIMIT ?`;
    return this.db.prepare(sql).all(...vals, filter.limit ?? 20).map((r) => toRun(r as Row));
  }

  /** {@inheritDoc Store.getStepRuns} */
  async getStepRuns(runId: string): Promise<StoredStepRun[]> {
    const rows = this.stmt('SELECT * FROM step_runs WHERE run_id = ? ORDER BY position, length(step_id), step_id').all(runId);
    return rows.map(toStepRun);
  }

  /** {@inheritDoc Store.getStepRun} */
  async getStepRun(runId: string, stepId: string): Promise<StoredStepRun | undefined> {
    const row = this.stmt('SELECT * FROM step_runs WHERE run_id = ? AND step_id = ?').get(runId, stepId);
    return row === undefined ? undefined : toStepRun(row);
  }

  /** {@inheritDoc Store.getAttempts} */
  async getAttempts(runId: string, stepId?: string): Promise<AttemptRecord[]> {
    const rows =
      stepId === undefined
        ? this.stmt('SELECT * FROM attempts WHERE run_id = ? ORDER BY started_at, number').all(runId)
        : this.stmt('SELECT * FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY number').all(runId, stepId);
    return rows.map(toAttempt);
  }

  /** {@inheritDoc Store.getEvents} */
  async getEvents(runId: string, afterSeq = 0, limit = 10_000): Promise<EventRecord[]> {
    const rows = this.stmt('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(runId, afterSeq, limit);
    return rows.map(toEvent);
  }

  /** {@inheritDoc Store.acquireRun} */
  async acquireRun(runId: string, o: RunOwner, now: number, leaseMs: number, holderAlive: (r: RunRecord, now: number) => boolean): Promise<boolean> {
    const taken = this.db.transaction(() => {
      const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(runId);
      if (!r) throw new RunNotFoundError(runId);
      const run = toRun(r);
      if (holderAlive(run, now) && run.owner !== o.owner) return false;
      this.stmt(
        'UPDATE runs SET owner = ?, owner_pid = ?, owner_host = ?, lease_expires_at = ?, cancel_requested_at = NULL WHERE id = ?',
      ).run(o.owner, o.pid, o.host, now + leaseMs, runId);
      return true;
    }).immediate();
    return taken;
  }

  /** {@inheritDoc Store.renewRun} */
  async renewRun(runId: string, owner: string, now: number, leaseMs: number): Promise<RenewResult> {
    const res = this.stmt('UPDATE runs SET lease_expires_at = ? WHERE id = ? AND owner = ?').run(now + leaseMs, runId, owner);
    const r = this.stmt('SELECT cancel_requested_at, paused_at FROM runs WHERE id = ?').get(runId);
    return { held: res.changes === 1, cancelRequested: r?.cancel_requested_at != null, paused: r?.paused_at != null };
  }

  /** {@inheritDoc Store.releaseRun} */
  async releaseRun(runId: string, owner: string): Promise<void> {
    this.releaseStmt().run(runId, owner);
  }

  private releaseStmt(): Stmt {
    return this.stmt('UPDATE runs SET owner = NULL, owner_pid = NULL, owner_host = NULL, lease_expires_at = NULL WHERE id = ? AND owner = ?');
  }

  /** {@inheritDoc Store.requestCancel} */
  async requestCancel(runId: string, now: number): Promise<void> {
    this.db.transaction(() => {
      const r = this.stmt('UPDATE runs SET cancel_requested_at = ? WHERE id = ? AND cancel_requested_at IS NULL').run(now, runId);
      if (r.changes) this.insertEvents([{ runId, type: 'cancel-requested', at: now }]);
    })();
  }

  /** {@inheritDoc Store.setRunPaused} */
  async setRunPaused(runId: string, paused: boolean, now: number, data?: JsonObject): Promise<boolean> {
    return setRunPaused(this.control, runId, paused, now, data);
  }

  /** {@inheritDoc Store.setRunPriority} */
  async setRunPriority(runId: string, priority: number, now: number, data?: JsonObject): Promise<boolean> {
    return setRunPriority(this.control, runId, priority, now, data);
  }

  /** {@inheritDoc Store.signalSteps} */
  async signalSteps(runId: string, stepIds: readonly string[], signal: StepSignal): Promise<string[]> {
    return signalSteps(this.control, runId, stepIds, signal);
  }

  /** {@inheritDoc Store.reopenRun} */
  async reopenRun(r: RunReopen): Promise<boolean> {
    return reopenRun(this.control, r);
  }

  /** What the run-control writes (./control.ts) use of this store. */
  private get control(): SqliteControlContext {
    return { db: this.db, stmt: (sql) => this.stmt(sql), insertEvents: (events) => this.insertEvents(events) };
  }

  /** {@inheritDoc Store.saveBatchGroups} */
  async saveBatchGroups(runId: string, stepId: string, groups: StoredBatchGroup[]): Promise<void> {
    const upsert = this.stmt(
      `INSERT OR REPLACE INTO batch_groups (run_id, step_id, group_index, items, state, attempts, outputs, error, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      for (const g of groups) upsert.run(runId, stepId, ...batchGroupColumns(g));
    })();
  }

  /** {@inheritDoc Store.getBatchGroups} */
  async getBatchGroups(runId: string, stepId: string): Promise<StoredBatchGroup[]> {
    return this.stmt('SELECT * FROM batch_groups WHERE run_id = ? AND step_id = ? ORDER BY group_index').all(runId, stepId).map(toBatchGroup);
  }

  /** {@inheritDoc Store.close} */
  async close(): Promise<void> {
    this.db.close();
  }
}
