/**
 * @module store/postgres/fleet
 * `FleetStore` on PostgreSQL: workers, claims under leases and fencing tokens, completion,
 * reaping, pools (design: store/fleet-types.ts; statements: ./fleet-queries.ts; LISTEN:
 * ./fleet-listen.ts).
 *
 * It has its own pool, opened by `openFleetStore(url)`, rather than living on `PgStore`:
 * a `baton worker` needs only these operations (not the `Store` contract), its pool is
 * sized by its slots and heartbeat rather than by an engine's commits, and the `Store`
 * contract stays what SQLite can also implement. A coordinator opens both on one URL;
 * `markApplied` moves into its commit transaction when the engine is wired.
 */
import type pg from 'pg';
import type {
  AttemptOutcome, CancelRequestResult, ClaimedAttempt, ClaimRequest, CompleteAndClaimResult, CompletedAttempt, CompletionItem, FleetAttemptInput, FleetChannel, FleetListener,
  ExpiredAttempt, FleetStore, HeartbeatResult, ListenOptions, ReapedAttempt, WaitingAttempt, WorkerFacts, WorkerLoad, WorkerRecord, WorkerRegistration, WorkerState,
  WorkerStatus,
} from '../fleet-types.js';
import { DEFAULT_WORKER_LEASE_MS, WORKER_RETENTION_MS } from '../fleet-types.js';
import type { QueuedAttempt } from '../fleet-waiting.js';
import { waitingReason } from '../fleet-waiting.js';
import { DEFAULT_AGING_MS } from '../../core/index.js';
import type { JsonObject, JsonValue } from '../../shared/index.js';
import { inTransaction, json, loadPg, parseJson, pgTypes } from './dialect.js';
import { FQ } from './fleet-queries.js';
import { PgListener } from './fleet-listen.js';
import type { NamedQuery } from './queries.js';
import type { Row } from '../rows.js';
import { toAttempt } from '../rows.js';

/** Options of the fleet store. */
export interface FleetStoreOptions {
  /** Connections in the pool. @default 4 */
  max?: number;
  /** How long to wait for a connection before failing, ms. @default 10000 */
  connectTimeoutMs?: number;
}

/**
 * Opens a fleet store on `url` (`postgres://…`). No connection is made until the first
 * call; the schema comes from `PgStore#migrate()` (migration 0004).
 * @example
 * const fleet = openFleetStore(process.env.BATON_DATABASE_URL!);
 * await fleet.registerWorker({ id, host, pid: process.pid, platform: process.platform, tags: ['docker'], slots: 4, version });
 */
export function openFleetStore(url: string, opts: FleetStoreOptions = {}): PgFleetStore {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max: opts.max ?? 4,
    connectionTimeoutMillis: connectTimeoutMs,
    types: pgTypes(),
    application_name: 'baton-fleet',
  });
  return new PgFleetStore(pool, url, { connectTimeoutMs });
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * PostgreSQL implementation of `FleetStore`. Methods reject with node-postgres errors
 * (`pg.DatabaseError`, connection errors) when the database fails; a failed transaction
 * is rolled back whole.
 */
export class PgFleetStore implements FleetStore {
  private closing: Promise<void> | undefined;
  private readonly listeners = new Set<FleetListener>();

  /** @param url - for `listen`, which opens its own connection. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly o: { connectTimeoutMs: number },
  ) {
    // See PgStore: an idle connection that breaks is dropped; the next query reconnects.
    pool.on('error', () => undefined);
  }

  /**
   * Creates or refreshes the worker row: state `active`, started and heartbeat at database
   * time. Attempts still held under this id (a previous process with the same id) become
   * `lost`, since the new process cannot report for them.
   */
  async registerWorker(w: WorkerRegistration): Promise<WorkerRecord> {
    const [r] = await run(this.pool, FQ.registerWorker, [w.id, w.host, w.pid, w.platform, w.tags, w.slots, w.version, w.leaseMs ?? DEFAULT_WORKER_LEASE_MS,
      w.facts ? JSON.stringify(w.facts) : null]);
    return toWorker(r!);
  }

  /**
   * One statement: records `load`, and extends the lease of every running attempt the
   * worker holds to database time + that attempt's lease length. Attempts it no longer
   * holds (reaped, or never its own) are absent from `renewed`: the worker must stop them.
   */
  async heartbeatWorker(id: string, load: WorkerLoad, held?: string[]): Promise<HeartbeatResult> {
    const rows = held === undefined
      ? await run(this.pool, FQ.heartbeatAll, [id, JSON.stringify(load)])
      : await run(this.pool, FQ.heartbeat, [id, JSON.stringify(load), held]);
    const renewed = rows.map((r) => r.id as string).sort();
    const cancelled = rows.filter((r) => r.cancel_requested === true).map((r) => r.id as string).sort();
    return { renewed, cancelled };
  }

  /** Every worker by id, with `heartbeatAgeMs` measured on the database clock; dead ones read `lost`. */
  async listWorkers(): Promise<WorkerRecord[]> {
    return (await run(this.pool, FQ.listWorkers, [])).map(toWorker);
  }

  /** `draining` stops new claims; `stopped` marks it gone. Returns false when there is no such worker. */
  async setWorkerState(id: string, state: WorkerState): Promise<boolean> {
    return (await this.pool.query({ name: FQ.setWorkerState.name, text: FQ.setWorkerState.text, values: [id, state] })).rowCount === 1;
  }

  /** Deletes workers stopped or lost more than `retentionMs` ago (database time); returns how many. */
  async pruneWorkers(retentionMs = WORKER_RETENTION_MS): Promise<number> {
    return (await this.pool.query({ name: FQ.pruneWorkers.name, text: FQ.pruneWorkers.text, values: [retentionMs] })).rowCount ?? 0;
  }

  /**
   * Why each published, unclaimed attempt of `runIds` waits: the attempts and pool counts
   * from one statement, matched against `listWorkers` by {@link waitingReason}.
   */
  async waitingAttempts(runIds: string[]): Promise<WaitingAttempt[]> {
    if (!runIds.length) return [];
    const rows = await run(this.pool, FQ.waiting, [runIds]);
    if (!rows.length) return [];
    const workers = await this.listWorkers();
    return rows.map((r) => {
      const q: QueuedAttempt = { runsOn: (r.runs_on as string[] | null) ?? [], poolFull: r.pool_full === true };
      if (r.pool != null) q.pool = r.pool as string;
      if (typeof r.breaker_state === 'string') q.breaker = { key: r.breaker as string, state: r.breaker_state };
      return {
        attemptId: r.id as string, runId: r.run_id as string, stepId: r.step_id as string, waitedMs: Math.max(0, Number(r.waited_ms)),
        ...waitingReason(q, workers),
      };
    });
  }

  /** Fails the attempts of `runIds` left unclaimed past their claim deadline (type `unclaimed`). */
  async expireUnclaimed(runIds: string[]): Promise<ExpiredAttempt[]> {
    if (!runIds.length) return [];
    return (await run(this.pool, FQ.expireUnclaimed, [runIds]))
      .map((r) => ({ id: r.id as string, runId: r.run_id as string, missingTags: (r.missing as string[] | null) ?? [] }))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /**
   * Sets the fleet-wide limit of `name` (claimed running attempts at once), or removes it
   * with `undefined` (unlimited). A limit applies to claims that start after it is set.
   * @throws pg.DatabaseError when `max` is negative.
   */
  async setPoolLimit(name: string, max: number | undefined): Promise<void> {
    if (max === undefined) await run(this.pool, FQ.deletePoolLimit, [name]);
    else await run(this.pool, FQ.setPoolLimit, [name, max]);
  }

  /**
   * Publishes attempts in one statement: new ids are inserted `running` and unclaimed;
   * ids the coordinator already inserted get their task, `priority_key`, `pool` and
   * `runs_on` (only while still unclaimed). `priority_key = priority * agingMs - queuedAt`,
   * with each row's `agingMs` (the publishing engine's).
   * NOTIFYs `baton_tasks` once. An id given twice keeps its last entry.
   */
  async enqueueAttempts(rows: FleetAttemptInput[]): Promise<void> {
    await enqueueOn(this.pool, rows);
  }

  /**
   * Claims up to `req.max` attempts whose `runs_on` ⊆ `req.tags` ∪ {`req.platform`},
   * highest `priority_key` first, each with a lease of `req.leaseMs` from database time and
   * its fence incremented. Attempts without a pool limit take one statement (`SKIP
   * LOCKED`); attempts of limited pools are claimed in a transaction under each pool's
   * advisory lock, so a pool never has more than its `max` claimed running attempts
   * whatever the number of claimers. Returns the claimed attempts, best first; empty when
   * the worker is not registered `active`.
   */
  async claimAttempts(workerId: string, req: ClaimRequest): Promise<ClaimedAttempt[]> {
    return (await this.completeAndClaim(workerId, [], req)).claimed;
  }

  /**
   * Ends a held attempt: one statement guarded by holder, fence and state `running`, which
   * stores the outcome (`ended_at` database time, `applied = false`) and NOTIFYs
   * `baton_done` with the run id. When it matches nothing the result is `'discarded'`
   * and an `attempt-discarded` event `{ worker, fence }` is recorded, except for a repeat
   * of a completion this holder already made with this fence (a retried report), which
   * is `'applied'` again and records nothing.
   */
  async completeAttempt(workerId: string, attemptId: string, fence: number, outcome: AttemptOutcome): Promise<'applied' | 'discarded'> {
    const matched = await run(this.pool, FQ.complete, [
      attemptId, workerId, fence, outcome.state, outcome.exitCode ?? null, json(outcome.error), json(outcome.output),
      outcome.peakRssBytes ?? null, outcome.cpuMs ?? null,
    ]);
    if (matched.length) return 'applied';
    return this.tx(async (c) => {
      const [a] = await run(c, FQ.lockForDiscard, [attemptId]);
      if (!a) return 'discarded';
      if (a.claimed_by === workerId && a.fence === fence && a.state !== 'running' && a.state !== 'lost') return 'applied';
      await run(c, FQ.insertDiscarded, [a.run_id, a.step_id, a.id, JSON.stringify({ worker: workerId, fence })]);
      return 'discarded';
    });
  }

  /**
   * Completes several held attempts in one statement; each result as `completeAttempt`
   * would give it, in input order.
   */
  async completeAttempts(workerId: string, items: CompletionItem[]): Promise<('applied' | 'discarded')[]> {
    if (!items.length) return [];
    return (await this.completeAndClaim(workerId, items, undefined)).results;
  }

  /**
   * Completes `items` (as `completeAttempts`), then claims (as `claimAttempts`, when `req` is
   * given and `req.max > 0`), in one statement and one commit when no limited pool is in
   * the way. Completions come first: `req.max` may count the slots they free.
   */
  async completeAndClaim(workerId: string, items: CompletionItem[], req: ClaimRequest | undefined): Promise<CompleteAndClaimResult> {
    const max = req?.max ?? 0;
    const tags = req ? [...new Set([...req.tags, req.platform])] : [];
    const claimed: ClaimedAttempt[] = [];
    const rows = await run(this.pool, FQ.completeAndClaim, [
      workerId, tags, max, req?.leaseMs ?? 0,
      items.map((i) => i.attemptId), items.map((i) => i.fence), items.map((i) => i.outcome.state),
      items.map((i) => i.outcome.exitCode ?? null), items.map((i) => json(i.outcome.error)), items.map((i) => json(i.outcome.output)),
      items.map((i) => i.outcome.peakRssBytes ?? null), items.map((i) => i.outcome.cpuMs ?? null),
      ...logColumns(items),
    ]);
    const matched = new Set(parseJson<string[]>(rows[0]?.done_ids) ?? []);
    const results: ('applied' | 'discarded')[] = [];
    for (const i of items) {
      // Rare: a lease lost or a repeated report; the single-attempt path records the discard.
      results.push(matched.has(i.attemptId) ? 'applied' : await this.completeAttempt(workerId, i.attemptId, i.fence, i.outcome));
    }
    for (const r of rows) if (r.id != null) claimed.push(toClaimed(r));
    // A fast round can return limited pools instead of filling up; a pooled round then
    // claims from them, and one more fast round fills what they could not.
    let pools = ((rows[0]?.limited_pools as string[] | null) ?? []).sort();
    for (let round = 0; pools.length && claimed.length < max; round++) {
      const left = max - claimed.length;
      const pooled = await this.tx(async (c) => {
        await run(c, FQ.lockPools, [pools]);
        return run(c, FQ.claimPooled, [workerId, tags, left, req!.leaseMs, pools]);
      });
      claimed.push(...pooled.map(toClaimed));
      if (round === 1 || claimed.length >= max) break;
      const more = await run(this.pool, FQ.claimFast, [workerId, tags, max - claimed.length, req!.leaseMs]);
      claimed.push(...more.filter((r) => r.id != null).map(toClaimed));
      pools = ((more[0]?.limited_pools as string[] | null) ?? []).sort();
    }
    claimed.sort((a, b) => b.priorityKey - a.priorityKey || (a.id < b.id ? -1 : 1));
    return { results, claimed };
  }

  /**
   * Makes every running attempt whose lease expired before database time `lost` (error
   * type `lost`, retryable; `applied = false`) and NOTIFYs `baton_done` per run. Any node
   * may call it at any time; concurrent callers reap disjoint sets.
   */
  async reapExpired(): Promise<ReapedAttempt[]> {
    const rows = await run(this.pool, FQ.reap, []);
    return rows.map((r) => {
      const x: ReapedAttempt = { id: r.id as string, runId: r.run_id as string };
      if (r.claimed_by != null) x.worker = r.claimed_by as string;
      return x;
    }).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Ended attempts of `runIds` with `applied = false`, by end time then id. */
  async takeCompleted(runIds: string[]): Promise<CompletedAttempt[]> {
    if (!runIds.length) return [];
    return (await run(this.pool, FQ.takeCompleted, [runIds])).map(toCompleted);
  }

  /** These attempts, where ended and not applied yet, by end time then id. */
  async takeEnded(attemptIds: string[]): Promise<CompletedAttempt[]> {
    if (!attemptIds.length) return [];
    return (await run(this.pool, FQ.takeEnded, [attemptIds])).map(toCompleted);
  }

  /** Sets `applied = true`; returns how many attempts changed. */
  async markApplied(ids: string[]): Promise<number> {
    if (!ids.length) return 0;
    return (await this.pool.query({ name: FQ.markApplied.name, text: FQ.markApplied.text, values: [ids] })).rowCount ?? 0;
  }

  /**
   * Flags running attempts `cancel_requested` (a flagged attempt is never claimed) and
   * NOTIFYs `baton_cancel` once per holding worker with its id. Attempts not running are
   * ignored.
   */
  async requestAttemptCancel(attemptIds: string[]): Promise<CancelRequestResult> {
    const out: CancelRequestResult = { claimed: [], unclaimed: [] };
    if (!attemptIds.length) return out;
    for (const r of await run(this.pool, FQ.requestCancel, [attemptIds])) (r.claimed_by == null ? out.unclaimed : out.claimed).push(r.id as string);
    out.claimed.sort();
    out.unclaimed.sort();
    return out;
  }

  /**
   * LISTENs on `channels` on a dedicated connection (not from the pool) that reconnects
   * with backoff when dropped, until `close()`. Resolves once listening.
   * @throws the driver's error when the first connection fails.
   */
  async listen(channels: FleetChannel[], onNotify: (channel: FleetChannel, payload: string) => void, opts: ListenOptions = {}): Promise<FleetListener> {
    const l = new PgListener(this.url, channels, onNotify, opts, this.o.connectTimeoutMs);
    await l.start();
    const handle: FleetListener = {
      close: async () => {
        this.listeners.delete(handle);
        await l.close();
      },
    };
    this.listeners.add(handle);
    return handle;
  }

  /** Closes listeners, then ends the pool once every checked-out connection is back. Safe to call twice. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      await Promise.all([...this.listeners].map((l) => l.close()));
      await this.pool.end();
    })());
  }

  /** Runs `fn` in one transaction (see `inTransaction`). */
  private tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }
}

/**
 * Publishes attempts on `db` (a pool, or a client inside a transaction, as the coordinator's
 * commit does): one statement and one NOTIFY `baton_tasks`.
 */
export async function enqueueOn(db: Queryable, rows: FleetAttemptInput[]): Promise<void> {
  const last = [...new Map(rows.map((r) => [r.id, r])).values()];
  if (!last.length) return;
  const json = last.map((r) => ({
    id: r.id, run_id: r.runId, step_id: r.stepId, number: r.number, started_at: r.startedAt, log_path: r.logPath ?? null,
    priority: r.priority, aging_ms: r.agingMs ?? DEFAULT_AGING_MS, queued_at: r.queuedAt ?? null, pool: r.pool ?? null, runs_on: r.runsOn ?? null,
    queue_timeout_ms: r.queueTimeoutMs ?? null, breaker: r.breaker ?? null, task: r.task,
  }));
  await run(db, FQ.enqueue, [JSON.stringify(json)]);
}

async function run(db: Queryable, q: NamedQuery, values: unknown[]): Promise<Row[]> {
  return (await db.query<Row>({ name: q.name, text: q.text, values })).rows;
}

function toWorker(r: Row): WorkerRecord {
  const w: WorkerRecord = {
    id: r.id as string,
    host: r.host as string,
    pid: r.pid as number,
    platform: r.platform as string,
    tags: r.tags as string[],
    slots: r.slots as number,
    version: r.version as string,
    state: r.state as WorkerStatus,
    startedAt: r.started_at as number,
    heartbeatAt: r.heartbeat_at as number,
    heartbeatAgeMs: r.heartbeat_age_ms as number,
  };
  if (r.lease_ms != null) w.leaseMs = r.lease_ms as number;
  if (r.stopped_at != null) w.stoppedAt = r.stopped_at as number;
  const load = parseJson<WorkerLoad>(r.load);
  if (load !== undefined) w.load = load;
  const facts = parseJson<WorkerFacts>(r.facts);
  if (facts !== undefined) w.facts = facts;
  return w;
}

function toClaimed(r: Row): ClaimedAttempt {
  const a: ClaimedAttempt = {
    id: r.id as string,
    runId: r.run_id as string,
    stepId: r.step_id as string,
    number: r.number as number,
    fence: r.fence as number,
    leaseExpiresAt: r.lease_expires_at as number,
    priorityKey: r.priority_key as number,
    task: parseJson<JsonObject>(r.task) ?? {},
  };
  if (r.pool != null) a.pool = r.pool as string;
  if (r.runs_on != null) a.runsOn = r.runs_on as string[];
  if (r.log_path != null) a.logPath = r.log_path as string;
  return a;
}

function toCompleted(r: Row): CompletedAttempt {
  const a: CompletedAttempt = { ...toAttempt(r), fence: r.fence as number };
  const output = parseJson<JsonValue>(r.output);
  if (output !== undefined) a.output = output;
  if (r.claimed_by != null) a.claimedBy = r.claimed_by as string;
  return a;
}

/** The log chunks the completions carry, as the columns of `completeAndClaim` ($13..$17). */
function logColumns(items: readonly CompletionItem[]): unknown[][] {
  const chunks = items.flatMap((i) => i.logChunks ?? []);
  return [chunks.map((c) => c.attemptId), chunks.map((c) => c.offset), chunks.map((c) => c.runId), chunks.map((c) => c.at), chunks.map((c) => c.bytes)];
}
