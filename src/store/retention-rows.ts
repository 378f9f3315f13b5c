/**
 * @module store/retention-rows
 * What both stores' retention code shares: how far a walk over finished runs got.
 */
import type { RunCursor } from './retention-types.js';

/** Runs one walking call (events, logs) reads at most: the rows it then touches are bounded by its `limit`. */
export const RUN_WALK_BATCH = 100;

/**
 * Where a walk over `runs` (in order) stands after a call that touched rows of `touched`
 * runs (one entry per row, in run order) with a budget of `limit` rows: with budget left,
 * every run read is done; with none, every run before the last one touched is (the last
 * may have rows left). `done` when the budget was not used up and fewer than a full batch
 * of runs was left.
 */
export function walkResult(runs: readonly RunCursor[], touched: readonly string[], limit: number, after: RunCursor | undefined): { cursor?: RunCursor; done: boolean } {
  let through: number;
  if (touched.length < limit) {
    through = runs.length - 1;
  } else {
    const last = touched[touched.length - 1];
    through = runs.findIndex((r) => r.id === last) - 1;
  }
  const cursor = through >= 0 ? runs[through] : after;
  return { ...(cursor ? { cursor } : {}), done: touched.length < limit && runs.length < RUN_WALK_BATCH };
}
