/**
 * @module runtime/path-weights
 * What the critical path weighs each step with: its median duration from history (the latest
 * {@link PATH_SAMPLES} succeeded step runs of each step among the workflow's newest runs: a
 * bounded read however long the history), read once per workflow every few minutes. A step with no history counts as the median of the workflow's steps that have
 * one; a workflow with none counts every step as {@link NOMINAL_STEP_MS}, so the path is the
 * step count in the same unit and runs with and without history compare in one queue.
 */
import type { Store } from '../store/index.js';

/** What a step with nothing to go by weighs, ms: the remaining path then counts steps. */
export const NOMINAL_STEP_MS = 1000;
/** Succeeded step runs per step the weights read, at most (the newest). */
export const PATH_SAMPLES = 20;
/** How long one read serves a workflow's runs, ms. */
export const PATH_WEIGHTS_TTL_MS = 5 * 60_000;

/** A step's weight by id, ms. */
export type StepWeight = (stepId: string) => number;

/** Per-workflow medians, cached. */
export class PathWeights {
  private readonly cache = new Map<string, { at: number; weight: StepWeight }>();

  constructor(private readonly store: Store) {}

  /**
   * The weights of `workflow`'s steps at `now` (ms since the epoch, the engine's clock).
   * A failed history read gives nominal weights: ordering is an optimisation, and the
   * commit that follows reports a store that is really gone.
   */
  async of(workflow: string, now: number): Promise<StepWeight> {
    const hit = this.cache.get(workflow);
    if (hit && now - hit.at < PATH_WEIGHTS_TTL_MS) return hit.weight;
    let rows: { stepId: string; durationsMs: number[] }[] = [];
    try {
      rows = await this.store.history.stepDurationSamples(workflow, PATH_SAMPLES);
    } catch {
      rows = [];
    }
    const byStep = new Map(rows.filter((r) => r.durationsMs.length).map((r) => [r.stepId, Math.max(1, median(r.durationsMs))]));
    const sorted = [...byStep.values()].sort((a, b) => a - b);
    const fallback = sorted.length ? sorted[sorted.length >> 1]! : NOMINAL_STEP_MS;
    const weight: StepWeight = (id) => byStep.get(id) ?? fallback;
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(workflow, { at: now, weight });
    return weight;
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
