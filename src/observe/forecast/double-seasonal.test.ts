import { describe, expect, it } from 'vitest';
import { doubleSeasonal, MIN_DOUBLE_POINTS } from './double-seasonal.js';
import { backtestLoad, forecastLoad, naiveForecast } from './load.js';

/** A seeded uniform generator (mulberry32), so the noisy series are the same every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A daily sine and quieter weekends (days 5 and 6 of each week), never below 0. */
const pattern = (t: number): number => {
  const day = 100 + 50 * Math.sin((2 * Math.PI * t) / 24);
  return Math.floor(t / 24) % 7 >= 5 ? day - 40 : day;
};

describe('doubleSeasonal', () => {
  it('recovers a clean daily and weekly pattern, weekend included', () => {
    const y = Array.from({ length: 24 * 7 * 3 }, (_, t) => pattern(t));
    // Forecast a whole week, so the horizon crosses into the weekend.
    const fit = doubleSeasonal(y, 168)!;
    fit.forecast.forEach((f, h) => expect(Math.abs(f - pattern(y.length + h))).toBeLessThan(1));
  });

  it('beats the naive weekly forecast on a noisy series with a trend, and the daily-only model', () => {
    const r = rng(11);
    const y = Array.from({ length: 24 * 7 * 6 }, (_, t) => pattern(t) + 0.15 * t + 30 * (r() - 0.5));
    const b = backtestLoad('double-seasonal', 'week', y, 24)!;
    expect(b.origins).toBe(28);
    expect(b.model.mae).toBeLessThan(0.8 * b.naive.mae);
    expect(b.model.mase!).toBeLessThan(1);
    const daily = backtestLoad('daily', 'week', y, 24)!;
    expect(b.model.mae).toBeLessThan(daily.model.mae);
  });

  it('never forecasts below zero', () => {
    // A falling series whose extrapolated trend goes negative within the horizon.
    const y = Array.from({ length: MIN_DOUBLE_POINTS }, (_, t) => Math.max(0, 400 - 1.2 * t));
    const fit = doubleSeasonal(y, 48)!;
    expect(Math.min(...fit.forecast)).toBeGreaterThanOrEqual(0);
  });

  it('gives no fit with less than two weeks', () => {
    expect(doubleSeasonal(Array.from({ length: MIN_DOUBLE_POINTS - 1 }, () => 1), 24)).toBeUndefined();
  });
});

describe('forecastLoad', () => {
  it('picks the model by the length of history and never forecasts under two days', () => {
    const y = (n: number): number[] => Array.from({ length: n }, (_, t) => pattern(t));
    expect(forecastLoad(y(47), 24)).toBeUndefined();
    expect(forecastLoad(y(48), 24)).toMatchObject({ model: 'daily', naive: 'day' });
    expect(forecastLoad(y(200), 24)).toMatchObject({ model: 'daily', naive: 'week' });
    const full = forecastLoad(y(24 * 7 * 3), 24)!;
    expect(full).toMatchObject({ model: 'double-seasonal', naive: 'week' });
    expect(full.forecast).toHaveLength(24);
    expect(full.backtest!.origins).toBe(7);
    expect(forecastLoad(y(24 * 7 * 3), 24, 3)!.backtest!.origins).toBe(3);
  });

  it('has no backtest when no origin has a full horizon after it', () => {
    const f = forecastLoad(Array.from({ length: 60 }, (_, t) => pattern(t)), 24)!;
    expect(f.model).toBe('daily');
    expect(f.backtest).toBeUndefined();
  });

  it('reports a null MASE for a constant series', () => {
    const f = forecastLoad(Array.from({ length: 400 }, () => 5), 24)!;
    expect(f.backtest!.model.mase).toBeNull();
    expect(f.backtest!.naive.mae).toBe(0);
  });

  it('naive forecasts copy the same hour a week or a day before', () => {
    const y = Array.from({ length: 168 }, (_, t) => t);
    expect(naiveForecast('week', y, 2)).toEqual([0, 1]);
    expect(naiveForecast('day', y, 2)).toEqual([144, 145]);
  });
});
