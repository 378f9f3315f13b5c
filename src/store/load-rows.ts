/**
 * @module store/load-rows
 * What both stores' hourly load read shares: the check of the window and the spreading of
 * attempt seconds over the hours they overlap. SQL groups the attempts of the window by
 * (first hour, last hour) and sums, per group, the part inside the first hour (`head`) and
 * the part inside the last (`tail`); every hour between gets a full hour per attempt. What
 * crosses into JavaScript is bounded by the number of such pairs, not of attempts, and the
 * sums are of offsets within an hour, so they stay exact as doubles.
 */
import type { HourlyLoad, LoadQuery } from './history-types.js';
import { MAX_LOAD_HOURS } from './history-types.js';
import type { Row } from './rows.js';

/** An hour, ms: the SQL of both stores writes it as this literal. */
export const HOUR_MS = 3_600_000;

/**
 * Checks a load window. @throws RangeError when `since`/`until` are not hour boundaries, `until`
 * is before `since` or the span exceeds {@link MAX_LOAD_HOURS}
 */
export function checkLoadQuery(q: LoadQuery): void {
  if (q.since % HOUR_MS !== 0 || q.until % HOUR_MS !== 0) throw new RangeError('hourly load: since and until must be UTC hour boundaries');
  if (q.until < q.since) throw new RangeError('hourly load: until is before since');
  if ((q.until - q.since) / HOUR_MS > MAX_LOAD_HOURS) throw new RangeError(`hourly load: at most ${MAX_LOAD_HOURS} hours`);
}

/**
 * The hours of the window from the rows of the two queries: `queued` rows (`h`, the hour
 * index since the epoch; `n`) and `spans` rows (`hs`, `he`: first and last hour index; `c`
 * attempts; `head`, `tail` ms).
 */
export function loadHours(q: LoadQuery, queued: Row[], spans: Row[]): HourlyLoad[] {
  const first = q.since / HOUR_MS;
  const hours = Array.from({ length: (q.until - q.since) / HOUR_MS }, (_, i): HourlyLoad => ({ start: q.since + i * HOUR_MS, queuedRuns: 0, stepSeconds: 0 }));
  const ms = new Float64Array(hours.length);
  const add = (h: number, v: number): void => {
    const i = h - first;
    if (i >= 0 && i < ms.length) ms[i]! += v;
  };
  for (const r of queued) {
    const h = hours[Number(r.h) - first];
    if (h) h.queuedRuns += Number(r.n);
  }
  for (const r of spans) {
    const hs = Number(r.hs);
    const he = Number(r.he);
    const c = Number(r.c);
    add(hs, Number(r.head));
    if (he > hs) {
      add(he, Number(r.tail));
      for (let h = hs + 1; h < he; h++) add(h, c * HOUR_MS);
    }
  }
  // Seconds to the ms: the sums are exact integers of ms, so both stores print the same digits.
  hours.forEach((h, i) => (h.stepSeconds = ms[i]! / 1000));
  return hours;
}
