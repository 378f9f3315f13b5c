/**
 * @module runtime/clock
 * The engine's time: what it reads (`now`) and what it waits for (`setTimer`). Every timer
 * that carries one of baton's time rules goes through one {@link Clock}: in the engine,
 * attempt and run timeouts, retry backoff, heartbeats, the pause before retrying a failed
 * commit, the fleet's fallback polls; in a fleet worker, its heartbeats, self-fencing checks,
 * reaper, poll backoff, attempt timeouts, completion retries and stop grace periods; in a
 * server, the run loop's wake-ups. So a test can drive them all with a {@link VirtualClock}
 * instead of sleeping. Child processes and I/O still run in real time.
 */
import type { CancelTimer } from '../shared/index.js';
import { setLongTimeout } from '../shared/index.js';

export type { CancelTimer } from '../shared/index.js';

/**
 * Options of {@link Clock.setTimer}. `ref: false` is for housekeeping timers that must not
 * keep the process alive on their own (the fleet's fallback polls): a real clock unrefs the
 * timer, a virtual one, which holds nothing, ignores it.
 */
export interface TimerOptions {
  /** Whether the timer keeps the process alive, as `setTimeout`'s `ref`. @default true */
  ref?: boolean;
}

/** A source of time and timers for the engine. */
export interface Clock {
  /** The current time, ms since the epoch: stamps on records and events, lease expiries. */
  now(): number;
  /**
   * Calls `fn` once, `ms` milliseconds from now (any length: days and months included).
   * A real clock never fires early, even after the event loop was blocked.
   * @param opts - `ref: false`: the timer does not keep the process alive. @default `{ ref: true }`
   * @returns a function that cancels the timer (idempotent).
   */
  setTimer(ms: number, fn: () => void, opts?: TimerOptions): CancelTimer;
}

/**
 * The wall clock: `Date.now()` for readings, {@link setLongTimeout} (monotonic, no
 * 2^31 ms limit) for timers. The engine's default.
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer: (ms, fn, opts) => setLongTimeout(ms, fn, opts),
};

/**
 * A clock that reads `now` from a function and keeps real timers: what the engine option
 * `clock: () => number` meant before timers went through the clock.
 */
export function clockFrom(now: () => number): Clock {
  return { now, setTimer: (ms, fn, opts) => setLongTimeout(ms, fn, opts) };
}

/**
 * Calls `fn` every `ms` on `clock` until cancelled; each call is timed from the return of
 * the one before (no catch-up burst after a blocked loop).
 * @param opts - passed to every {@link Clock.setTimer} (`ref: false` for housekeeping).
 * @returns a function that stops it.
 */
export function every(clock: Clock, ms: number, fn: () => void, opts?: TimerOptions): CancelTimer {
  let cancel: CancelTimer | undefined;
  let stopped = false;
  const next = (): void => {
    cancel = clock.setTimer(ms, () => {
      if (stopped) return;
      fn();
      if (!stopped) next();
    }, opts);
  };
  next();
  return () => {
    stopped = true;
    cancel?.();
  };
}

/** Resolves after `ms` on `clock`: a retry's wait that a virtual clock can advance. */
export function sleepOn(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => void clock.setTimer(ms, resolve));
}
