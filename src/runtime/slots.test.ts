import { describe, expect, it } from 'vitest';
import { Slots, kindLimits } from './slots.js';

describe('kindLimits', () => {
  it('cpu: max(1, floor(0.75 x cores)); io: 2 x cores; neither above the slots', () => {
    expect(kindLimits(2, 256)).toEqual({ cpu: 1, io: 4 });
    expect(kindLimits(4, 8)).toEqual({ cpu: 3, io: 8 });
    expect(kindLimits(1, 8)).toEqual({ cpu: 1, io: 2 });
    expect(kindLimits(16, 3)).toEqual({ cpu: 3, io: 3 });
  });
});

describe('Slots.setLimit', () => {
  it('moves the limit, never below one', () => {
    const s = new Slots(8, 10_000);
    expect(s.limit).toBe(8);
    s.setLimit(3);
    expect(s.limit).toBe(3);
    s.setLimit(0);
    expect(s.limit).toBe(1);
  });
});
