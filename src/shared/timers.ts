/**
 * @module shared/timers
 * A timer for any duration, measured on the monotonic clock.
 *
 * Node's `setTimeout` takes at most 2^31−1 ms (about 24.8 days); a longer delay is clamped
 * to 1 ms with only a warning, so `timeout: 30d` would fire at once. This timer waits in
 * slices of at most 2^31−1 ms and, whenever a slice ends, checks `performance.now()`
 * (monotonic: never set back by NTP or an operator) and waits again for whatever is left,
 * so it never fires early — not even the millisecond `setTimeout` may be early by against
 * a wall clock. Small enough not to need a library: the `long-timeout` package chains
 * slices the same way but without that check.
 */

/** The largest delay `setTimeout` honours, ms (2^31−1); longer ones wait in slices. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Cancels a timer; calling it again, or after the timer fired, does nothing. */
export type CancelTimer = () => void;

/** Options of {@link setLongTimeout}. */
export interface LongTimeoutOptions {
  /** Whether the timer keeps the process alive, as `setTimeout`'s `ref`. @default true */
  ref?: boolean;
}

/**
 * Calls `fn` once at least `ms` milliseconds have passed on the monotonic clock since this
 * call, for any `ms` (0 to years). A non-finite or negative `ms` counts as 0; `Infinity`
 * never fires.
 * @returns a function that cancels the timer.
 * @example const cancel = setLongTimeout(30 * 86_400_000, () => abort()); … cancel();
 */
export function setLongTimeout(ms: number, fn: () => void, opts: LongTimeoutOptions = {}): CancelTimer {
  if (ms === Infinity) return () => undefined;
  const due = performance.now() + (Number.isFinite(ms) && ms > 0 ? ms : 0);
  let handle: NodeJS.Timeout | undefined;
  let cancelled = false;
  const wait = (left: number): void => {
    handle = setTimeout(check, Math.min(Math.ceil(left), MAX_TIMEOUT_MS));
    if (opts.ref === false) handle.unref();
  };
  // Always at least one real turn, even for 0 ms: callers expect `fn` after they return.
  const check = (): void => {
    if (cancelled) return;
    const left = due - performance.now();
    if (left > 0) wait(left);
    else fn();
  };
  wait(Math.max(0, due - performance.now()));
  return () => {
    cancelled = true;
    clearTimeout(handle);
  };
}
