/**
 * @module observe/eta/history
 * The duration history an ETA draws from, read through the Store and cached per workflow
 * for a short while ({@link HISTORY_TTL_MS}): every transition of every run of a workflow
 * recomputes its ETA, and the history of its steps moves only when one of its runs ends,
 * so the store is asked at most once per workflow per TTL (concurrent askers share one read).
 */
import type { Store } from '../../store/index.js';

/** Recent successful durations a step's ETA reads, at most. */
export const STEP_SAMPLES = 50;
/** Recent succeeded runs the fallback reads, at most. */
export const RUN_SAMPLES = 50;
/** How long a workflow's history is reused, ms. */
export const HISTORY_TTL_MS = 30_000;
/** Workflows whose history is kept at once; past it the cache starts over. */
const MAX_CACHED_WORKFLOWS = 512;

/** The history of one workflow. */
export interface WorkflowDurations {
  /** Durations of the latest successful step runs by step id, ms, newest first. */
  steps: Map<string, number[]>;
  /** Durations of the latest succeeded runs, ms, newest first. */
  runs: number[];
}

/** Options of {@link DurationHistory}. */
export interface DurationHistoryOptions {
  /** @default STEP_SAMPLES */
  stepSamples?: number;
  /** @default RUN_SAMPLES */
  runSamples?: number;
  /** @default HISTORY_TTL_MS */
  ttlMs?: number;
}

/** Reads and caches workflows' duration histories. */
export class DurationHistory {
  private readonly cache = new Map<string, { at: number; value: Promise<WorkflowDurations> }>();
  private readonly stepSamples: number;
  private readonly runSamples: number;
  private readonly ttlMs: number;

  constructor(private readonly store: Store, o: DurationHistoryOptions = {}) {
    this.stepSamples = o.stepSamples ?? STEP_SAMPLES;
    this.runSamples = o.runSamples ?? RUN_SAMPLES;
    this.ttlMs = o.ttlMs ?? HISTORY_TTL_MS;
  }

  /** The history of `workflow` as of at most the TTL before `now`. Rejects with the store's error (not cached). */
  of(workflow: string, now: number): Promise<WorkflowDurations> {
    const hit = this.cache.get(workflow);
    if (hit && now - hit.at < this.ttlMs && now >= hit.at) return hit.value;
    if (this.cache.size >= MAX_CACHED_WORKFLOWS) this.cache.clear();
    const value = this.read(workflow);
    this.cache.set(workflow, { at: now, value });
    value.catch(() => {
      if (this.cache.get(workflow)?.value === value) this.cache.delete(workflow);
    });
    return value;
  }

  /** Forgets `workflow`'s history (one of its runs just ended), or every one. */
  invalidate(workflow?: string): void {
    if (workflow === undefined) this.cache.clear();
    else this.cache.delete(workflow);
  }

  private async read(workflow: string): Promise<WorkflowDurations> {
    const [steps, runs] = await Promise.all([
      this.store.history.stepDurationSamples(workflow, this.stepSamples),
      this.store.history.runDurationSamples(workflow, this.runSamples),
    ]);
    return { steps: new Map(steps.map((s) => [s.stepId, s.durationsMs])), runs };
  }
}
