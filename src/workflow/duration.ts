/**
 * @module workflow/duration
 * Human durations for timeouts and retry delays. Compiled to milliseconds once, so the
 * engine only ever sees numbers.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/**
 * Parses a duration into milliseconds.
 *
 * Text is one or more `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, largest
 * first, no spaces: `'500ms'`, `'30s'`, `'1.5s'`, `'5m'`, `'1h30m'`, `'2d'`. A unitless
 * string is rejected (is `'30'` seconds or ms?). A number is taken as milliseconds.
 * The result is rounded to a whole millisecond.
 *
 * @throws RangeError when the text is malformed, units repeat or are out of order, or the
 *   value is negative or not finite.
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new RangeError(`invalid duration ${text}: expected a non-negative number of milliseconds`);
    return Math.round(text);
  }
  const source = text.trim();
  const bad = () => new RangeError(`invalid duration "${text}": expected e.g. "500ms", "30s", "5m", "1h30m" or "2d"`);
  if (source === '') throw bad();
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
