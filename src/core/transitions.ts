/**
 * @module core/transitions
 * The machine's vocabulary: the durable record of a step run, the transitions the machine
 * returns (what the runtime commits, write-ahead) and the events it takes (what happened).
 */
import type { JsonValue } from '../shared/index.js';
import type { Failure } from './failure.js';
import type { EndReason, RunEndReason, RunState, StepRunState } from './states.js';

/** The durable facts about one step run, as the store keeps them. */
export interface StepRunRecord {
  stepId: string;
  state: StepRunState;
  /** Tries started so far, including lost ones. */
  attempts: number;
  /** Tries lost to a vanished holder (since the latest operator re-run); they do not spend the retry budget. */
  lostAttempts: number;
  /**
   * Tries started before the latest operator re-run of this step run (`rerunRun`): attempt
   * numbers go on from `attempts`, while the retry budget counts only tries after this.
   * @default 0
   */
  retryBase?: number;
  /** When it last became `queued` (ms since epoch); the runtime's aging counts from here. */
  queuedAt?: number;
  /** When a `retrying` step run is due to be queued again (ms since epoch). */
  dueAt?: number;
  startedAt?: number;
  endedAt?: number;
  output?: JsonValue;
  error?: Failure;
  reason?: EndReason;
  /** An item of a mapped step (`<id>[<index>]`): its item, recorded with the expansion. */
  item?: JsonValue;
  /**
   * Tags a fleet worker needs to run this step run's attempts on top of the step's own
   * `runs-on`: set by an operator's re-run (`baton retry --on TAG`) on the steps it re-runs,
   * cleared by the next re-run without it. Absent: the step's `runs-on` alone.
   */
  runsOn?: string[];
}

/** A step run's change of state, with the facts the store must record with it. */
export interface StepTransition {
  kind: 'step';
  stepId: string;
  from: StepRunState;
  to: StepRunState;
  at: number;
  reason?: EndReason;
  dueAt?: number;
  output?: JsonValue;
  error?: Failure;
}

/** The run's change of state. */
export interface RunTransition {
  kind: 'run';
  from: RunState;
  to: RunState;
  at: number;
  reason?: RunEndReason;
}

/**
 * A mapped step expanded into `items` item step runs (`<id>[0]` …), all `pending` until
 * queued: the store records them, with their items, in the commit of this transition.
 */
export interface MapTransition {
  kind: 'map';
  stepId: string;
  at: number;
  /** The new item step run ids, in order. */
  itemIds: string[];
}

/** What `RunMachine.apply` returns, in the order the changes happened. */
export type Transition = StepTransition | RunTransition | MapTransition;

/** The inputs of the machine: what happened. */
export type RunEvent =
  | { type: 'start' }
  | { type: 'resume' }
  | { type: 'attempt-started'; stepId: string }
  | { type: 'attempt-succeeded'; stepId: string; output: JsonValue }
  | { type: 'attempt-failed'; stepId: string; failure: Failure; reason: 'error' | 'exit-code' | 'timeout' }
  | { type: 'attempt-lost'; stepId: string }
  | { type: 'attempt-ended-by-cancel'; stepId: string }
  | { type: 'backoff-elapsed'; stepId: string }
  /** A queued mapped step's items were evaluated (the runtime may glob): it expands now. */
  | { type: 'map-expanded'; stepId: string; items: JsonValue[] }
  /** A queued mapped step's items could not be evaluated. */
  | { type: 'map-failed'; stepId: string; failure: Failure }
  /**
   * Stop the run. Main steps end (cancelled, or failed by a run timeout) and the hook steps
   * still run; `force`, or a second cancel while the run is ending, ends the hooks too.
   */
  | { type: 'cancel'; reason: 'cancelled' | 'run-timeout'; force?: boolean };

/** Tunables of the machine. */
export interface MachineOptions {
  /** Lost tries of one step run tolerated before it fails with reason `lost`. @default 3 */
  maxLostAttempts?: number;
}
