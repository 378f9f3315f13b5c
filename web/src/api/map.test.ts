import { describe, expect, it } from 'vitest';
import type { RunDetail, StepRun } from './types.js';
import { isMapItem, parseMapItemId, withMapItems } from './map.js';
import { patchRunDetail } from './live.js';

const step = (stepId: string, state: StepRun['state'] = 'pending', o: Partial<StepRun> = {}): StepRun => ({ stepId, position: 1, state, attempts: 0, lostAttempts: 0, ...o });
const ids = (steps: readonly StepRun[]): string[] => steps.map((s) => s.stepId);

describe('item ids', () => {
  it('names the mapped step and index of an item, nothing for a step', () => {
    expect(parseMapItemId('square[12]')).toEqual({ stepId: 'square', index: 12 });
    expect(parseMapItemId('square')).toBeUndefined();
    expect(parseMapItemId('square[x]')).toBeUndefined();
    expect(isMapItem('a[0]')).toBe(true);
    expect(isMapItem('a')).toBe(false);
  });
});

describe('items the cache learns of', () => {
  const base = [step('list', 'succeeded'), step('square', 'running'), step('total')];

  it('adds missing items after their mapped step, in index order, keeping those it has', () => {
    const kept = step('square[1]', 'running', { item: 'b' });
    const out = withMapItems([base[0]!, base[1]!, kept, base[2]!], 'square', [2, 0, 1]);
    expect(ids(out)).toEqual(['list', 'square', 'square[0]', 'square[1]', 'square[2]', 'total']);
    expect(out[3]).toBe(kept);
    expect(out[2]).toMatchObject({ state: 'pending', attempts: 0, position: 1 });
  });

  it('returns the same list when nothing is missing or the mapped step is unknown', () => {
    const full = withMapItems(base, 'square', [0]);
    expect(withMapItems(full, 'square', [0])).toBe(full);
    expect(withMapItems(base, 'nope', [0])).toBe(base);
  });

  it('patches a map event and then its items\' step events into a cached run', () => {
    const detail = { run: { id: 'r', state: 'running' }, traceId: '', steps: base, attempts: [] } as unknown as RunDetail;
    const out = patchRunDetail(detail, [
      { seq: 1, runId: 'r', stepId: 'square', type: 'map', at: 10, workflow: 'w', data: { items: 3 } },
      { seq: 2, runId: 'r', stepId: 'square[0]', type: 'step', from: 'pending', to: 'queued', at: 11, workflow: 'w' },
      { seq: 3, runId: 'r', stepId: 'square[0]', type: 'step', from: 'queued', to: 'running', at: 12, workflow: 'w' },
      // an item the cache never heard of (no map event seen): added where it belongs
      { seq: 4, runId: 'r', stepId: 'square[4]', type: 'step', from: 'queued', to: 'running', at: 13, workflow: 'w' },
    ]);
    expect(ids(out.steps)).toEqual(['list', 'square', 'square[0]', 'square[1]', 'square[2]', 'square[4]', 'total']);
    expect(out.steps[2]).toMatchObject({ state: 'running', startedAt: 12, attempts: 1 });
    expect(out.steps[5]).toMatchObject({ state: 'running', startedAt: 13 });
    expect(detail.steps).toBe(base);
  });
});
