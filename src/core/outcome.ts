/**
 * @module core/outcome
 * How a run ends once every step run has: its state and reason from how its main steps
 * ended and what its hook steps (`onFailure`, `finally`) did. Kept apart from the machine
 * because it is the one rule that decides whether a hook can change a run's outcome.
 */
import type { RunEndReason, RunState } from './states.js';

/** What the end of a run depends on, as the machine knows it when the last step run ends. */
export interface RunEndFacts {
  /** How the main steps ended (see `RunMachine.mainOutcome`). */
  main: 'succeeded' | 'failed' | 'cancelled';
  /** The cancel or run timeout the main steps ended by, if any. */
  ending?: 'cancelled' | 'run-timeout';
  /** Whether the workflow has hook steps: only then does the reason name failed steps. */
  hasHooks: boolean;
  /** Main step runs that failed (not `continueOnError`), in definition order. */
  mainFailed: readonly string[];
  /** Hook step runs that failed (not `continueOnError`). */
  hooksFailed: readonly string[];
  /** Hook step runs a cancel stopped. */
  hooksCancelled: readonly string[];
}

/**
 * The run's final state and reason. The main outcome stands: a failed (or stopped) hook
 * changes only a run whose main steps succeeded, to `failed` (or `cancelled`), as a failed
 * teardown fails an Airflow DAG run; the reason names both, so neither hides the other.
 * A run without hooks keeps the reason it always had (none for a plain failure).
 */
export function runEnd(f: RunEndFacts): { state: RunState; reason?: RunEndReason } {
  let reason: RunEndReason | undefined = f.ending ?? (f.hasHooks && f.mainFailed.length > 0 ? `steps failed: ${f.mainFailed.join(', ')}` : undefined);
  const add = (part: `hooks failed: ${string}` | `hooks cancelled: ${string}`): void => {
    reason = reason === undefined ? part : `${reason}; ${part}`;
  };
  if (f.hooksFailed.length > 0) add(`hooks failed: ${f.hooksFailed.join(', ')}`);
  if (f.hooksCancelled.length > 0) add(`hooks cancelled: ${f.hooksCancelled.join(', ')}`);
  const state: RunState = f.main !== 'succeeded' ? f.main : f.hooksFailed.length > 0 ? 'failed' : f.hooksCancelled.length > 0 ? 'cancelled' : 'succeeded';
  return reason === undefined ? { state } : { state, reason };
}
