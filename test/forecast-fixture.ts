/**
 * Synthetic load history for the forecast tests: three weeks that repeat exactly each week
 * (busy weekday office hours, quiet nights, near-idle weekends), written through the Store
 * contract at times relative to the current UTC hour, and a workflow used for 30 hours only.
 */
import { join } from 'node:path';
import type { Store } from '../src/index.js';
import { D, H, writeRun } from './conformance-history.js';

export const M = 60_000;
/** The current UTC hour: the history ends just before it. */
export const HOUR0 = Math.floor(Date.now() / H) * H;
/** Weeks of history of workflow `wf`. */
export const WEEKS = 3;

/** Busy weekdays 08:00–18:00 UTC (3 runs of 10 min an hour), 1 run of 2 min in other weekday hours, weekends one every 6 hours. */
export function pattern(t: number): { runs: number; ms: number } {
  const hour = new Date(t).getUTCHours();
  const dow = new Date(t).getUTCDay();
  if (dow === 0 || dow === 6) return { runs: hour % 6 === 0 ? 1 : 0, ms: 2 * M };
  return hour >= 8 && hour < 18 ? { runs: 3, ms: 10 * M } : { runs: 1, ms: 2 * M };
}

/** Writes {@link WEEKS} weeks of `wf` by {@link pattern}, and 30 hours of `young` (one 1 s run an hour). */
export async function seedLoad(store: Store, dir: string): Promise<void> {
  await store.saveWorkflow({ version: 'v1', name: 'wf', definition: {}, createdAt: HOUR0 - 30 * D });
  const logsDir = join(dir, 'logs');
  let n = 0;
  for (let t = HOUR0 - WEEKS * 7 * D; t < HOUR0; t += H) {
    const p = pattern(t);
    for (let k = 0; k < p.runs; k++) {
      await writeRun(store, { id: `r${n++}`, workflow: 'wf', state: 'succeeded', start: t + M + k * 15 * M, ms: p.ms, steps: [{ id: 'work', state: 'succeeded', ms: p.ms }] }, { logsDir });
    }
  }
  for (let t = HOUR0 - 30 * H; t < HOUR0; t += H) {
    await writeRun(store, { id: `y${n++}`, workflow: 'young', state: 'succeeded', start: t + 5 * M, ms: 1000, steps: [{ id: 'a', state: 'succeeded', ms: 1000 }] }, { logsDir });
  }
}
