/**
 * @module store/fleet-types
 * The worker fleet's storage contract (PostgreSQL only; DESIGN.md "Modes: Fleet").
 *
 * **How a run is executed by a fleet.** A run is coordinated by one engine, the
 * *coordinator*: the holder of the run lease (`runs.owner` / `runs.lease_expires_at`). In
 * fleet mode the coordinator does not execute attempts itself. It writes the attempt row
 * before its effect, as in embedded mode (state `running`, invariant 1), with a **task**:
 * everything a worker needs to run it, plus its `priority_key`, `pool` and `runs_on`; and
 * it leaves the attempt unclaimed (`FleetStore.enqueueAttempts`, which NOTIFYs
 * `baton_tasks`). Any **worker** (`baton worker`) claims unclaimed attempts it can run
 * (`claimAttempts`: its tags and platform cover the attempt's `runs_on`, its pool has a free
 * slot), highest aged priority first. A claim takes a **lease** of `leaseMs` and increments
 * the attempt's **fence**; the worker renews all its leases with one heartbeat, runs the
 * attempt, and completes it with that fence (`completeAttempt`). Only the current holder
 * with the current fence can complete: a worker that lost its lease gets `'discarded'` and
 * the store records an `attempt-discarded` event (invariant 2, one holder). An attempt whose
 * lease expired is made `lost` by whichever node reaps first (`reapExpired`). Attempts ended
 * by a worker or the reaper are marked `applied = false` and NOTIFY `baton_done` with their
 * run id; the coordinator takes them (`takeCompleted`), applies them to its run's state
 * machine, commits the transitions, and marks them applied (`markApplied`).
 *
 * **Time.** Every lease time (claim, renewal, expiry, reaping) comes from the database
 * clock (`baton_now_ms()`), never from a node's clock: no method takes a `now`, so a node
 * with a wrong clock cannot extend or expire a lease. `started_at` of an attempt stays the
 * coordinator's write-ahead time; `claimed_at` and `ended_at` of fleet attempts are DB time.
 *
 * **Wake-ups.** Channels `baton_tasks` (new work; payload: the pools published, comma
 * separated, '' for none), `baton_done` (payload: a run id) and `baton_cancel` (payload: a
 * worker id) wake waiters through LISTEN/NOTIFY; polling is only the fallback (invariant 4).
 * A notification can be lost while a listener reconnects, so a listener polls once after
 * every (re)connect. A worker's completions NOTIFY `baton_done` with `<run id> <attempt id> …`
 * (space separated), so the coordinator reads just those rows (`takeEnded`) instead of every
 * unapplied end of the run; a payload of the run id alone (the reaper, a worker restarting,
 * a batch too long for one payload) means "look at the whole run" (`takeCompleted`).
 */
import type { Failure } from '../core/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import type { AttemptRecord } from './types.js';
import type { LogChunkInput } from './log-types.js';

/** Lifecycle of a worker as stored: `draining` finishes what it holds and claims nothing new; `stopped` is gone. */
export type WorkerState = 'active' | 'draining' | 'stopped';

/**
 * A worker's state as read: the stored {@link WorkerState}, except that a worker that is not
 * `stopped` but whose last heartbeat is older than its lease (database time) reads `lost`:
 * it died without saying so (SIGKILL, a crash, a lost machine), and its leases have lapsed.
 */
export type WorkerStatus = WorkerState | 'lost';

/**
 * How long a `stopped` or `lost` worker stays listed, ms: 24 h after it stopped, or after
 * its lease lapsed. Older rows are pruned by the workers' regular reaping.
 */
export const WORKER_RETENTION_MS = 24 * 3_600_000;

/** The lease assumed for a worker row written without one (by an older baton), ms. */
export const DEFAULT_WORKER_LEASE_MS = 30_000;

/** NOTIFY channels of the fleet. */
export type FleetChannel = 'baton_tasks' | 'baton_done' | 'baton_cancel';

/** What a worker announces when it starts. */
export interface WorkerRegistration {
  /** Stable for the process's life, unique in the fleet (e.g. `<host>:<pid>:<random>`). */
  id: string;
  host: string;
  pid: number;
  /** `process.platform`; counts as a tag when matching `runs_on`. */
  platform: string;
  /**
   * Capabilities such as `docker`, `gpu`: the ones it was given and, for `baton worker`,
   * the ones it detected at start (its architecture, tools on its PATH, a GPU).
   */
  tags: string[];
  /** What its machine is (architecture, CPUs, memory); absent in rows of an older baton. */
  facts?: WorkerFacts;
  /** Attempts it runs at once. */
  slots: number;
  /** baton version of the worker. */
  version: string;
  /**
   * Lease of its claims, ms: its heartbeat is due well within it, so a heartbeat older than
   * this means the worker is gone (shown `lost`). @default DEFAULT_WORKER_LEASE_MS (30000)
   */
  leaseMs?: number;
}

/**
 * Facts of a worker's machine, read once when it starts (node:os). Shown, never matched:
 * `runs-on` names tags (the architecture is one, see runtime/worker-detect.ts).
 */
export interface WorkerFacts {
  /** `os.arch()`: `x64`, `arm64`, … */
  arch: string;
  /** CPUs the process can use (`os.availableParallelism()`). */
  cpus: number;
  /** Total memory of the machine, bytes (`os.totalmem()`). */
  memoryBytes: number;
}

/** A worker's load as reported by its heartbeat. */
export interface WorkerLoad {
  /** CPU use, 0..1 of the machine. */
  cpu: number;
  /** Memory in use, bytes. */
  mem: number;
  slotsInUse: number;
  /** It claims nothing now: its throttle's limit is below its slots and all of it is in use. */
  throttled?: boolean;
  /** Slots it may use now (the adaptive throttle's limit, ≤ `slots`); absent without a throttle. */
  limit?: number;
  /** Why `limit` is below `slots`: `cpu 93 % > 80 %`, `memory 85 % > 80 %`, `event-loop lag 250 ms > 200 ms`. */
  limitReason?: string;
}

/** A registered worker. Times are database time, ms since the epoch. */
export interface WorkerRecord extends WorkerRegistration {
  /** `lost` when not stopped and `heartbeatAgeMs` exceeds its lease ({@link WorkerStatus}). */
  state: WorkerStatus;
  startedAt: number;
  /** Database time it was marked stopped. */
  stoppedAt?: number;
  heartbeatAt: number;
  /** Database time minus `heartbeatAt` when read: compare this, never `heartbeatAt` with a local clock. */
  heartbeatAgeMs: number;
  load?: WorkerLoad;
}

/**
 * An attempt published to the fleet. Inserted as a `running` attempt, or, when the
 * coordinator already inserted the row, its task fields are set on it.
 */
export interface FleetAttemptInput {
  /** `<run>.<step>.<number>`, as `AttemptRecord.id`. */
  id: string;
  runId: string;
  stepId: string;
  number: number;
  /** Coordinator time of the write-ahead (an existing row keeps its own). */
  startedAt: number;
  logPath?: string;
  /** −10..+10, higher first. */
  priority: number;
  /**
   * Waiting time worth one priority level, ms: the publishing engine's compiled `agingMs`,
   * so the fleet's queue orders by the same rule as the engine's (`priority_key = priority *
   * agingMs - queuedAt`, core/aging.ts). @default DEFAULT_AGING_MS (10000)
   */
  agingMs?: number;
  /** When the step run became ready (its aging starts there), ms. @default database time now */
  queuedAt?: number;
  pool?: string;
  /** Tags a worker must have (its platform counts as one), e.g. `['linux', 'gpu']`. */
  runsOn?: string[];
  /**
   * How long it may wait unclaimed, ms from its publication (database time); then its
   * coordinator fails it with type `unclaimed` (`expireUnclaimed`). Absent: no bound.
   */
  queueTimeoutMs?: number;
  /**
   * The step's circuit breaker key: no worker claims the attempt while that breaker is not
   * closed, unless the attempt is its half-open trial.
   */
  breaker?: string;
  /** Everything a worker needs to run the attempt (workflow version, step, env, inputs, cwd, timeout). */
  task: JsonObject;
}

/**
 * Why a published attempt is not claimed yet, from the `workers` table (capabilities,
 * slots, heartbeat, load) and pool limits:
 * - `no-worker`: no live worker at all (none registered, or every one `lost`/`stopped`/`draining`);
 * - `no-matching-worker`: live workers exist, but none has every tag of `runs-on`;
 * - `pool-full`: its pool's fleet-wide limit is reached;
 * - `workers-busy`: the workers that could run it have every slot in use, or their machine
 *   is over its load threshold;
 * - `claimable`: a worker that could run it has room: it is claimed at its next wake-up.
 */
export type WaitingReason = 'no-worker' | 'no-matching-worker' | 'circuit-open' | 'pool-full' | 'workers-busy' | 'claimable';

/** A published attempt nobody claimed yet, and why. */
export interface WaitingAttempt {
  attemptId: string;
  runId: string;
  stepId: string;
  reason: WaitingReason;
  /** For people: names the missing tags, the busy workers, the pool. */
  detail: string;
  /** Tags of `runs-on` that no live worker has (`no-matching-worker`). */
  missingTags?: string[];
  /** How long it has waited since published, ms of database time. */
  waitedMs: number;
}

/** What a step run shows while its published attempt waits for a worker (`baton show`, the API's `waiting`). */
export type StepWaiting = Pick<WaitingAttempt, 'reason' | 'detail' | 'missingTags' | 'waitedMs'>;

/** An attempt its coordinator failed because no worker claimed it within its queue timeout. */
export interface ExpiredAttempt {
  id: string;
  runId: string;
  /** Tags of its `runs-on` that no live worker had when it expired. */
  missingTags: string[];
}

/** What a worker asks for in one claim. */
export interface ClaimRequest {
  tags: string[];
  platform: string;
  /** Attempts to claim at most (the worker's free slots). */
  max: number;
  /** Lease length, ms; every heartbeat extends it by the same length from database time. */
  leaseMs: number;
}

/** An attempt claimed by a worker: run it, then complete it with `fence`. */
export interface ClaimedAttempt {
  id: string;
  runId: string;
  stepId: string;
  number: number;
  /** The fencing token: `completeAttempt` must pass it back. */
  fence: number;
  /** Database time. */
  leaseExpiresAt: number;
  priorityKey: number;
  pool?: string;
  runsOn?: string[];
  logPath?: string;
  task: JsonObject;
}

/** What a worker reports when an attempt ended. */
export interface AttemptOutcome {
  state: 'succeeded' | 'failed' | 'cancelled';
  exitCode?: number;
  error?: Failure;
  output?: JsonValue;
  /** Peak resident memory, bytes. */
  peakRssBytes?: number;
  /** CPU time (user + system), ms. */
  cpuMs?: number;
}

/** One completion a worker reports. */
export interface CompletionItem {
  attemptId: string;
  /** The fence of the worker's claim. */
  fence: number;
  outcome: AttemptOutcome;
  /**
   * The attempt's log chunks not stored yet (its last bytes), stored in the statement that
   * records the end: whoever reads the attempt ended finds its whole log (store/log-types.ts).
   */
  logChunks?: LogChunkInput[];
}

/** What `completeAndClaim` did. */
export interface CompleteAndClaimResult {
  /** One per completion, in input order, as `completeAttempt` would give it. */
  results: ('applied' | 'discarded')[];
  /** Claimed attempts, best first. */
  claimed: ClaimedAttempt[];
}

/** An ended attempt a coordinator has not applied yet. */
export interface CompletedAttempt extends AttemptRecord {
  output?: JsonValue;
  fence: number;
  claimedBy?: string;
}

/** An attempt made `lost` by the reaper. */
export interface ReapedAttempt {
  id: string;
  runId: string;
  /** The worker whose lease expired. */
  worker?: string;
}

/** What one heartbeat learned. */
export interface HeartbeatResult {
  /** Attempts still held by the worker, each lease extended. */
  renewed: string[];
  /** Held attempts with a cancel request: stop them and complete them as `cancelled`. */
  cancelled: string[];
}

/** Outcome of `requestAttemptCancel`. */
export interface CancelRequestResult {
  /** Held by a worker: the worker learns it by heartbeat or NOTIFY `baton_cancel`. */
  claimed: string[];
  /** Not claimed yet: never will be; the coordinator ends them itself. */
  unclaimed: string[];
}

/** A LISTEN connection. */
export interface FleetListener {
  /** Stops listening and closes the connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of `FleetStore.listen`. */
export interface ListenOptions {
  /**
   * Called after each (re)connection once LISTEN is in place, with the number of
   * reconnections so far (0 first). Notifications sent while disconnected are lost, so
   * a consumer polls here.
   */
  onConnect?: (reconnects: number) => void;
  /** Called with each connection error before the next try. */
  onError?: (e: Error) => void;
  /** First retry delay, ms; doubles up to `maxBackoffMs`. @default 100 */
  backoffMs?: number;
  /** @default 5000 */
  maxBackoffMs?: number;
}

/**
 * The fleet's storage operations. Every change is one guarded statement (or one
 * transaction where a pool must be counted); every method rejects with the driver's error
 * when the database fails.
 */
export interface FleetStore {
  /** Creates or refreshes a worker row (state `active`, started and heartbeat now). */
  registerWorker(w: WorkerRegistration): Promise<WorkerRecord>;
  /**
   * Records the worker's load and renews, in one statement, the lease of every running
   * attempt it holds by that attempt's lease length from database time. `held`: only these
   * (what the worker still runs), so an attempt it gave up on expires and is reaped instead of
   * being kept alive by heartbeats. @default every attempt it holds
   */
  heartbeatWorker(id: string, load: WorkerLoad, held?: string[]): Promise<HeartbeatResult>;
  /** All workers, by id. */
  listWorkers(): Promise<WorkerRecord[]>;
  /** Returns false when there is no such worker. `stopped` also records `stoppedAt`. */
  setWorkerState(id: string, state: WorkerState): Promise<boolean>;
  /**
   * Deletes worker rows stopped, or lost (heartbeat older than their lease), more than
   * `retentionMs` ago (database time); one statement over the small `workers` table.
   * Returns how many it deleted. @default retentionMs WORKER_RETENTION_MS
   */
  pruneWorkers(retentionMs?: number): Promise<number>;
  /** Why each published, unclaimed attempt of these runs waits, by attempt id. */
  waitingAttempts(runIds: string[]): Promise<WaitingAttempt[]>;
  /**
   * Fails the published attempts of these runs that no worker claimed by their claim
   * deadline (database time): state `failed`, error type `unclaimed` (not retryable) naming
   * the tags no live worker has; `applied = false` and NOTIFY `baton_done`, as a worker's
   * completion. Each is failed once, whoever calls.
   */
  expireUnclaimed(runIds: string[]): Promise<ExpiredAttempt[]>;
  /** Sets (or with `undefined` removes) a fleet-wide pool limit. */
  setPoolLimit(name: string, max: number | undefined): Promise<void>;
  /** Publishes attempts for workers in one statement and NOTIFYs `baton_tasks`. */
  enqueueAttempts(rows: FleetAttemptInput[]): Promise<void>;
  /** Claims up to `req.max` attempts the worker can run, highest priority first. */
  claimAttempts(workerId: string, req: ClaimRequest): Promise<ClaimedAttempt[]>;
  /**
   * Ends a held attempt. `'discarded'` (and an `attempt-discarded` event) when the worker
   * no longer holds it with this fence; `'applied'` means stored for the coordinator.
   */
  completeAttempt(workerId: string, attemptId: string, fence: number, outcome: AttemptOutcome): Promise<'applied' | 'discarded'>;
  /**
   * Several `completeAttempt`s of one worker in one statement (one NOTIFY per run): results
   * in input order. What a busy worker uses, since every NOTIFYing commit takes a server-wide lock.
   */
  completeAttempts(workerId: string, items: CompletionItem[]): Promise<('applied' | 'discarded')[]>;
  /**
   * `completeAttempts`, then `claimAttempts` (when `claim` is given), in one statement: a busy
   * worker's one round trip per turn. `claim.max` may count the slots the completions free.
   */
  completeAndClaim(workerId: string, items: CompletionItem[], claim: ClaimRequest | undefined): Promise<CompleteAndClaimResult>;
  /** Makes every attempt whose lease expired `lost`; each is reaped by one caller only. */
  reapExpired(): Promise<ReapedAttempt[]>;
  /** Ended attempts of these runs not yet applied, by end time. */
  takeCompleted(runIds: string[]): Promise<CompletedAttempt[]>;
  /** These attempts, where ended and not yet applied (the ids a `baton_done` payload names). */
  takeEnded(attemptIds: string[]): Promise<CompletedAttempt[]>;
  /** Marks attempts applied; returns how many changed. */
  markApplied(ids: string[]): Promise<number>;
  /** Flags running attempts for cancellation and NOTIFYs `baton_cancel` per holding worker. */
  requestAttemptCancel(attemptIds: string[]): Promise<CancelRequestResult>;
  /** LISTENs on `channels` on a dedicated connection that reconnects with backoff. */
  listen(channels: FleetChannel[], onNotify: (channel: FleetChannel, payload: string) => void, opts?: ListenOptions): Promise<FleetListener>;
  close(): Promise<void>;
}
