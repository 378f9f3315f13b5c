/**
 * @module workflow/duration
 * Human durations for timeouts and retry delays. Compiled to milliseconds once, so the
 * engine only ever sees numbers.
 */

import { errorMessage } from '../shared/index.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Longest duration a workflow may state, in ms (365 days). Longer than Node's timer maximum
 * (2^31−1 ms ≈ 24.8 days), which the runtime covers by chaining timers; a year bounds the
 * chain and catches a unit typo such as `30000d`.
 */
export const MAX_DURATION_MS = 365 * 86_400_000;

/**
 * Parses a duration into milliseconds.
 *
 * Text is one or more `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, largest
 * first, no spaces: `'500ms'`, `'30s'`, `'1.5s'`, `'5m'`, `'1h30m'`, `'2d'`. A unitless
 * string is rejected (is `'30'` seconds or ms?). A bare number (`timeout: 90` in YAML) is
 * **seconds**, as peers read an unqualified number of time (Kubernetes'
 * `activeDeadlineSeconds`, systemd's `TimeoutSec=`). The result is rounded to a
 * whole millisecond. Bounds (zero allowed or not, the 365-day maximum) are the caller's:
 * see {@link checkDuration}.
 *
 * @throws RangeError when the text is malformed, units repeat or are out of order, or the
 *   value is negative or not finite.
 * @example parseDuration('1h30m') // 5_400_000
 * @example parseDuration(90) // 90_000
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new RangeError(`invalid duration ${text}: expected a non-negative number of seconds`);
    return Math.round(text * 1_000);
  }
  const source = text.trim();
  const bad = () => new RangeError(`invalid duration "${text.length > 40 ? `${text.slice(0, 40)}…` : text}": expected e.g. "500ms", "30s", "5m", "1h30m" or "2d"`);
  if (source === '' || source.length > 64) throw bad();
  let total = 0;
  let lastUnitMs = Infinity;
  PART.lastIndex = 0;
  while (PART.lastIndex < source.length) {
    const match = PART.exec(source);
    if (match === null) throw bad();
    const unitMs = UNIT_MS[match[2] ?? ''] ?? 0;
    // Largest unit first and each once, so '5s1m' or '1m1m' (likely typos) are caught.
    if (unitMs >= lastUnitMs) throw bad();
    lastUnitMs = unitMs;
    total += Number(match[1]) * unitMs;
  }
  if (!Number.isFinite(total)) throw bad();
  return Math.round(total);
}

/** Why {@link checkDuration} refused a duration: `bad-duration` malformed or zero, `out-of-range` above the maximum. */
export interface DurationProblem {
  code: 'bad-duration' | 'out-of-range';
  message: string;
}

/**
 * Parses and bounds a duration written in a workflow: it must be at most
 * {@link MAX_DURATION_MS} (365 days) and, unless `allowZero`, more than zero (a zero
 * timeout would fail the step at once). Retry delays allow zero (retry at once).
 * @returns the problem, or undefined when the duration is acceptable.
 */
export function checkDuration(value: string | number, allowZero: boolean): DurationProblem | undefined {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    return { code: 'bad-duration', message: errorMessage(e) };
  }
  if (ms === 0 && !allowZero) return { code: 'bad-duration', message: `duration ${JSON.stringify(value)} is zero: a timeout must be longer than 0 (e.g. "30s")` };
  if (ms > MAX_DURATION_MS) return { code: 'out-of-range', message: `duration ${JSON.stringify(value)} is longer than the maximum of 365 days ("365d")` };
  return undefined;
}
