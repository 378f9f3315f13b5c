import { describe, expect, it } from 'vitest';
import { every } from './clock.js';
import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('fires timers in due order (ties in setting order) with now() at each due time', () => {
    const c = new VirtualClock(1_000);
    const seen: [string, number][] = [];
    c.setTimer(300, () => seen.push(['c', c.now()]));
    c.setTimer(100, () => seen.push(['a', c.now()]));
    c.setTimer(100, () => seen.push(['b', c.now()]));
    c.advance(99);
    expect(seen).toEqual([]);
    c.advance(201);
    expect(seen).toEqual([['a', 1_100], ['b', 1_100], ['c', 1_300]]);
    expect(c.now()).toBe(1_300);
  });

  it('fires timers set by timers within the same advance; cancelled ones never', () => {
    const c = new VirtualClock(0);
    const seen: number[] = [];
    c.setTimer(10, () => c.setTimer(10, () => seen.push(c.now())));
    const cancel = c.setTimer(15, () => seen.push(-1));
    cancel();
    c.advance(25);
    expect(seen).toEqual([20]);
    expect(c.pending).toBe(0);
  });

  it('drives a repeating timer (every) without catch-up bursts', () => {
    const c = new VirtualClock(0);
    const beats: number[] = [];
    const stop = every(c, 100, () => beats.push(c.now()));
    c.advance(350);
    expect(beats).toEqual([100, 200, 300]);
    stop();
    c.advance(1_000);
    expect(beats).toEqual([100, 200, 300]);
    expect(c.nextDue()).toBeUndefined();
  });

  it('only moves forward', () => {
    expect(() => new VirtualClock(0).advance(-1)).toThrow(RangeError);
  });
});
