import { describe, expect, it } from 'vitest';
import type { StepRun } from '../../api/types.js';
import { filterCounts, itemRows, mapBar, mapCountsText, mapNodeText, mapProgress } from './map-items.js';
import { runProgress } from '../../api/map.js';

const step = (stepId: string, state: StepRun['state'], o: Partial<StepRun> = {}): StepRun => ({ stepId, position: 0, state, attempts: 0, lostAttempts: 0, ...o });

/** list, square (mapped over 6 items), total: the API's order, items right after their step. */
const STEPS: StepRun[] = [
  step('list', 'succeeded'),
  step('square', 'running'),
  step('square[0]', 'succeeded', { item: 1 }),
  step('square[1]', 'failed', { item: 2 }),
  step('square[2]', 'running', { item: 3 }),
  step('square[3]', 'retrying', { item: 4 }),
  step('square[4]', 'queued', { item: 5 }),
  step('square[5]', 'pending', { item: 6 }),
  step('total', 'pending'),
];

describe('the items of mapped steps', () => {
  it('counts each mapped step\'s items by state, done meaning final', () => {
    const p = mapProgress(STEPS);
    expect([...p.keys()]).toEqual(['square']);
    expect(p.get('square')).toEqual({ total: 6, done: 2, byState: { succeeded: 1, failed: 1, running: 1, retrying: 1, queued: 1, pending: 1 } });
    expect(mapCountsText(p.get('square')!)).toBe('2/6 items · 1 failed · 1 running · 1 retrying');
    expect(mapCountsText({ total: 1, done: 0, byState: { pending: 1 } })).toBe('0/1 item');
    expect(mapNodeText(p.get('square')!)).toBe('2/6 items · 1 failed');
    expect(mapNodeText({ total: 250, done: 3, byState: { succeeded: 3, pending: 247 } })).toBe('3/250 items');
  });

  it('splits the node\'s bar by what became of the items, the waiting rest left empty', () => {
    expect(mapBar({ total: 8, done: 5, byState: { succeeded: 2, failed: 2, cancelled: 1, retrying: 1, pending: 2 } })).toEqual([
      { state: 'succeeded', pct: 25 }, { state: 'failed', pct: 25 }, { state: 'skipped', pct: 12.5 }, { state: 'running', pct: 12.5 },
    ]);
    expect(mapBar({ total: 0, done: 0, byState: {} })).toEqual([]);
  });

  it('counts the run\'s progress in steps of the definition, items apart', () => {
    expect(runProgress(STEPS)).toEqual({ steps: { done: 1, total: 3 }, items: { done: 2, total: 6 } });
    expect(runProgress([step('a', 'succeeded'), step('b', 'skipped')])).toEqual({ steps: { done: 2, total: 2 }, items: { done: 0, total: 0 } });
  });

  it('lists a mapped step\'s items under a filter, by index, and stops at the step after them', () => {
    expect(itemRows(STEPS, 'square', 'all').map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(itemRows(STEPS, 'square', 'failed').map((r) => r.step.stepId)).toEqual(['square[1]']);
    expect(itemRows(STEPS, 'square', 'running').map((r) => r.index)).toEqual([2, 3]);
    expect(itemRows(STEPS, 'square', 'waiting').map((r) => r.index)).toEqual([4, 5]);
    expect(itemRows(STEPS, 'list', 'all')).toEqual([]);
    expect(itemRows(STEPS, 'nope', 'all')).toEqual([]);
    expect(filterCounts(mapProgress(STEPS).get('square'))).toEqual({ all: 6, failed: 1, running: 2, waiting: 2, succeeded: 1 });
    expect(filterCounts(undefined)).toEqual({ all: 0, failed: 0, running: 0, waiting: 0, succeeded: 0 });
  });

  it('folds 10,000 items', () => {
    const many = [step('square', 'running'), ...Array.from({ length: 10_000 }, (_, i) => step(`square[${i}]`, i % 7 === 0 ? 'failed' : 'succeeded'))];
    expect(mapProgress(many).get('square')).toMatchObject({ total: 10_000, done: 10_000, byState: { failed: Math.ceil(10_000 / 7) } });
    const rows = itemRows(many, 'square', 'failed');
    expect(rows).toHaveLength(Math.ceil(10_000 / 7));
    expect(rows[1]).toMatchObject({ index: 7 });
  });
});
