/**
 * @module store/types
 * The one storage contract. The runtime talks only to `Store`; `store/sqlite` (embedded
 * default) and `store/postgres` (shared, multi-node) implement it, and one conformance
 * suite (test/store-conformance.test.ts) runs against both.
 * Every method is async so both drivers fit; one `commit` writes a whole batch of
 * transitions in one transaction (group commit), which is what makes the engine fast
 * while staying write-ahead.
 */
import type { AttemptState, EndReason, Failure, RunState, StepRunRecord, StepRunState } from '../core/index.js';
import type { JsonObject, JsonValue } from '../spec/index.js';

/** What created a run (glossary: trigger). */
export type Trigger = 'manual' | 'schedule' | 'api' | 'webhook' | 'retry' | 'parent';

/** A stored workflow version. */
export interface WorkflowVersionRecord {
  version: string;
  name: string;
  /** The compiled definition as JSON-able data. */
  definition: JsonValue;
  sourcePath?: string;
  createdAt: number;
}

/** A stored run. Times are ms since the epoch. */
export interface RunRecord {
  id: string;
  workflow: string;
  version: string;
  state: RunState;
  trigger: Trigger;
  params: JsonObject;
  priority: number;
  concurrency?: number;
  stepCount: number;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  reason?: EndReason;
  owner?: string;
  ownerPid?: number;
  ownerHost?: string;
  leaseExpiresAt?: number;
  cancelRequestedAt?: number;
}

/** A stored step run: the machine's record plus its run and position. */
export interface StoredStepRun extends StepRunRecord {
  runId: string;
  position: number;
}

/** A stored attempt. */
export interface AttemptRecord {
  id: string;
  runId: string;
  stepId: string;
  number: number;
  state: AttemptState;
  startedAt: number;
  endedAt?: number;
  exitCode?: number;
  error?: Failure;
  logPath?: string;
  pid?: number;
  /** Peak resident memory of the attempt's process, bytes. */
  peakRssBytes?: number;
  /** CPU time (user + system), ms. */
  cpuMs?: number;
  worker?: string;
}

/** One event: an append-only record of one state change. `seq` orders all events. */
export interface EventRecord {
  seq: number;
  runId: string;
  stepId?: string;
  attemptId?: string;
  /** `run` | `step` | `attempt` | `cancel-requested` | ... */
  type: string;
  from?: string;
  to?: string;
  at: number;
  data?: JsonObject;
}

/** An event before the store numbered it. */
export type NewEvent = Omit<EventRecord, 'seq'>;

/** Changes to one run's row; absent fields are left as they are. */
export interface RunUpdate {
  id: string;
  state?: RunState;
  startedAt?: number;
  endedAt?: number | null;
  reason?: EndReason | null;
}

/** The end of an attempt. */
export interface AttemptEnd {
  id: string;
  state: Exclude<AttemptState, 'running'>;
  endedAt: number;
  exitCode?: number;
  error?: Failure;
  peakRssBytes?: number;
  cpuMs?: number;
}

/**
 * Everything one flush of the engine writes, applied in one transaction in this order:
 * attempts started, attempts ended, step runs, runs, events.
 */
export interface Batch {
  attemptsStarted: AttemptRecord[];
  attemptsEnded: AttemptEnd[];
  /** Full rows; the last entry for a step run wins. */
  stepRuns: StoredStepRun[];
  runs: RunUpdate[];
  events: NewEvent[];
  /** Process ids learned after spawn: not write-ahead critical, used to end orphans on resume. */
  attemptPids?: { id: string; pid: number }[];
}

/** Filters for `listRuns`. */
export interface RunFilter {
  workflow?: string;
  state?: RunState[];
  /** @default 20 */
  limit?: number;
}

/** The holder of a run in embedded mode. */
export interface RunOwner {
  owner: string;
  pid: number;
  host: string;
}

/** Thrown when a run id (or prefix) matches no run, or several. */
export class RunNotFoundError extends Error {
  constructor(
    readonly runId: string,
    readonly candidates: string[] = [],
  ) {
    super(
      candidates.length > 1
        ? `run id '${runId}' is ambiguous: it matches ${candidates.slice(0, 5).join(', ')}; give more characters`
        : `no run '${runId}': list runs with 'baton runs'`,
    );
    this.name = 'RunNotFoundError';
  }
}

/** The storage contract of baton. All times are ms since the epoch. */
export interface Store {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  /** Stores a workflow version if new (versions are immutable). */
  saveWorkflow(w: WorkflowVersionRecord): Promise<void>;
  getWorkflow(version: string): Promise<WorkflowVersionRecord | undefined>;
  /** Creates a run with all its step runs and a `run` event, in one transaction. */
  createRun(run: RunRecord, steps: StoredStepRun[], events: NewEvent[]): Promise<void>;
  /** Applies a batch in one transaction. */
  commit(batch: Batch): Promise<void>;
  /** Resolves a full id or a unique prefix. @throws RunNotFoundError */
  resolveRunId(idOrPrefix: string): Promise<string>;
  getRun(id: string): Promise<RunRecord | undefined>;
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  getStepRuns(runId: string): Promise<StoredStepRun[]>;
  getAttempts(runId: string, stepId?: string): Promise<AttemptRecord[]>;
  /** Events of a run after `afterSeq` (exclusive), in order, at most `limit`. */
  getEvents(runId: string, afterSeq?: number, limit?: number): Promise<EventRecord[]>;
  /**
   * Takes the run for `owner` when it has no live holder: none recorded, the lease expired
   * before `now`, or `isDead(owner)` says the recorded holder is gone. Returns whether taken.
   */
  acquireRun(runId: string, owner: RunOwner, now: number, leaseMs: number, isDead: (r: RunRecord) => boolean): Promise<boolean>;
  /** Renews the lease; false when another holder took the run. Also reports a cancel request. */
  renewRun(runId: string, owner: string, now: number, leaseMs: number): Promise<{ held: boolean; cancelRequested: boolean }>;
  /** Drops the holder when a run ends or its engine stops. */
  releaseRun(runId: string, owner: string): Promise<void>;
  /** Records a cancel request (from another process); idempotent. */
  requestCancel(runId: string, now: number): Promise<void>;
  close(): Promise<void>;
}

/** The state names a store may hand back for a step run. */
export type { StepRunState };
