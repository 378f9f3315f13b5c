import { BatonError } from '../shared/index.js';
/**
 * @module core/states
 * Glossary (DESIGN.md): a **workflow** is a named, versioned DAG of **steps**; a **run** is
 * one execution of one workflow version; a **step run** is a step inside a run; an
 * **attempt** is one try of a step run; an **event** is an append-only record of one state
 * change. States are closed unions with one canonical lowercase name each, and the legal
 * moves between them live in the tables below and nowhere else.
 */

/** Run states. `pending` = not yet due (delayed runs). */
export type RunState = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Step run states. A timeout is `failed` with reason `timeout`. */
export type StepRunState =
  | 'pending'
  | 'queued'
  | 'running'
  | 'retrying'
  | 'succeeded'
  | 'failed'
  | 'skipped'
  | 'cancelled';

/** Attempt states. `lost`: its holder vanished (crash, kill -9) before reporting. */
export type AttemptState = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'lost';

/** Why a step run or attempt ended the way it did, beyond its state. */
export type EndReason =
  | 'error'
  | 'exit-code'
  | 'timeout'
  | 'run-timeout'
  | 'cancelled'
  | 'lost'
  | 'upstream-failed'
  | 'condition-false'
  | 'upstream-skipped';

/**
 * Why a run ended the way it did: an {@link EndReason} code (`cancelled`, `run-timeout`), or,
 * for a run with hook steps, the steps that failed (and the hooks a cancel stopped), so neither
 * a failed main step nor a failed hook hides the other: `steps failed: work`,
 * `run-timeout; hooks failed: cleanup`, `steps failed: work; hooks cancelled: cleanup`.
 */
export type RunEndReason =
  | EndReason
  | `steps failed: ${string}`
  | `hooks failed: ${string}`
  | `hooks cancelled: ${string}`
  | `${string}; hooks failed: ${string}`
  | `${string}; hooks cancelled: ${string}`;

/** All run states, for validation of user filters. */
export const RUN_STATES: readonly RunState[] = ['pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** All step run states. */
export const STEP_RUN_STATES: readonly StepRunState[] = [
  'pending', 'queued', 'running', 'retrying', 'succeeded', 'failed', 'skipped', 'cancelled',
];

/** True when a run can change no more. */
export function isRunDone(s: RunState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'cancelled';
}

/** True when a step run can change no more within its run. */
export function isStepDone(s: StepRunState): boolean {
  return s === 'succeeded' || s === 'failed' || s === 'skipped' || s === 'cancelled';
}

/** True while a step run occupies or waits for a slot (it may still run). */
export function isStepActive(s: StepRunState): boolean {
  return s === 'queued' || s === 'running' || s === 'retrying';
}

/** The legal step run moves; anything else is a bug in the engine and throws. */
const STEP_MOVES: Readonly<Record<StepRunState, readonly StepRunState[]>> = {
  pending: ['queued', 'skipped', 'cancelled', 'failed'], // failed: its `if` could not be evaluated
  queued: ['running', 'cancelled', 'skipped', 'failed'], // failed: a mapped step's items could not be evaluated
  running: ['succeeded', 'failed', 'retrying', 'cancelled', 'queued'],
  retrying: ['queued', 'cancelled', 'failed'],
  succeeded: [],
  failed: [],
  skipped: [],
  cancelled: ['pending'], // only by resuming a cancelled run
};

const RUN_MOVES: Readonly<Record<RunState, readonly RunState[]>> = {
  pending: ['queued', 'cancelled'],
  queued: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled', 'running'],
  succeeded: [],
  failed: ['running'],
  cancelled: ['running'],
};

/**
 * The moves of an operator's re-run (`rerunRun`), kept apart from the tables above so that
 * nothing automatic can use them: the machine consults only `canMoveStep`/`canMoveRun`, in
 * which `succeeded` is final (DESIGN.md invariant 3). A re-run puts chosen step runs back to
 * `pending` from any final state, and a finished run back to `queued` for an engine to start.
 */
const RERUN_STEP_FROM: readonly StepRunState[] = ['succeeded', 'failed', 'skipped', 'cancelled', 'pending'];
const RERUN_RUN_FROM: readonly RunState[] = ['succeeded', 'failed', 'cancelled', 'queued', 'pending'];

/**
 * Whether an explicit operator re-run may put a step run in state `from` back to `pending`.
 * Only the final states (and `pending` itself, a no-op): a step that is queued, running or
 * retrying belongs to an engine.
 */
export function canRerunStep(from: StepRunState): boolean {
  return RERUN_STEP_FROM.includes(from);
}

/**
 * Whether an explicit operator re-run may take a run in state `from`: a finished run goes
 * back to `queued`; a `queued` or `pending` run keeps its state. Never a `running` run.
 */
export function canRerunRun(from: RunState): boolean {
  return RERUN_RUN_FROM.includes(from);
}

/** Whether a step run may move from `from` to `to`. */
export function canMoveStep(from: StepRunState, to: StepRunState): boolean {
  return STEP_MOVES[from].includes(to);
}

/** Whether a run may move from `from` to `to`. */
export function canMoveRun(from: RunState, to: RunState): boolean {
  return RUN_MOVES[from].includes(to);
}

/** Thrown when the engine asks for a move the tables forbid: always an engine bug. */
export class IllegalTransitionError extends BatonError {
  constructor(
    readonly subject: string,
    readonly from: string,
    readonly to: string,
  ) {
    super('illegal-transition', `illegal transition of ${subject}: ${from} -> ${to}`);
  }
}
