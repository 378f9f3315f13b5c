/**
 * @module web/pages/run/compare
 * Two runs of one workflow side by side, as data: which is the earlier (the baseline every
 * difference is measured from), their params key by key, their steps paired by step id
 * with each one's duration and the change, and the orders the steps table sorts by. Pure:
 * time is an argument, nothing here reads the clock or the network.
 */
import type { Run, RunDetail, StepRun, StepRunState } from '../../api/types.js';
import { formatDuration } from '../../lib/time.js';

/** How a param differs from the earlier run to the later one. */
export type ParamChange = 'same' | 'added' | 'removed' | 'changed';

/** One param key of either run. Values are compact JSON text (`"a"`, `3`, `[1,2]`), absent where the run has no such key. */
export interface ParamDiff {
  key: string;
  change: ParamChange;
  before?: string;
  after?: string;
}

/** A param value as one line of text: JSON, so that `"1"` and `1` read differently. */
export function paramValueText(v: unknown): string {
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(canonical(v)) ?? 'undefined';
  } catch {
    return '(not JSON)';
  }
}

/** The value with object keys sorted, so that key order does not count as a change. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * The params of two runs key by key, keys in alphabetical order: `added` is in the later
 * run only, `removed` in the earlier only, `changed` in both with different values (deep:
 * object key order does not count).
 */
export function diffParams(before: Record<string, unknown>, after: Record<string, unknown>): ParamDiff[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.map((key): ParamDiff => {
    const inBefore = Object.hasOwn(before, key);
    const inAfter = Object.hasOwn(after, key);
    const b = inBefore ? paramValueText(before[key]) : undefined;
    const a = inAfter ? paramValueText(after[key]) : undefined;
    const change: ParamChange = !inBefore ? 'added' : !inAfter ? 'removed' : a === b ? 'same' : 'changed';
    return { key, change, ...(b !== undefined ? { before: b } : {}), ...(a !== undefined ? { after: a } : {}) };
  });
}

/**
 * The two runs, earlier first (by creation time, then id): the earlier is the baseline, so
 * a change reads the same whichever run the comparison was opened from.
 */
export function inOrder<T extends { run: Pick<Run, 'id' | 'createdAt'> }>(x: T, y: T): [before: T, after: T] {
  const xFirst = x.run.createdAt !== y.run.createdAt ? x.run.createdAt < y.run.createdAt : x.run.id <= y.run.id;
  return xFirst ? [x, y] : [y, x];
}

/** A span's duration, ms: to its end, or to `now` while it goes on; undefined before it starts. */
export function spanMs(x: { startedAt?: number; endedAt?: number }, now: number): number | undefined {
  if (x.startedAt === undefined) return undefined;
  return Math.max(0, (x.endedAt ?? now) - x.startedAt);
}

/** One run's side of a step. */
export interface StepSide {
  state: StepRunState;
  /** From its first start to its end (retries and their waits included), ms; to `now` while it runs; undefined if it never started. */
  durationMs?: number;
  /** Whether it has not ended yet (its duration still grows). */
  ongoing: boolean;
  /** Attempts made (lost ones included). */
  attempts: number;
}

/** A step of either run, with its side in each. */
export interface StepPair {
  stepId: string;
  /** Undefined when the earlier run has no such step. */
  before?: StepSide;
  /** Undefined when the later run has no such step. */
  after?: StepSide;
  /** After's duration less before's, ms; undefined unless both have a duration. */
  deltaMs?: number;
  /** {@link StepPair.deltaMs} as a percentage of before's duration; undefined when that is 0 or unknown. */
  deltaPct?: number;
}

function side(s: StepRun, now: number): StepSide {
  const durationMs = spanMs(s, now);
  return { state: s.state, ongoing: s.endedAt === undefined && s.startedAt !== undefined, attempts: s.attempts, ...(durationMs !== undefined ? { durationMs } : {}) };
}

/**
 * The steps of two runs paired by step id: the earlier run's steps in their position
 * order, then those of the later run only, with the change in duration.
 */
export function pairSteps(before: readonly StepRun[], after: readonly StepRun[], now: number): StepPair[] {
  const later = new Map(after.map((s) => [s.stepId, s]));
  const ids = [...[...before].sort((a, b) => a.position - b.position), ...[...after].sort((a, b) => a.position - b.position)].map((s) => s.stepId);
  const earlier = new Map(before.map((s) => [s.stepId, s]));
  return [...new Set(ids)].map((stepId): StepPair => {
    const b = earlier.get(stepId);
    const a = later.get(stepId);
    const bs = b && side(b, now);
    const as = a && side(a, now);
    const pair: StepPair = { stepId, ...(bs ? { before: bs } : {}), ...(as ? { after: as } : {}) };
    if (bs?.durationMs !== undefined && as?.durationMs !== undefined) {
      pair.deltaMs = as.durationMs - bs.durationMs;
      if (bs.durationMs > 0) pair.deltaPct = (pair.deltaMs / bs.durationMs) * 100;
    }
    return pair;
  });
}

/**
 * A change in duration as text with its sign: `+1.2s (+35%)`, `−850ms (−12%)`, `0ms`; the
 * percentage is left out when unknown, `—` when the change is.
 */
export function deltaText(deltaMs: number | undefined, deltaPct?: number): string {
  if (deltaMs === undefined) return '—';
  const sign = deltaMs > 0 ? '+' : deltaMs < 0 ? '\u2212' : '';
  const pct = deltaPct === undefined || deltaMs === 0 ? '' : ` (${sign}${formatPct(Math.abs(deltaPct))}%)`;
  return `${sign}${formatDuration(Math.abs(deltaMs))}${pct}`;
}

/** A percentage, rounded to what a reader compares: `0.4`, `35`, `1200`. */
function formatPct(p: number): string {
  return p < 1 ? p.toFixed(1) : String(Math.round(p));
}

/** Columns the steps table sorts by: `change` is the size of the duration change, either way. */
export type StepSort = 'change' | 'step' | 'before' | 'after';
/** Sort keys, for reading one from an address. */
export const STEP_SORTS: readonly StepSort[] = ['change', 'step', 'before', 'after'];
/** Sort direction. */
export type SortDir = 'asc' | 'desc';

/** The value a pair sorts by in a column; undefined sorts last in either direction. */
function sortValue(p: StepPair, by: StepSort): number | string | undefined {
  switch (by) {
    case 'change': return p.deltaMs === undefined ? undefined : Math.abs(p.deltaMs);
    case 'step': return p.stepId;
    case 'before': return p.before?.durationMs;
    case 'after': return p.after?.durationMs;
  }
}

/**
 * The pairs sorted by a column, a new array. Pairs without a value in that column (a step
 * of one run only, one that never started) come last whichever the direction; ties keep
 * their order (the earlier run's step order).
 */
export function sortPairs(pairs: readonly StepPair[], by: StepSort, dir: SortDir): StepPair[] {
  const sign = dir === 'asc' ? 1 : -1;
  return pairs
    .map((p, i) => ({ p, i, v: sortValue(p, by) }))
    .sort((x, y) => {
      if (x.v === undefined || y.v === undefined) return x.v === y.v ? x.i - y.i : x.v === undefined ? 1 : -1;
      const c = typeof x.v === 'string' ? x.v.localeCompare(y.v as string) : x.v - (y.v as number);
      return c !== 0 ? sign * c : x.i - y.i;
    })
    .map((x) => x.p);
}

/** The direction a column sorts in when first chosen: sizes biggest first, names A to Z. */
export function defaultDir(by: StepSort): SortDir {
  return by === 'step' ? 'asc' : 'desc';
}

/**
 * Among runs of the workflow (any order), the one created last before `self`: what the
 * comparison offers first. Undefined when `self` is the first run.
 */
export function previousRun(runs: readonly Pick<Run, 'id' | 'createdAt'>[], self: Pick<Run, 'id' | 'createdAt'>): string | undefined {
  let best: Pick<Run, 'id' | 'createdAt'> | undefined;
  for (const r of runs) {
    if (r.id === self.id) continue;
    const before = r.createdAt < self.createdAt || (r.createdAt === self.createdAt && r.id < self.id);
    if (before && (!best || r.createdAt > best.createdAt || (r.createdAt === best.createdAt && r.id > best.id))) best = r;
  }
  return best?.id;
}

/**
 * The runs to offer for comparison with `self`: `recent` and `earlier` (the page of runs
 * created before it, so that its predecessor is there even when it is old) merged,
 * without `self` or duplicates, newest first.
 */
export function compareCandidates<T extends Pick<Run, 'id' | 'createdAt'>>(recent: readonly T[], earlier: readonly T[], self: Pick<Run, 'id'>): T[] {
  const byId = new Map<string, T>();
  for (const r of [...recent, ...earlier]) if (r.id !== self.id && !byId.has(r.id)) byId.set(r.id, r);
  return [...byId.values()].sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
}

/** The whole comparison of two runs, `before` the earlier. */
export interface RunComparison {
  before: RunDetail;
  after: RunDetail;
  params: ParamDiff[];
  steps: StepPair[];
  /** The later run's duration less the earlier's, ms; undefined unless both started. */
  deltaMs?: number;
  /** {@link RunComparison.deltaMs} as a percentage of the earlier run's duration; undefined when that is 0 or unknown. */
  deltaPct?: number;
  sameVersion: boolean;
  sameWorkflow: boolean;
}

/** Compares two runs (in either order) at time `now`. */
export function compareRuns(x: RunDetail, y: RunDetail, now: number): RunComparison {
  const [before, after] = inOrder(x, y);
  const b = spanMs(before.run, now);
  const a = spanMs(after.run, now);
  return {
    before, after,
    params: diffParams(before.run.params, after.run.params),
    steps: pairSteps(before.steps, after.steps, now),
    ...(a !== undefined && b !== undefined ? { deltaMs: a - b, ...(b > 0 ? { deltaPct: ((a - b) / b) * 100 } : {}) } : {}),
    sameVersion: before.run.version === after.run.version,
    sameWorkflow: before.run.workflow === after.run.workflow,
  };
}
