/**
 * @module web/pages/run/map-items
 * The items of a run's mapped steps, folded: counts per mapped step (what its DAG node
 * shows: the DAG is the definition's, one node per step, never one per item), and a mapped
 * step's items for its table, filtered by state.
 */
import type { StepRun, StepRunState } from '../../api/types.js';
import { isStepDone } from '../../api/types.js';
import { isMapItem, parseMapItemId } from '../../api/map.js';

/** How the items of one mapped step stand. */
export interface MapCounts {
  total: number;
  /** Items in a final state (succeeded, failed, skipped, cancelled). */
  done: number;
  /** Items by state; a state no item is in is absent. */
  byState: Partial<Record<StepRunState, number>>;
}

/** The item counts of every mapped step that has expanded, by mapped step id, in one pass. */
export function mapProgress(steps: readonly StepRun[]): Map<string, MapCounts> {
  const out = new Map<string, MapCounts>();
  for (const s of steps) {
    const p = isMapItem(s.stepId) ? parseMapItemId(s.stepId) : undefined;
    if (!p) continue;
    let c = out.get(p.stepId);
    if (!c) out.set(p.stepId, (c = { total: 0, done: 0, byState: {} }));
    c.total++;
    if (isStepDone(s.state)) c.done++;
    c.byState[s.state] = (c.byState[s.state] ?? 0) + 1;
  }
  return out;
}

/** A mapped step's counts as one short line: `3/250 items · 1 failed · 2 running`. */
export function mapCountsText(c: MapCounts): string {
  const parts = [`${c.done}/${c.total} item${c.total === 1 ? '' : 's'}`];
  for (const state of ['failed', 'running', 'retrying', 'skipped', 'cancelled'] as const) {
    const n = c.byState[state];
    if (n) parts.push(`${n} ${state}`);
  }
  return parts.join(' · ');
}

/** What a mapped step's DAG node shows in its width: `3/250 items · 1 failed`. */
export function mapNodeText(c: MapCounts): string {
  const failed = c.byState.failed ?? 0;
  return `${c.done}/${c.total} item${c.total === 1 ? '' : 's'}${failed ? ` · ${failed} failed` : ''}`;
}

/**
 * The shares of a mapped step's items for its node's bar, in percent of all items, in the
 * order drawn: succeeded, failed, skipped or cancelled, running (or retrying); the rest of
 * the bar is what still waits.
 */
export function mapBar(c: MapCounts): { state: 'succeeded' | 'failed' | 'skipped' | 'running'; pct: number }[] {
  const n = (...states: StepRunState[]): number => states.reduce((t, s) => t + (c.byState[s] ?? 0), 0);
  const pct = (k: number): number => (c.total > 0 ? (k / c.total) * 100 : 0);
  return [
    { state: 'succeeded' as const, pct: pct(n('succeeded')) },
    { state: 'failed' as const, pct: pct(n('failed')) },
    { state: 'skipped' as const, pct: pct(n('skipped', 'cancelled')) },
    { state: 'running' as const, pct: pct(n('running', 'retrying')) },
  ].filter((b) => b.pct > 0);
}

/** Which items a mapped step's table lists. */
export type ItemFilter = 'all' | 'failed' | 'running' | 'waiting' | 'succeeded';

/** The filters in the order offered. */
export const ITEM_FILTERS: readonly ItemFilter[] = ['all', 'failed', 'running', 'waiting', 'succeeded'];

/** Whether an item in `state` is listed under `filter` (`running` takes retrying ones; `waiting`, pending and queued). */
export function itemMatches(filter: ItemFilter, state: StepRunState): boolean {
  switch (filter) {
    case 'all': return true;
    case 'failed': return state === 'failed';
    case 'running': return state === 'running' || state === 'retrying';
    case 'waiting': return state === 'pending' || state === 'queued';
    case 'succeeded': return state === 'succeeded';
  }
}

/** One item of a mapped step, for its table. */
export interface ItemRow {
  index: number;
  step: StepRun;
}

/**
 * The items of mapped step `stepId` under `filter`, by index. Items follow their mapped
 * step in the API's list, so the scan stops at the first step run after them.
 */
export function itemRows(steps: readonly StepRun[], stepId: string, filter: ItemFilter): ItemRow[] {
  const at = steps.findIndex((s) => s.stepId === stepId);
  const out: ItemRow[] = [];
  if (at < 0) return out;
  for (let i = at + 1; i < steps.length; i++) {
    const s = steps[i]!;
    const p = parseMapItemId(s.stepId);
    if (!p || p.stepId !== stepId) break;
    if (itemMatches(filter, s.state)) out.push({ index: p.index, step: s });
  }
  return out;
}

/** How many items of `counts` each filter lists. */
export function filterCounts(counts: MapCounts | undefined): Record<ItemFilter, number> {
  const n = (s: StepRunState): number => counts?.byState[s] ?? 0;
  return {
    all: counts?.total ?? 0,
    failed: n('failed'),
    running: n('running') + n('retrying'),
    waiting: n('pending') + n('queued'),
    succeeded: n('succeeded'),
  };
}
