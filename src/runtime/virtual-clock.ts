/**
 * @module runtime/virtual-clock
 * A {@link Clock} whose time moves only when told to, for tests of time-dependent engine
 * behaviour (backoff, timeouts, heartbeats, store outages) that run in milliseconds and
 * assert exact durations. Child processes and I/O still run in real time; only the timers
 * the engine sets through its clock are virtual.
 *
 * @example
 * const clock = new VirtualClock();
 * const engine = createEngine({ store, dataDir, clock });
 * // … once the step is `retrying`:
 * clock.advance(300); // the backoff elapses; the retry starts
 */
import type { CancelTimer, Clock } from './clock.js';

interface Pending {
  due: number;
  /** Creation order: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
}

/** A manually advanced clock; see the module comment. */
export class VirtualClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Set<Pending>();

  /** @param start - the initial time, ms since the epoch. @default Date.now() */
  constructor(start: number = Date.now()) {
    this.time = start;
  }

  /** The virtual time, ms since the epoch. */
  now(): number {
    return this.time;
  }

  /** Schedules `fn` at `now() + ms` of virtual time (a negative or NaN `ms` counts as 0). */
  setTimer(ms: number, fn: () => void): CancelTimer {
    const t: Pending = { due: this.time + (ms > 0 ? ms : 0), seq: this.seq++, fn };
    this.timers.add(t);
    return () => void this.timers.delete(t);
  }

  /** Timers set and not yet fired nor cancelled. */
  get pending(): number {
    return this.timers.size;
  }

  /** When the earliest pending timer is due (ms since the epoch), or undefined. */
  nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /**
   * Moves time forward by `ms`, firing every timer due meanwhile in due order, each with
   * `now()` at its due time; timers those set are fired too when due within the span.
   * Synchronous: what a timer starts asynchronously (a commit, a process) happens after.
   * @throws RangeError when `ms` is negative.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a virtual clock only moves forward; got ${ms} ms`);
    this.advanceTo(this.time + ms);
  }

  /** Moves time forward to `at` (ms since the epoch), as {@link advance}; an earlier `at` does nothing. */
  advanceTo(at: number): void {
    for (let t = this.earliest(); t !== undefined && t.due <= at; t = this.earliest()) {
      this.timers.delete(t);
      this.time = Math.max(this.time, t.due);
      t.fn();
    }
    this.time = Math.max(this.time, at);
  }

  /** Fires the earliest pending timer (moving time to its due time). @returns false when none is pending. */
  fireNext(): boolean {
    const t = this.earliest();
    if (t === undefined) return false;
    this.advanceTo(t.due);
    return true;
  }

  private earliest(): Pending | undefined {
    let best: Pending | undefined;
    for (const t of this.timers) if (best === undefined || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    return best;
  }
}
