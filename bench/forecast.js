#!/usr/bin/env node
// Load forecast accuracy: rolling-origin backtest (24 h horizon, an origin every 24 h) of
// additive Holt-Winters (daily season, m = 24) against seasonal-naive (the same hour a day
// earlier) on synthetic hourly step-seconds series: a daily and a weekly cycle, a trend and
// seeded noise, 4 and 8 weeks long. Prints MAE and sMAPE of both.
//
// Usage: npm run build && node bench/forecast.js [--seed 1]
import { backtest } from '../dist/observe/forecast/holt-winters.js';
import { opt, rng } from './lib.js';

function series(weeks, seed) {
  const r = rng(seed);
  return Array.from({ length: weeks * 168 }, (_, t) => {
    const day = 200 + 120 * Math.sin((2 * Math.PI * t) / 24);
    const week = (Math.floor(t / 24) % 7) >= 5 ? -80 : 0;
    return Math.max(0, day + week + 0.1 * t + 60 * (r() - 0.5));
  });
}

const seed = Number(opt('seed', '1'));
console.log('series              origins  HW MAE  HW sMAPE  naive MAE  naive sMAPE');
for (const weeks of [4, 8]) {
  const b = backtest(series(weeks, seed), 24, 24);
  console.log(`synthetic ${weeks} weeks     ${String(b.origins).padStart(4)}  ${b.holtWinters.mae.toFixed(1).padStart(7)}  ${(100 * b.holtWinters.smape).toFixed(1).padStart(7)} %  ${b.seasonalNaive.mae.toFixed(1).padStart(8)}  ${(100 * b.seasonalNaive.smape).toFixed(1).padStart(9)} %`);
}
