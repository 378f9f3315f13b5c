/**
 * @module web/api/map
 * The items of mapped steps (`map:`) as the API lists them: one step run per item, id
 * `<step>[<index>]`, right after its mapped step in index order (the server's
 * `core/map.ts` names them so; step ids never hold `[`). The live feed adds items it
 * learns of (a `map` event, a step event of an item the cache does not hold yet) here, and
 * a run's progress counts them apart from its steps.
 */
import type { StepRun } from './types.js';
import { isStepDone } from './types.js';

/** The mapped step and index an item's step run id names (`square[3]` → `square`, 3), or undefined for a step's id. */
export function parseMapItemId(id: string): { stepId: string; index: number } | undefined {
  // The last character first: most ids are steps', and the run page folds every id on each feed flush.
  if (id.charCodeAt(id.length - 1) !== 93 /* ] */) return undefined;
  const open = id.lastIndexOf('[');
  if (open < 1 || open > id.length - 3) return undefined;
  const digits = id.slice(open + 1, -1);
  if (!/^\d+$/.test(digits)) return undefined;
  return { stepId: id.slice(0, open), index: Number(digits) };
}

/** The step run id of item `index` of mapped step `stepId`. */
export function mapItemId(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

/** Whether a step run is an item of a mapped step (not a step of the definition). */
export function isMapItem(stepId: string): boolean {
  return parseMapItemId(stepId) !== undefined;
}

/**
 * `steps` with pending step runs for the items of `stepId` it lacks among `indexes`,
 * each placed after its mapped step and the items before it (the API's order), so that
 * later step events of those items find them. Returns `steps` itself when nothing is
 * missing or the mapped step is not there. O(steps + indexes).
 */
export function withMapItems(steps: StepRun[], stepId: string, indexes: Iterable<number>): StepRun[] {
  const at = steps.findIndex((s) => s.stepId === stepId);
  if (at < 0) return steps;
  const parent = steps[at]!;
  // The items already listed: they follow the mapped step.
  let end = at + 1;
  const have = new Map<number, StepRun>();
  for (; end < steps.length; end++) {
    const p = parseMapItemId(steps[end]!.stepId);
    if (!p || p.stepId !== stepId) break;
    have.set(p.index, steps[end]!);
  }
  const before = have.size;
  for (const i of indexes) {
    if (!have.has(i)) have.set(i, { stepId: mapItemId(stepId, i), position: parent.position, state: 'pending', attempts: 0, lostAttempts: 0 });
  }
  if (have.size === before) return steps;
  const items = [...have.entries()].sort((a, b) => a[0] - b[0]).map(([, s]) => s);
  return [...steps.slice(0, at + 1), ...items, ...steps.slice(end)];
}

/** A run's progress: steps of the definition done of all, and items of mapped steps apart. */
export interface RunProgress {
  steps: { done: number; total: number };
  items: { done: number; total: number };
}

/** The run's progress from its step runs (the run page's and the overview's): items never count as steps. */
export function runProgress(steps: readonly StepRun[]): RunProgress {
  const out: RunProgress = { steps: { done: 0, total: 0 }, items: { done: 0, total: 0 } };
  for (const s of steps) {
    const bucket = isMapItem(s.stepId) ? out.items : out.steps;
    bucket.total++;
    if (isStepDone(s.state)) bucket.done++;
  }
  return out;
}
