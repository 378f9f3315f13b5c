/**
 * @module runtime/engine-types
 * What the engine hands its callers: run handles and summaries, listeners, and the error
 * for a run another process holds. Re-exported by ./engine.ts.
 */
import type { NewEvent, RunRecord } from '../store/index.js';
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
