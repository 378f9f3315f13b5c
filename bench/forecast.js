#!/usr/bin/env node
// Load forecast accuracy: rolling-origin backtest (24 h horizon, an origin every 24 h) on
// seeded synthetic hourly step-seconds series with a daily and a weekly cycle (weekends
// lower, Mondays busier), a trend and noise, 3, 4 and 8 weeks long. Compares Taylor's double
// seasonal Holt-Winters (s1 = 24, s2 = 168) and the older daily-only Holt-Winters with the
// naive seasonal forecast (the same hour a week before). Prints MAE, sMAPE and MASE of each.
//
// Usage: npm run build && node bench/forecast.js [--seed 1]
import { backtestLoad } from '../dist/observe/forecast/load.js';
import { opt, rng } from './lib.js';

function series(weeks, seed) {
  const r = rng(seed);
  return Array.from({ length: weeks * 168 }, (_, t) => {
    const hour = t % 24;
    const dow = Math.floor(t / 24) % 7;
    const day = 200 + 120 * Math.sin((2 * Math.PI * (hour - 6)) / 24);
    const week = dow >= 5 ? -0.6 * (day - 120) : dow === 0 ? 40 : 0;
    return Math.max(0, day + week + 0.1 * t + 60 * (r() - 0.5));
  });
}

const seed = Number(opt('seed', '1'));
const cell = (e) => `${e.mae.toFixed(1).padStart(7)} ${(100 * e.smape).toFixed(1).padStart(5)} % ${e.mase === null ? '    -' : e.mase.toFixed(3).padStart(6)}`;
console.log(`seed ${seed}; each cell: MAE (step-s/h), sMAPE, MASE (scale: same hour last week)`);
console.log('series     model            origins   model MAE sMAPE   MASE    naive MAE sMAPE   MASE');
for (const weeks of [3, 4, 8]) {
  const y = series(weeks, seed);
  for (const model of ['double-seasonal', 'daily']) {
    const b = backtestLoad(model, 'week', y, 24);
    console.log(`${String(weeks).padStart(2)} weeks   ${model.padEnd(16)} ${String(b.origins).padStart(5)}   ${cell(b.model)}    ${cell(b.naive)}`);
  }
}
