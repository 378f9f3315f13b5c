import { describe, expect, it } from 'vitest';
import { backtest, holtWinters, seasonalNaive } from './holt-winters.js';

/** A seeded uniform generator (mulberry32), so the noisy series are the same every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const daily = (t: number): number => 100 + 50 * Math.sin((2 * Math.PI * t) / 24);

describe('holtWinters', () => {
  it('recovers a clean daily cycle nearly exactly', () => {
    const y = Array.from({ length: 24 * 7 }, (_, t) => daily(t));
    const fit = holtWinters(y, 24, 24)!;
    fit.forecast.forEach((f, h) => expect(f).toBeCloseTo(daily(y.length + h), 1));
  });

  it('beats seasonal-naive on a noisy series with a trend', () => {
    const r = rng(7);
    const y = Array.from({ length: 24 * 28 }, (_, t) => daily(t) + 0.2 * t + 30 * (r() - 0.5));
    const b = backtest(y, 24, 24)!;
    expect(b.origins).toBeGreaterThan(20);
    expect(b.holtWinters.mae).toBeLessThan(b.seasonalNaive.mae);
  });

  it('gives no forecast with fewer than two full seasons', () => {
    expect(holtWinters(Array.from({ length: 47 }, () => 1), 24, 24)).toBeUndefined();
    expect(backtest(Array.from({ length: 60 }, () => 1), 24, 24)).toBeUndefined();
  });

  it('forecasts zero for an all-zero series, never below zero', () => {
    const fit = holtWinters(Array.from({ length: 96 }, () => 0), 24, 24)!;
    expect(fit.forecast).toEqual(Array.from({ length: 24 }, () => 0));
    expect(fit.sigma).toBe(0);
    const b = backtest(Array.from({ length: 96 }, () => 0), 24, 24)!;
    expect(b.holtWinters).toEqual({ mae: 0, smape: 0 });
  });

  it('seasonal-naive repeats the last season', () => {
    expect(seasonalNaive([1, 2, 3, 4], 2, 3)).toEqual([3, 4, 3]);
  });
});
