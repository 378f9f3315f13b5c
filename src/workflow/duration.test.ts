import { describe, expect, it } from 'vitest';
import { checkDuration, MAX_DURATION_MS, parseDuration } from './index.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500], ['30s', 30_000], ['5m', 300_000], ['4h', 14_400_000], ['2d', 172_800_000],
    ['1h30m', 5_400_000], ['1m30s500ms', 90_500], ['1.5s', 1_500], ['0s', 0], [' 10s ', 10_000],
  ])('%s -> %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('takes a bare number as seconds (timeout: 90 in YAML is 90 s, as peers read it)', () => {
    expect(parseDuration(90)).toBe(90_000);
    expect(parseDuration(1.5)).toBe(1_500);
    expect(parseDuration(0.0016)).toBe(2);
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

describe('checkDuration', () => {
  it('refuses zero unless allowed (a zero timeout fails the step at once; a zero retry delay retries at once)', () => {
    expect(checkDuration('0s', false)).toMatchObject({ code: 'bad-duration' });
    expect(checkDuration(0, false)).toMatchObject({ code: 'bad-duration' });
    expect(checkDuration('0s', true)).toBeUndefined();
  });

  it('refuses negative and malformed values as bad-duration', () => {
    expect(checkDuration(-5, false)).toMatchObject({ code: 'bad-duration' });
    expect(checkDuration('-5s', true)).toMatchObject({ code: 'bad-duration' });
  });

  it('refuses more than 365 days, naming the maximum, and accepts exactly 365 days', () => {
    expect(checkDuration('366d', false)?.code).toBe('out-of-range');
    expect(checkDuration('366d', false)?.message).toContain('365 days');
    expect(checkDuration(365 * 86_400 + 1, false)).toMatchObject({ code: 'out-of-range' });
    expect(checkDuration('365d', false)).toBeUndefined();
    expect(MAX_DURATION_MS).toBe(31_536_000_000);
    // Past Node's timer maximum (2^31-1 ms): stated, not silently clamped to 1 ms.
    expect(checkDuration('30d', false)).toBeUndefined();
  });
});
