import { describe, expect, it } from 'vitest';
import { ReadyQueue } from './ready-queue.js';
import type { ReadyItem } from './ready-queue.js';
import { remainingPaths } from './critical-path.js';

function drain<T>(q: ReadyQueue<T>): T[] {
  const out: T[] = [];
  for (let item = q.pop(); item; item = q.pop()) out.push(item.value);
  return out;
}

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ReadyQueue', () => {
  it('is empty at first', () => {
    const q = new ReadyQueue<string>(10_000);
    expect(q.size).toBe(0);
    expect(q.pop()).toBeUndefined();
  });

  it('pops the higher priority first', () => {
    const q = new ReadyQueue<string>(1000);
    q.push({ value: 'low', priority: -5, queuedAt: 0 });
    q.push({ value: 'high', priority: 10, queuedAt: 0 });
    q.push({ value: 'mid', priority: 0, queuedAt: 0 });
    expect(q.size).toBe(3);
    expect(drain(q)).toEqual(['high', 'mid', 'low']);
    expect(q.size).toBe(0);
  });

  it('is FIFO among equal priority and equal time (insertion order)', () => {
    const q = new ReadyQueue<number>(1000);
    for (let i = 0; i < 50; i++) q.push({ value: i, priority: 1, queuedAt: 500 });
    expect(drain(q)).toEqual([...Array(50).keys()]);
  });

  it('is FIFO by queuedAt among equal priority, whatever the insertion order', () => {
    const q = new ReadyQueue<string>(1000);
    q.push({ value: 'later', priority: 0, queuedAt: 20 });
    q.push({ value: 'earlier', priority: 0, queuedAt: 10 });
    expect(drain(q)).toEqual(['earlier', 'later']);
  });

  it('aging: an item that waited long enough beats a newer one of higher priority', () => {
    const agingMs = 100;
    const q = new ReadyQueue<string>(agingMs);
    // p queued at t vs p+1 queued at t + 2 * agingMs: the old one has aged two levels.
    q.push({ value: 'new-high', priority: 3, queuedAt: 1000 + 2 * agingMs });
    q.push({ value: 'old-low', priority: 2, queuedAt: 1000 });
    expect(drain(q)).toEqual(['old-low', 'new-high']);
    // Within one aging period the higher priority still wins.
    q.push({ value: 'old-low', priority: 2, queuedAt: 1000 });
    q.push({ value: 'new-high', priority: 3, queuedAt: 1000 + agingMs / 2 });
    expect(drain(q)).toEqual(['new-high', 'old-low']);
  });

  it('effectivePriority adds a level per agingMs waited', () => {
    const q = new ReadyQueue<string>(100);
    const item: ReadyItem<string> = { value: 'x', priority: -2, queuedAt: 1000 };
    expect(q.effectivePriority(item, 1000)).toBe(-2);
    expect(q.effectivePriority(item, 1250)).toBe(0.5);
    expect(q.effectivePriority(item, 500)).toBe(-2); // a clock behind queuedAt does not age it backwards
  });

  it('keeps the order of a sort on (priority * agingMs - queuedAt desc, insertion) under random push/pop', () => {
    const agingMs = 1000;
    const rand = rng(42);
    const q = new ReadyQueue<number>(agingMs);
    const model: { v: number; key: number; seq: number }[] = [];
    let seq = 0;
    const popped: number[] = [];
    const expected: number[] = [];
    for (let step = 0; step < 20_000; step++) {
      if (rand() < 0.6 || model.length === 0) {
        const priority = Math.floor(rand() * 21) - 10;
        const queuedAt = Math.floor(rand() * 50) * 100;
        q.push({ value: seq, priority, queuedAt });
        model.push({ v: seq, key: priority * agingMs - queuedAt, seq });
        seq++;
      } else {
        let best = 0;
        for (let i = 1; i < model.length; i++) {
          const a = model[i]!;
          const b = model[best]!;
          if (a.key > b.key || (a.key === b.key && a.seq < b.seq)) best = i;
        }
        expected.push(model.splice(best, 1)[0]!.v);
        popped.push(q.pop()!.value);
      }
      expect(q.size).toBe(model.length);
    }
    expect(popped).toEqual(expected);
    const rest = drain(q);
    model.sort((a, b) => b.key - a.key || a.seq - b.seq);
    expect(rest).toEqual(model.map((m) => m.v));
  });

  it('critical path: among equal priority and time, the longer remaining path goes first', () => {
    const q = new ReadyQueue<string>(1000);
    q.push({ value: 'short', priority: 0, queuedAt: 10, rank: 1 });
    q.push({ value: 'long', priority: 0, queuedAt: 10, rank: 5 });
    q.push({ value: 'none', priority: 0, queuedAt: 10 });
    expect(drain(q)).toEqual(['long', 'short', 'none']);
  });

  it('critical path: within one aging window the longer path goes first, even if ready later', () => {
    const q = new ReadyQueue<string>(1000);
    q.push({ value: 'early-short', priority: 0, queuedAt: 10_100, rank: 1 });
    q.push({ value: 'late-long', priority: 0, queuedAt: 10_900, rank: 4 });
    // Ready in the next window: a whole level behind, so the path no longer outranks it.
    q.push({ value: 'next-window-longest', priority: 0, queuedAt: 11_000, rank: 9 });
    expect(drain(q)).toEqual(['late-long', 'early-short', 'next-window-longest']);
  });

  it('critical path: a higher priority still goes first, whatever its rank', () => {
    const q = new ReadyQueue<string>(1000);
    q.push({ value: 'long-low', priority: 0, queuedAt: 10, rank: 1000 });
    q.push({ value: 'short-high', priority: 1, queuedAt: 10, rank: 1 });
    expect(drain(q)).toEqual(['short-high', 'long-low']);
  });

  it('critical path: aging still promotes an old low-priority item over a long path', () => {
    const agingMs = 100;
    const q = new ReadyQueue<string>(agingMs);
    q.push({ value: 'new-high-long', priority: 3, queuedAt: 1000 + 2 * agingMs, rank: 1e6 });
    q.push({ value: 'old-low-short', priority: 2, queuedAt: 1000, rank: 1 });
    expect(drain(q)).toEqual(['old-low-short', 'new-high-long']);
  });

  it('remainingPaths: the longest weighted chain to a sink, own weight included', () => {
    const steps = [
      { id: 'a', needs: [] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['b'] },
      { id: 'd', needs: ['a'] }, { id: 'e', needs: [] },
    ];
    expect(Object.fromEntries(remainingPaths(steps))).toEqual({ a: 3, b: 2, c: 1, d: 1, e: 1 });
    const w: Record<string, number> = { a: 1, b: 1, c: 1, d: 10, e: 2 };
    expect(Object.fromEntries(remainingPaths(steps, (id) => w[id]!))).toEqual({ a: 11, b: 2, c: 1, d: 10, e: 2 });
  });

  it('remainingPaths: a 10,000-step chain computes without recursion', () => {
    const n = 10_000;
    const steps = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, needs: i ? [`s${i - 1}`] : [] }));
    const paths = remainingPaths(steps);
    expect(paths.get('s0')).toBe(n);
    expect(paths.get(`s${n - 1}`)).toBe(1);
  });
});
