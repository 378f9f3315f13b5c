import { describe, expect, it } from 'vitest';
import { ancestorsOf, findCycles, upstreamOracle } from './graph.js';

describe('findCycles', () => {
  it('names a small cycle in run order, from the step first in the file', () => {
    expect(findCycles([{ id: 'a', needs: ['c'] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] }])).toEqual([['a', 'b', 'c', 'a']]);
    expect(findCycles([{ id: 'a', needs: ['a'] }])).toEqual([['a', 'a']]);
  });

  it('walks a 50,000-step chain written last step first without recursion', () => {
    const nodes = Array.from({ length: 50_000 }, (_, i) => ({ id: `s${i}`, needs: i + 1 < 50_000 ? [`s${i + 1}`] : [] }));
    expect(findCycles(nodes)).toEqual([]);
  });

  it('names a 50,000-step ring in order', () => {
    const n = 50_000;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, needs: [`s${(i + 1) % n}`] }));
    const [cycle, ...rest] = findCycles(nodes);
    expect(rest).toEqual([]);
    expect(cycle).toHaveLength(n + 1);
    expect(cycle?.slice(0, 3)).toEqual(['s0', `s${n - 1}`, `s${n - 2}`]);
    expect(cycle?.at(-1)).toBe('s0');
  });

  it('finds one cycle per strongly connected component', () => {
    const nodes = [{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['d', 'a'] }, { id: 'd', needs: ['c'] }];
    expect(findCycles(nodes)).toEqual([['a', 'b', 'a'], ['c', 'd', 'c']]);
  });
});

describe('ancestorsOf', () => {
  it('collects a long chain without spreading it into a call', () => {
    const needsOf = new Map(Array.from({ length: 200_000 }, (_, i) => [`s${i}`, i + 1 < 200_000 ? [`s${i + 1}`] : []]));
    expect(ancestorsOf('s0', needsOf).size).toBe(199_999);
  });
});

describe('upstreamOracle', () => {
  it('answers like ancestorsOf on a diamond, across word boundaries, and on cyclic input', () => {
    const diamond = new Map([['a', []], ['b', ['a']], ['c', ['a']], ['d', ['b', 'c', 'b']]]);
    const up = upstreamOracle(diamond);
    expect(['a', 'b', 'c'].map((x) => up('d', x))).toEqual([true, true, true]);
    expect([up('b', 'c'), up('a', 'd'), up('d', 'd'), up('d', 'zz')]).toEqual([false, false, false, false]);
    const chain = new Map(Array.from({ length: 100 }, (_, i) => [`s${i}`, i + 1 < 100 ? [`s${i + 1}`] : []]));
    const upChain = upstreamOracle(chain);
    expect([upChain('s0', 's99'), upChain('s40', 's33'), upChain('s33', 's64'), upChain('s99', 's0')]).toEqual([true, false, true, false]);
    const cyclic = new Map([['a', ['b']], ['b', ['a']], ['c', ['a']], ['d', []]]);
    const upCyclic = upstreamOracle(cyclic);
    expect([upCyclic('c', 'b'), upCyclic('a', 'a'), upCyclic('c', 'd')]).toEqual([true, true, false]);
  });

  it('answers 10,000 far reads along a 10,000-step chain within a second', () => {
    const n = 10_000;
    const up = upstreamOracle(new Map(Array.from({ length: n }, (_, i) => [`s${i}`, i + 1 < n ? [`s${i + 1}`] : []])));
    const started = performance.now();
    let hits = 0;
    for (let i = 0; i < n - 1; i++) if (up(`s${i}`, `s${n - 1}`)) hits++;
    expect(hits).toBe(n - 1);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
