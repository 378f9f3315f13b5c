/**
 * @module runtime/engine-types
 * What the engine hands its callers: run handles and summaries, listeners, and the error
 * for a run another process holds. Re-exported by ./engine.ts.
 */
import type { AttemptRecord, NewEvent, RunRecord, Trigger } from '../store/index.js';
import type { EndReason } from '../core/index.js';
import type { NewRunOptions } from './records.js';
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

/** Options for a run started in this engine. */
export type StartRunOptions = Omit<NewRunOptions, 'dueAt' | 'schedule'>;

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
  reason?: EndReason;
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
