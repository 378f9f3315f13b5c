/**
 * @module runtime/clock
 * The engine's time: what it reads (`now`) and what it waits for (`setTimer`). Every timer
 * of the engine — attempt and run timeouts, retry backoff, heartbeats, the pause before
 * retrying a failed commit — goes through one {@link Clock}, so a test can drive them all
 * with a {@link VirtualClock} instead of sleeping. Child processes still run in real time.
 */
import type { CancelTimer } from '../shared/index.js';
import { setLongTimeout } from '../shared/index.js';

export type { CancelTimer } from '../shared/index.js';

/** A source of time and timers for the engine. */
export interface Clock {
  /** The current time, ms since the epoch: stamps on records and events, lease expiries. */
  now(): number;
  /**
   * Calls `fn` once, `ms` milliseconds from now (any length: days and months included).
   * A real clock never fires early, even after the event loop was blocked.
   * @returns a function that cancels the timer (idempotent).
   */
  setTimer(ms: number, fn: () => void): CancelTimer;
}

/**
 * The wall clock: `Date.now()` for readings, {@link setLongTimeout} (monotonic, no
 * 2^31 ms limit) for timers. The engine's default.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn) => setLongTimeout(ms, fn),
};

/**
 * A clock that reads `now` from a function and keeps real timers: what the engine option
 * `clock: () => number` meant before timers went through the clock.
 */
export function clockFrom(now: () => number): Clock {
  return { now, setTimer: (ms, fn) => setLongTimeout(ms, fn) };
}

/**
 * Calls `fn` every `ms` on `clock` until cancelled; each call is timed from the return of
 * the one before (no catch-up burst after a blocked loop).
 * @returns a function that stops it.
 */
export function every(clock: Clock, ms: number, fn: () => void): CancelTimer {
  let cancel: CancelTimer | undefined;
  let stopped = false;
  const next = (): void => {
    cancel = clock.setTimer(ms, () => {
      if (stopped) return;
      fn();
      if (!stopped) next();
    });
  };
  next();
  return () => {
    stopped = true;
    cancel?.();
  };
}
