/**
 * @module runtime/engine-types
 * What the engine hands its callers: run handles and summaries, listeners, and the error
 * for a run another process holds. Re-exported by ./engine.ts.
 */
import type { ThrottleEvent, ThrottleStatus } from './throttle.js';
import type { AttemptRecord, NewEvent, RunRecord, Trigger } from '../store/index.js';
import type { RunEndReason } from '../core/index.js';
import type { JsonObject } from '../shared/index.js';
import type { WorkflowSpec } from '../workflow/index.js';
import { BatonError } from '../shared/index.js';

/** A run's end, as `RunHandle.result` reports it. */
export interface RunSummary {
  /** The run's id. */
  id: string;
  /** How it ended. */
  state: 'succeeded' | 'failed' | 'cancelled';
  /** Why, when not a plain success: the end reason of the run (`run-timeout`, a step's failure…). */
  reason?: string;
}

/** A run held by this engine. */
export interface RunHandle {
  /** The run's id. */
  id: string;
  /** Settles when the run ends; rejects only if the store fails. */
  result: Promise<RunSummary>;
  /** The run as created, for runs this engine created (`startRun`). */
  record?: RunRecord;
}

/**
 * Options for a run started in this engine (`Engine.startRun`). A run created for later
 * (`dueAt`) or by a schedule tick is created by the store's callers, not here.
 */
export interface StartRunOptions {
  /** Params, already resolved against the workflow's declarations (`resolveParams`). */
  params?: JsonObject;
  /** What created the run. @default 'manual' */
  trigger?: Trigger;
  /** Overrides the workflow's `concurrency` (steps running at once) for this run. */
  concurrency?: number;
  /** −10..+10: orders whole runs (due runs start highest first) and adds to every step's priority. @default 0 */
  priority?: number;
  /** A child run: the run and sub-workflow step that start it, and its depth (the parent's + 1). */
  parent?: { runId: string; stepId: string; depth: number };
}

/**
 * Executes runs durably in this process (`createEngine`): every change is committed to the
 * store before its effect, the runs it holds are kept by lease and heartbeat, and a run it
 * lets go of (close, crash) can be resumed by any process from the store alone.
 */
export interface Engine {
  /** Subscribes to committed events. Returns the unsubscribe function. */
  onEvent(listener: EngineListener): () => void;
  /**
   * Subscribes to what each commit ended: attempts with their rows, finished runs (what
   * traces are built from). While nobody listens the engine stages nothing for it.
   * Returns the unsubscribe function.
   */
  onCommitted(listener: CommitListener): () => void;
  /**
   * Registers the workflow version, creates a run and starts it. The run is created in the
   * commit that records its start and its first attempts (one commit, not two); resolves
   * once that commit is durable.
   * @throws the store's error when that commit failed: then nothing of the run was written
   *   and it does not run.
   */
  startRun(spec: WorkflowSpec, version: string, opts?: StartRunOptions): Promise<RunHandle>;
  /**
   * Starts a run that another process recorded as `queued` (a delayed run that came due, a
   * schedule tick). @throws RunHeldError when another process took it first; RunNotFoundError.
   */
  startQueuedRun(runId: string, spec?: WorkflowSpec): Promise<RunHandle>;
  /**
   * Continues an interrupted or cancelled run from its store records: succeeded steps stay
   * done, attempts whose holder died become `lost` and are retried.
   * @param spec - needed only when the workflow has inline function handlers (SDK).
   * @throws RunHeldError when another live process holds the run; RunNotFoundError.
   */
  resumeRun(runId: string, spec?: WorkflowSpec): Promise<RunHandle>;
  /**
   * Cancels a run held here: nothing new starts, running steps get SIGTERM / their
   * AbortSignal (`force`: SIGKILL at once).
   * @returns false when this engine does not hold the run.
   */
  cancelRun(runId: string, opts?: { force?: boolean }): boolean;
  /**
   * Re-reads a held run's operator requests from the store and applies them now rather than
   * at the next heartbeat: a pause (`pauseRun`) or unpause, and a cancel request.
   * @returns false when this engine does not hold the run.
   */
  refresh(runId: string): Promise<boolean>;
  /** Whether a run held here is paused (undefined when not held here). */
  isPaused(runId: string): boolean | undefined;
  /** Ids of the runs held by this engine. */
  activeRunIds(): string[];
  /**
   * Where the adaptive slots are (limit, max, why, the last host sample); undefined when the
   * engine does not throttle (option `throttle`, off in fleet mode).
   */
  throttle(): ThrottleStatus | undefined;
  /**
   * Subscribes to the changes of the slots' limit (`{ from, to, reason }`), for logs and
   * metrics. Returns the unsubscribe function.
   */
  onThrottle(listener: (e: ThrottleEvent) => void): () => void;
  /** Stops timers and releases held runs (they stay resumable). Running attempts are force-stopped. */
  close(): Promise<void>;
}

/** Listener of committed events (they are durable when a listener sees them). */
export type EngineListener = (e: NewEvent) => void;

/** Which run an ended attempt or a finished run belongs to, as recorded. */
export interface CommittedRun {
  /** The run's id. */
  id: string;
  /** The workflow's name. */
  workflow: string;
  /** The workflow version it runs. */
  version: string;
  /** What created it. */
  trigger: Trigger;
  /**
   * Its recorded start, ms since the epoch (the `startedAt` of its row: its first start, kept
   * when another process resumes it and across an operator's re-run).
   */
  startedAt: number;
}

/** A run whose end a commit made durable. */
export interface FinishedRun extends CommittedRun {
  /** How it ended. */
  state: 'succeeded' | 'failed' | 'cancelled';
  /** Why, beyond its state (`run-timeout`, a step's failure…). */
  reason?: RunEndReason;
  /** ms since the epoch, as recorded. */
  endedAt: number;
}

/**
 * What one commit made durable that reporters outside the runtime want (traces): attempts
 * that ended, each as its row now stands (state, end, exit code, error, usage, worker), and
 * runs that finished. Only what this engine committed: a fleet attempt counts once its
 * coordinator applied it (the worker's stored end, with the worker's id).
 */
export interface CommittedEnds {
  /** Attempts that ended, in the order their ends were staged, each with its run. */
  attempts: { run: CommittedRun; attempt: AttemptRecord & { endedAt: number } }[];
  /** Runs that finished. */
  runs: FinishedRun[];
}

/**
 * Listener of {@link CommittedEnds}, called after the commit, once per commit that ended
 * something. Must not throw, and should not block: it runs in the engine's commit loop.
 */
export type CommitListener = (ends: CommittedEnds) => void;

/** Thrown when a run is held by another live process. */
export class RunHeldError extends BatonError {
  constructor(
    /** The run asked for. */
    readonly runId: string,
    /** Its holder, `<host>:<pid>:<random>`. */
    readonly holder: string,
  ) {
    super('run-held', `run ${runId} is being executed by ${holder}; stop it there or wait for it, or 'baton cancel ${runId}'`);
  }
}
