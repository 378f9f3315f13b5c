/**
 * @module core/breaker
 * The circuit breaker's state machine, pure: `(record, call, now) -> (record, transition)`.
 * A **breaker** is keyed by what its steps share (a pool, an HTTP host, a step) and lives in
 * the store, so every engine and worker of a fleet reads the same one. `closed` lets attempts
 * start; after `failures` consecutive failed calls, or a failure `rate` over `window` with at
 * least `minCalls` calls, it opens: attempts behind it wait (their steps stay `queued`, reason
 * `circuit-open`) until `cooldown` has passed; then one trial attempt is let through
 * (`half-open`, claimed in the store by one guarded statement): its success closes the
 * breaker, its failure opens it for another cool-down. Lost and cancelled attempts are no
 * calls: they say nothing about the dependency.
 *
 * @see https://martinfowler.com/bliki/CircuitBreaker.html for the pattern.
 * @see https://github.com/nodeshift/opossum — opossum keeps its state in one process's
 *   memory and fails calls fast; baton's breaker must be durable and shared by every node, and
 *   make steps wait rather than fail, so it is a store row driven by this machine instead.
 */
import type { BreakerPolicy } from '../workflow/index.js';

/** A breaker's state. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** All breaker states, for validation of filters. */
export const BREAKER_STATES: readonly BreakerState[] = ['closed', 'open', 'half-open'];

export type { BreakerPolicy } from '../workflow/index.js';
export { BREAKER_DEFAULTS } from '../workflow/index.js';

/** Calls kept for the rate window at most: bounds the stored row (DESIGN.md invariant 5). */
export const MAX_WINDOW_CALLS = 200;

/** One breaker as stored. Times are ms since the epoch. */
export interface BreakerRecord {
  /** `pool:NAME`, `http:HOST`, `step:WORKFLOW/STEP` or a key the workflow names. */
  key: string;
  /** Its current state. */
  state: BreakerState;
  /** Failed calls since the last success (or since it closed). */
  consecutiveFailures: number;
  /** Ends of the calls inside the rate window, oldest first: `[endedAt, 1 failed | 0 succeeded]`. */
  calls: [number, 0 | 1][];
  /** When it last opened. */
  openedAt?: number;
  /** While `open`: when a trial may start (end of the cool-down). */
  nextTrialAt?: number;
  /** While `half-open`: the attempt that is the trial (`AttemptRecord.id`). */
  trialAttempt?: string;
  /** Why it is in its state, in words (`5 consecutive failures`, `trial succeeded`). */
  reason?: string;
  /** Last change. */
  updatedAt: number;
}

/** What an ended attempt tells its breaker. `ignored`: lost or cancelled, no call. */
export type BreakerOutcome = 'succeeded' | 'failed' | 'ignored';

/** A change of a breaker's state: an `breaker` event, a metric and, on open or close, an alert. */
export interface BreakerTransition {
  key: string;
  from: BreakerState;
  to: BreakerState;
  at: number;
  /** Why, in words. */
  reason: string;
  /** Set when it opened: when the trial may start. */
  nextTrialAt?: number;
}

/** The result of one step of the machine: the record to store, and its transition if the state changed. */
export interface BreakerStep {
  record: BreakerRecord;
  transition?: BreakerTransition;
}

/** A closed breaker that has seen nothing yet. */
export function newBreaker(key: string, now: number): BreakerRecord {
  return { key, state: 'closed', consecutiveFailures: 0, calls: [], updatedAt: now };
}

/**
 * Whether an attempt may start behind this breaker now: `pass` (closed, or this attempt is
 * the claimed trial), `trial` (the cool-down is over and no trial is out: claim one with
 * {@link claimTrial}), or `wait` until `until` (absent: a trial is out, wait for its end).
 */
export function admission(rec: BreakerRecord | undefined, now: number, attemptId?: string):
  { kind: 'pass' } | { kind: 'trial' } | { kind: 'wait'; until?: number } {
  if (!rec || rec.state === 'closed') return { kind: 'pass' };
  if (rec.state === 'half-open') {
    if (rec.trialAttempt === undefined) return { kind: 'trial' };
    return rec.trialAttempt === attemptId ? { kind: 'pass' } : { kind: 'wait' };
  }
  const until = rec.nextTrialAt ?? now;
  return now >= until ? { kind: 'trial' } : { kind: 'wait', until };
}

/**
 * Takes the trial for `attemptId`: an open breaker past its cool-down, or a half-open one
 * whose trial was lost, becomes half-open with this trial. Undefined when it may not (closed,
 * cooling down, a trial out): the store applies it in one guarded statement so that two
 * nodes can never both take it.
 */
export function claimTrial(rec: BreakerRecord, attemptId: string, now: number): BreakerStep | undefined {
  if (admission(rec, now).kind !== 'trial') return undefined;
  const record: BreakerRecord = { ...rec, state: 'half-open', trialAttempt: attemptId, reason: 'cool-down over: one trial', updatedAt: now };
  delete record.nextTrialAt;
  return { record, ...(rec.state !== 'half-open' ? { transition: { key: rec.key, from: rec.state, to: 'half-open', at: now, reason: record.reason! } } : {}) };
}

/**
 * Applies the end of an attempt that ran behind the breaker. While closed, a call counts
 * toward opening it; while half-open, only the trial's end decides (a success closes, a
 * failure re-opens, a lost or cancelled trial gives the trial up so another may be claimed
 * at once); while open, ends of attempts that started before it opened change nothing.
 */
export function recordCall(rec: BreakerRecord, policy: BreakerPolicy, attemptId: string, outcome: BreakerOutcome, now: number): BreakerStep {
  if (rec.state === 'half-open') {
    if (rec.trialAttempt !== attemptId) return { record: rec };
    if (outcome === 'succeeded') return close(rec, now, 'trial succeeded');
    if (outcome === 'failed') return open(rec, policy, now, 'trial failed');
    const record: BreakerRecord = { ...rec, reason: 'trial lost or cancelled', updatedAt: now };
    delete record.trialAttempt;
    return { record };
  }
  if (rec.state === 'open' || outcome === 'ignored') return { record: rec };
  const failed = outcome === 'failed';
  const calls = [...rec.calls.filter(([at]) => at > now - policy.windowMs), [now, failed ? 1 : 0] as [number, 0 | 1]].slice(-MAX_WINDOW_CALLS);
  const record: BreakerRecord = { ...rec, calls, consecutiveFailures: failed ? rec.consecutiveFailures + 1 : 0, updatedAt: now };
  if (!failed) return { record };
  if (record.consecutiveFailures >= policy.failures) return open(record, policy, now, `${record.consecutiveFailures} consecutive failures`);
  if (policy.rate !== undefined && calls.length >= policy.minCalls) {
    const bad = calls.reduce((n, [, f]) => n + f, 0);
    if (bad / calls.length >= policy.rate) return open(record, policy, now, `${bad} of ${calls.length} calls failed within ${Math.round(policy.windowMs / 1000)} s`);
  }
  return { record };
}

/** An operator's reset: closed, counters cleared. No transition when it was closed already. */
export function resetBreaker(rec: BreakerRecord, now: number, by: string): BreakerStep {
  if (rec.state === 'closed') return { record: { ...rec, consecutiveFailures: 0, calls: [], updatedAt: now } };
  return close(rec, now, `reset by ${by}`);
}

function open(rec: BreakerRecord, policy: BreakerPolicy, now: number, reason: string): BreakerStep {
  const nextTrialAt = now + policy.cooldownMs;
  const record: BreakerRecord = { ...rec, state: 'open', openedAt: now, nextTrialAt, reason, updatedAt: now };
  delete record.trialAttempt;
  return { record, transition: { key: rec.key, from: rec.state, to: 'open', at: now, reason, nextTrialAt } };
}

function close(rec: BreakerRecord, now: number, reason: string): BreakerStep {
  const record: BreakerRecord = { key: rec.key, state: 'closed', consecutiveFailures: 0, calls: [], reason, updatedAt: now };
  if (rec.openedAt !== undefined) record.openedAt = rec.openedAt;
  return { record, transition: { key: rec.key, from: rec.state, to: 'closed', at: now, reason } };
}

/** A breaker as `baton breakers` and `GET /api/v1/breakers` show it: its calls as counts. */
export interface BreakerSummary {
  key: string;
  state: BreakerState;
  /** Failed calls since the last success. */
  consecutiveFailures: number;
  /** Calls inside the rate window as last recorded, and how many of them failed. */
  callsInWindow: number;
  failedInWindow: number;
  /** When it last opened, ms since the epoch. */
  openedAt?: number;
  /** While open: when the trial may start, ms since the epoch. */
  nextTrialAt?: number;
  /** While half-open: the trial attempt, if one is out. */
  trialAttempt?: string;
  /** Why it is in its state. */
  reason?: string;
  /** Last change, ms since the epoch. */
  updatedAt: number;
}

/** The summary of a stored breaker. */
export function breakerSummary(b: BreakerRecord): BreakerSummary {
  const { calls, ...rest } = b;
  return { ...rest, callsInWindow: calls.length, failedInWindow: calls.reduce((n, [, f]) => n + f, 0) };
}
