import { describe, expect, it } from 'vitest';
import { clockTime, etaCell, etaText } from './format.js';

describe('ETA text', () => {
  const now = new Date(2026, 11, 7, 14, 0, 0).getTime();
  const at = (h: number, m: number, day = 7): number => new Date(2026, 11, day, h, m, 0).getTime();

  it('says when, its p90 and where it came from', () => {
    expect(etaText({ p50: at(14, 32), p90: at(14, 40), basis: 'steps' }, now)).toBe('ETA 14:32 (p90 14:40) from step history');
    expect(etaText({ p50: at(14, 32), p90: at(14, 40), basis: 'runs' }, now)).toBe('ETA 14:32 (p90 14:40) from run durations');
    expect(etaText({ p50: null, p90: null, basis: 'unknown' }, now)).toBe('ETA unknown (no history yet)');
    expect(etaText(undefined, now)).toBeUndefined();
    expect(etaText({ p50: at(14, 32), p90: at(14, 40), basis: 'steps', deadline: at(15, 0) }, now)).toBe('ETA 14:32 (p90 14:40) from step history; deadline 15:00');
    expect(etaText({ p50: at(14, 32), p90: at(14, 40), basis: 'steps', deadline: at(14, 35) }, now)).toBe('ETA 14:32 (p90 14:40) from step history; deadline 14:35: at risk');
  });

  it('names the day of a time that is not today', () => {
    expect(clockTime(at(9, 5, 9), now)).toBe('Dec 9 09:05');
    expect(etaCell({ p50: at(15, 0), p90: at(9, 5, 9), basis: 'steps' }, now)).toBe('15:00 (p90 Dec 9 09:05)');
    expect(etaCell({ p50: null, p90: null, basis: 'unknown' }, now)).toBe('?');
    expect(etaCell(undefined, now)).toBe('-');
  });
});
