import type { RetryPolicy } from '../workflow/index.js';

/**
 * Delay before the next try, in ms, after `failedTries` tries have failed (1 = the first
 * try failed). `random` is a uniform number in [0, 1): the caller supplies it so that this
 * stays a pure function (DESIGN.md: core has no randomness).
 *
 * `fixed`: `delayMs` every time. `exponential`: `delayMs * factor^(failedTries-1)`.
 * Both are capped at `maxDelayMs`, then `jitter` randomizes that fraction of the delay
 * downward ("equal jitter" when 0.5, AWS Architecture Blog, "Exponential Backoff and Jitter").
 *
 * `retryAfterMs` (a failure's `retryAfterMs`, from an HTTP `Retry-After`) replaces the
 * computed delay, unjittered: the server said when it expects to be ready, so waiting less
 * is refused again and waiting more is time lost. It is still capped at `maxDelayMs`, so a
 * server cannot park a step for longer than its policy allows.
 */
export function backoffDelay(policy: RetryPolicy, failedTries: number, random: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) return Math.round(Math.min(Math.max(0, retryAfterMs), policy.maxDelayMs));
  const base =
    policy.backoff === 'fixed' ? policy.delayMs : policy.delayMs * Math.pow(policy.factor, Math.max(0, failedTries - 1));
  const capped = Math.min(base, policy.maxDelayMs);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(capped * (1 - jitter + jitter * random));
}
