/**
 * @module store/breaker-types
 * The store's part of circuit breakers: one row per breaker key (`breakers`), read by every
 * engine and worker, changed only by the guarded statements below and by the engine's commit
 * (`Batch.breakerCalls`). Every change of state writes a `breaker` event in its transaction.
 */
import type { BreakerOutcome, BreakerPolicy, BreakerRecord } from '../core/index.js';

export type { BreakerRecord, BreakerState } from '../core/index.js';

/** What caused a breaker change: the attempt (and its run and step) or an operator. */
export interface BreakerCause {
  /** The run the attempt belongs to; `''` for none (an operator's reset). */
  runId: string;
  stepId?: string;
  attemptId?: string;
}

/** The end of an attempt that ran behind a breaker, applied to it in the engine's commit. */
export interface BreakerCall extends BreakerCause {
  key: string;
  /** The step's policy: breakers keep no policy of their own, the step that calls decides. */
  policy: BreakerPolicy;
  attemptId: string;
  outcome: BreakerOutcome;
  /** When the attempt ended, ms since the epoch. */
  at: number;
}

/**
 * Why a `queued` step run waits although it is ready: its breaker is open. Kept on the step
 * run (`StoredStepRun.circuit`) while it waits, cleared when it starts.
 */
export interface StepCircuit {
  reason: 'circuit-open';
  /** The breaker's key. */
  breaker: string;
  /** When its trial may start (ms since the epoch); absent while a trial is out. */
  until?: number;
}

/** Breakers in the store (`Store.breakers`). */
export interface BreakerStore {
  /** Every breaker, or those of `keys`, by key. A key never used has no row (it is closed). */
  list(keys?: readonly string[]): Promise<BreakerRecord[]>;
  /**
   * Takes the half-open trial of `key` for `cause.attemptId`: one guarded statement (compare
   * and set on the row's version), so among engines and workers racing for it one wins.
   * @returns the breaker as it now is, or undefined when the trial was not free (closed,
   *   cooling down, taken by another, or changed meanwhile).
   */
  claimTrial(key: string, cause: BreakerCause & { attemptId: string }, now: number): Promise<BreakerRecord | undefined>;
  /**
   * An operator's reset: the breaker closes and its counts clear, with a `breaker` event when
   * it was not closed. @returns the breaker after it, undefined when there is no such key.
   */
  reset(key: string, now: number, by: string): Promise<BreakerRecord | undefined>;
}
