/**
 * @module observe/eta/estimate
 * The ETA of one run, pure: from the run's remaining DAG, its step runs' states, each
 * step's recorded durations, now and the run's effective parallelism, the predicted end at
 * p50 and p90. A seeded Monte Carlo of {@link ETA_SAMPLES} draws: each draw picks a
 * duration per remaining step from its history (a running step: the history conditional on
 * lasting longer than it has run) and list-schedules the remaining steps in the engine's
 * order (priority, then the longest remaining path in steps, then definition order; aging
 * left out) under the run's parallelism and pool limits; the p50 and p90 of the draws' ends
 * are the ETA. Summing per-step p90s would be far too wide (every step slow at once), and
 * p50s too narrow; the draws give the spread of the end itself. Cost O(steps × draws)
 * (a ready-list scan per start, so O(steps² × draws) for very wide DAGs).
 * Without history for some remaining step it falls back to the workflow's run durations,
 * and without those to `unknown`: it never makes a number up.
 */
import type { StepRunState } from '../../core/index.js';
import { isStepDone } from '../../core/index.js';
import { remainingPaths } from '../../runtime/index.js';
import type { DurationModel, Random } from './sample.js';
import { drawDuration, drawRemaining, durationModel, hashSeed, quantileSorted, remainingQuantiles, seededRandom } from './sample.js';

/**
 * A run's ETA: when it is predicted to end, ms since the epoch, at the median (`p50`) and
 * the 90th percentile (`p90`, never before `p50`); both null when nothing can be said (no
 * history, or the run has ended). `basis` is what the figures came from: `'steps'` (the
 * recorded durations of its steps, along its remaining DAG), `'runs'` (the recorded
 * durations of the workflow's succeeded runs) or `'unknown'` (neither).
 */
export type RunEta = {
  p50: number | null;
  p90: number | null;
  basis: 'steps' | 'runs' | 'unknown';
  /** When the run must have ended (its workflow's or schedule entry's `deadline:`), ms since the epoch; absent when none is declared. */
  deadline?: number;
};

/** The ETA of a run nothing is known about. */
export const UNKNOWN_ETA: RunEta = Object.freeze({ p50: null, p90: null, basis: 'unknown' });

/** Draws of the Monte Carlo: enough for a stable p90 (±~4 percentile points), cheap enough per transition. */
export const ETA_SAMPLES = 64;

/** One step of the run as the estimate sees it. */
export interface EtaStep {
  /** The step's id (the key of its history). */
  id: string;
  /** Steps it waits for, by id; unknown ids count as done. */
  needs: readonly string[];
  /** Its pool, a key of {@link EtaInput.pools}. */
  pool?: string;
  /** −10..+10, higher starts first among ready steps. @default 0 */
  priority?: number;
  /** Its step run's state. */
  state: StepRunState;
  /** A running step: when its current attempt started, ms since the epoch. */
  startedAt?: number;
  /** A retrying step: when it is queued again, ms since the epoch. */
  dueAt?: number;
  /**
   * A step that runs only on failure (an `onFailure` hook): left out unless it has
   * started, since a run on track does not run it.
   */
  onlyOnFailure?: boolean;
}

/** What {@link estimateEta} reads. */
export interface EtaInput {
  /** The run's steps in definition order (the order the engine starts ready steps in). */
  steps: readonly EtaStep[];
  /**
   * Recorded durations of successful attempts by step id, ms (any order). Each array is
   * taken as immutable: the model made of it is memoized by the array (hand a new array
   * when the history changes, as the service's history cache does).
   */
  stepDurations: ReadonlyMap<string, readonly number[]>;
  /** Recorded durations of the workflow's succeeded runs, ms (any order): the fallback. */
  runDurations: readonly number[];
  /** Now, ms since the epoch. */
  now: number;
  /** When the run started, ms since the epoch; absent for a run still queued (it is taken to start now). */
  runStartedAt?: number;
  /** Steps of the run at once: its `concurrency`, bounded by the engine's slots. */
  parallelism: number;
  /** Pool limits by name. */
  pools?: Readonly<Record<string, number>>;
  /** Seed of the draws (the run id), so one state always gives one ETA. */
  seed: string;
  /** Draws. @default ETA_SAMPLES */
  samples?: number;
}

/** The ETA of a run that has not ended (see the module comment). */
export function estimateEta(input: EtaInput): RunEta {
  const { now } = input;
  const remaining = input.steps.filter((s) => !isStepDone(s.state) && !(s.onlyOnFailure === true && s.state === 'pending'));
  if (remaining.length === 0) return { p50: now, p90: now, basis: 'steps' };
  const models: DurationModel[] = [];
  for (const s of remaining) {
    const m = durationModel(input.stepDurations.get(s.id) ?? []);
    if (!m) return fromRuns(input);
    models.push(m);
  }
  const rand = seededRandom(hashSeed(input.seed));
  const draws = Math.max(1, Math.floor(input.samples ?? ETA_SAMPLES));
  const plan = planOf(remaining, models, input);
  const scratch = scratchOf(plan);
  const ends = new Float64Array(draws);
  for (let k = 0; k < draws; k++) ends[k] = simulate(plan, scratch, rand);
  ends.sort();
  const p50 = Math.round(quantileSorted(ends, 0.5));
  return { p50, p90: Math.max(p50, Math.round(quantileSorted(ends, 0.9))), basis: 'steps' };
}

/** The fallback: the run's elapsed time against the workflow's succeeded run durations. */
function fromRuns(input: EtaInput): RunEta {
  const start = input.runStartedAt ?? input.now;
  const elapsed = Math.max(0, input.now - start);
  const q = remainingQuantiles(input.runDurations, elapsed);
  if (!q) return UNKNOWN_ETA;
  const p50 = Math.round(input.now + Math.max(0, q.p50));
  return { p50, p90: Math.max(p50, Math.round(input.now + Math.max(0, q.p90))), basis: 'runs' };
}

/** The remaining steps as index arrays, built once per estimate and shared by the draws. */
interface Plan {
  now: number;
  parallelism: number;
  models: DurationModel[];
  /** Per step: running since (ms since epoch), or NaN. */
  runningSince: Float64Array;
  /** Per step: earliest time it may be queued (a retry's due time, else now). */
  readyAt: Float64Array;
  /** Per step: remaining steps it waits for. */
  indegree: Int32Array;
  /** Per step: remaining steps waiting for it. */
  dependents: number[][];
  /** Per step: its place in the engine's start order among ready steps (lower first). */
  rank: number[];
  /** Per step: its pool's index in `poolLimits`, or -1. */
  pool: number[];
  poolLimits: number[];
}

function planOf(steps: readonly EtaStep[], models: DurationModel[], input: EtaInput): Plan {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const poolNames = new Map<string, number>();
  const poolLimits: number[] = [];
  const dependents: number[][] = steps.map(() => []);
  const indegree = steps.map((s, i) => {
    let d = 0;
    for (const need of s.needs) {
      const j = index.get(need);
      if (j === undefined || j === i) continue;
      dependents[j]!.push(i);
      d++;
    }
    return d;
  });
  const pool = steps.map((s) => {
    const limit = s.pool === undefined ? undefined : input.pools?.[s.pool];
    if (limit === undefined || s.pool === undefined) return -1;
    let p = poolNames.get(s.pool);
    if (p === undefined) {
      poolNames.set(s.pool, (p = poolLimits.length));
      poolLimits.push(Math.max(1, limit));
    }
    return p;
  });
  const paths = remainingPaths(steps);
  const order = steps.map((_, i) => i).sort((a, b) => (steps[b]!.priority ?? 0) - (steps[a]!.priority ?? 0)
    || (paths.get(steps[b]!.id) ?? 0) - (paths.get(steps[a]!.id) ?? 0) || a - b);
  const rank: number[] = new Array<number>(steps.length);
  order.forEach((i, k) => (rank[i] = k));
  return {
    now: input.now,
    parallelism: Math.max(1, input.parallelism),
    rank,
    models,
    runningSince: Float64Array.from(steps, (s) => (s.state === 'running' ? (s.startedAt ?? input.now) : Number.NaN)),
    readyAt: Float64Array.from(steps, (s) => (s.state === 'retrying' && s.dueAt !== undefined ? Math.max(input.now, s.dueAt) : input.now)),
    indegree: Int32Array.from(indegree),
    dependents,
    pool,
    poolLimits,
  };
}

/** Scratch arrays of the draws, allocated once per estimate (a draw allocates nothing). */
interface Scratch {
  indegree: Int32Array;
  inPool: Int32Array;
  readyAt: Float64Array;
  /** Ready steps not started, by rank; `readyN` of them. */
  ready: Int32Array;
  /** A binary min-heap of running steps by end time. */
  heapT: Float64Array;
  heapS: Int32Array;
}

function scratchOf(p: Plan): Scratch {
  const n = p.models.length;
  return {
    indegree: new Int32Array(n), inPool: new Int32Array(p.poolLimits.length), readyAt: new Float64Array(n),
    ready: new Int32Array(n), heapT: new Float64Array(n), heapS: new Int32Array(n),
  };
}

function heapPush(x: Scratch, size: number, time: number, step: number): void {
  let i = size;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (x.heapT[parent]! <= time) break;
    x.heapT[i] = x.heapT[parent]!;
    x.heapS[i] = x.heapS[parent]!;
    i = parent;
  }
  x.heapT[i] = time;
  x.heapS[i] = step;
}

/** Removes the earliest end (size is the heap's size before); returns its step. */
function heapPop(x: Scratch, size: number): number {
  const top = x.heapS[0]!;
  const n = size - 1;
  const lt = x.heapT[n]!;
  const ls = x.heapS[n]!;
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const c = l + 1 < n && x.heapT[l + 1]! < x.heapT[l]! ? l + 1 : l;
    if (x.heapT[c]! >= lt) break;
    x.heapT[i] = x.heapT[c]!;
    x.heapS[i] = x.heapS[c]!;
    i = c;
  }
  x.heapT[i] = lt;
  x.heapS[i] = ls;
  return top;
}

/** Adds step `i` to the ready list, kept in rank order (insertion: the list is short). */
function readyAdd(p: Plan, x: Scratch, n: number, i: number): number {
  let k = n;
  const r = p.rank[i]!;
  while (k > 0 && p.rank[x.ready[k - 1]!]! > r) {
    x.ready[k] = x.ready[k - 1]!;
    k--;
  }
  x.ready[k] = i;
  return n + 1;
}

/** One draw: list-schedules the remaining steps with drawn durations; returns the end, ms since the epoch. */
function simulate(p: Plan, x: Scratch, rand: Random): number {
  const n = p.models.length;
  x.indegree.set(p.indegree);
  x.inPool.fill(0);
  x.readyAt.set(p.readyAt);
  let heap = 0;
  let readyN = 0;
  let free = p.parallelism;
  let end = p.now;
  // Running steps hold their slots already, whatever the parallelism says now.
  for (let i = 0; i < n; i++) {
    const since = p.runningSince[i]!;
    if (!Number.isNaN(since)) {
      heapPush(x, heap++, p.now + drawRemaining(p.models[i]!, Math.max(0, p.now - since), rand), i);
      free--;
      if (p.pool[i]! >= 0) x.inPool[p.pool[i]!]!++;
    } else if (x.indegree[i] === 0) readyN = readyAdd(p, x, readyN, i);
  }
  let t = p.now;
  for (;;) {
    // Start every ready step that has a slot, in the engine's order; keep the rest in order.
    let kept = 0;
    let next = Number.POSITIVE_INFINITY;
    for (let r = 0; r < readyN; r++) {
      const i = x.ready[r]!;
      const pi = p.pool[i]!;
      const at = x.readyAt[i]!;
      if (free > 0 && at <= t && (pi < 0 || x.inPool[pi]! < p.poolLimits[pi]!)) {
        heapPush(x, heap++, t + drawDuration(p.models[i]!, rand), i);
        free--;
        if (pi >= 0) x.inPool[pi]!++;
      } else {
        x.ready[kept++] = i;
        if (at > t && at < next) next = at;
      }
    }
    readyN = kept;
    if (heap > 0 && x.heapT[0]! < next) next = x.heapT[0]!;
    if (next === Number.POSITIVE_INFINITY) break;
    t = next;
    while (heap > 0 && x.heapT[0]! <= t) {
      const i = heapPop(x, heap--);
      if (t > end) end = t;
      free++;
      if (p.pool[i]! >= 0) x.inPool[p.pool[i]!]!--;
      const deps = p.dependents[i]!;
      for (let k = 0; k < deps.length; k++) {
        const d = deps[k]!;
        if (--x.indegree[d]! === 0) {
          if (t > x.readyAt[d]!) x.readyAt[d] = t;
          readyN = readyAdd(p, x, readyN, d);
        }
      }
    }
  }
  return end;
}
