import { describe, expect, it } from 'vitest';
import { criticalPath } from './critical-path.js';

const g = (id: string, ...needs: string[]): { id: string; needs: string[] } => ({ id, needs });

describe('the path that holds a run back', () => {
  it('is the longest chain of unfinished steps by their expected durations', () => {
    // a → (b | c) → d; b is slow by history, c is quick.
    const steps = [g('a'), g('b', 'a'), g('c', 'a'), g('d', 'b', 'c')];
    const p = criticalPath(steps, new Map([['a', { state: 'succeeded' }]]), new Map([['b', 60_000], ['c', 1_000], ['d', 5_000]]), 0);
    expect(p).toEqual({ steps: ['b', 'd'], remainingMs: 65_000 });
  });

  it("takes off what a running step has spent, and counts steps without history at the others' median", () => {
    const steps = [g('a'), g('b'), g('x', 'a'), g('y', 'b')];
    const progress = new Map([['a', { state: 'running', startedAt: 0 }], ['b', { state: 'queued' }]]);
    // a: 100 s expected, 90 s spent → 10 s left, then x (no history: the median of 5, 20 and
    // 100 s → 20 s): 30 s; b: 20 s, then y: 5 s → 25 s.
    const p = criticalPath(steps, progress, new Map([['a', 100_000], ['b', 20_000], ['y', 5_000]]), 90_000);
    expect(p.steps).toEqual(['a', 'x']);
    expect(p.remainingMs).toBe(10_000 + 20_000);
  });

  it('is empty once every step is done, and survives a 5,000-step chain', () => {
    expect(criticalPath([g('a')], new Map([['a', { state: 'failed' }]]), new Map(), 0)).toEqual({ steps: [], remainingMs: 0 });
    const chain = Array.from({ length: 5000 }, (_, i) => g(`s${i}`, ...(i ? [`s${i - 1}`] : [])));
    expect(criticalPath(chain, new Map(), new Map(), 0).steps).toHaveLength(5000);
  });
});
