import { describe, expect, it } from 'vitest';
import { parseDuration } from './index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['30s', 30_000], ['5m', 300_000], ['4h', 14_400_000], ['2d', 172_800_000],
    ['1h30m', 5_400_000], ['1m30s500ms', 90_500], ['1.5s', 1_500], ['0s', 0], [' 10s ', 10_000],
  ])('%s -> %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes numbers as milliseconds', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration(1.6)).toBe(2);
  });

  it.each(['', '30', '5 minutes', '5min', '1s1h', '1m1m', '-5s', 's', '1.s', '10sx'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(RangeError);
  });

  it('rejects negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(RangeError);
    expect(() => parseDuration(Infinity)).toThrow(RangeError);
    expect(() => parseDuration(NaN)).toThrow(RangeError);
  });
});
