/**
 * @module observe/forecast/load
 * Which model forecasts an hourly load series, and how well it did on that series' past.
 * With two weeks or more: Taylor's double seasonal Holt–Winters (daily and weekly cycle);
 * with two days to two weeks: additive Holt–Winters with a daily season; under two days:
 * nothing — a forecast made up from less would only look like knowledge. Every forecast
 * comes with a rolling-origin backtest against the naive seasonal forecast (the same hour a
 * week before when a week of data exists, else the same hour a day before), so a reader can
 * see whether the model is worth more than "like last week". Pure: no clock, no I/O.
 */
import { DAY, doubleSeasonal, MIN_DOUBLE_POINTS, WEEK } from './double-seasonal.js';
import type { DoubleSeasonalParams } from './double-seasonal.js';
import { holtWinters } from './holt-winters.js';

/** The model a forecast came from: `double-seasonal` (days and weeks) or `daily` (days only). */
export type LoadModel = 'double-seasonal' | 'daily';

/** The naive forecast it is compared with: the same hour a `week` or a `day` earlier. */
export type NaiveKind = 'week' | 'day';

/** Points a daily-only fit needs: two days. */
export const MIN_DAILY_POINTS = 2 * DAY;

/**
 * Errors of a backtest. `mase` is the mean absolute scaled error: MAE divided by the mean
 * absolute change between each point and the one a naive period (day or week) before, over
 * the whole series — below 1 beats that naive forecast's in-sample error; null when the
 * series never changes (the scale is 0).
 */
export interface ForecastErrors {
  /** Mean absolute error, in the series' unit. */
  mae: number;
  /** Symmetric mean absolute percentage error, as a fraction (0..2; a 0/0 point counts as 0). */
  smape: number;
  /** Mean absolute scaled error (see above). */
  mase: number | null;
}

/** A rolling-origin backtest: from every 24th hour on (once the model has enough data), both forecast the horizon. */
export interface LoadBacktest {
  /** Origins evaluated. */
  origins: number;
  /** Hours forecast from each origin. */
  horizon: number;
  /** The model's errors. */
  model: ForecastErrors;
  /** The naive seasonal forecast's errors over the same points. */
  naive: ForecastErrors;
}

/** A forecast of one series. */
export interface LoadForecast {
  /** The model used (chosen by how much history there is). */
  model: LoadModel;
  /** The next hours, each ≥ 0, in the series' unit. */
  forecast: number[];
  /** The naive forecast the backtest compares with. */
  naive: NaiveKind;
  /** The backtest; absent when the series holds no origin with a full horizon after it. */
  backtest?: LoadBacktest;
}

/** The model for a series of `points` hours, or undefined under two days. */
export function modelFor(points: number): LoadModel | undefined {
  if (points >= MIN_DOUBLE_POINTS) return 'double-seasonal';
  if (points >= MIN_DAILY_POINTS) return 'daily';
  return undefined;
}

/** The naive forecast for a series of `points` hours: a week back once a week exists. */
export function naiveFor(points: number): NaiveKind | undefined {
  if (points >= WEEK) return 'week';
  if (points >= DAY) return 'day';
  return undefined;
}

/**
 * Forecasts `horizon` points of `y` with `model`; undefined when `y` is too short for it.
 * `warm` carries the double seasonal parameters from one call to the next (a backtest's
 * origins, then the final fit), so each descent starts where the last one ended.
 */
export function forecastWith(model: LoadModel, y: readonly number[], horizon: number, warm?: { params?: DoubleSeasonalParams }): number[] | undefined {
  if (model === 'daily') return holtWinters(y, DAY, horizon)?.forecast;
  const fit = doubleSeasonal(y, horizon, warm?.params);
  if (fit && warm) warm.params = fit.params;
  return fit?.forecast;
}

/** The naive seasonal forecast: each hour copied from the same hour a day or a week before. */
export function naiveForecast(kind: NaiveKind, y: readonly number[], horizon: number): number[] | undefined {
  const m = kind === 'week' ? WEEK : DAY;
  if (y.length < m) return undefined;
  return Array.from({ length: horizon }, (_, h) => y[y.length - m + (h % m)]!);
}

/**
 * Forecasts the next `horizon` hours of `y` (oldest first, one point per hour) with the model
 * its length allows, with the backtest of that model. `undefined` under two days of data.
 * @param maxOrigins backtest only the latest this many origins (each is a fit: ~15 ms on
 *   eight weeks)
 * @default maxOrigins unbounded
 */
export function forecastLoad(y: readonly number[], horizon: number, maxOrigins = Infinity): LoadForecast | undefined {
  const model = modelFor(y.length);
  const naive = naiveFor(y.length);
  if (model === undefined || naive === undefined || horizon < 1) return undefined;
  const warm: { params?: DoubleSeasonalParams } = {};
  const bt = backtestLoad(model, naive, y, horizon, DAY, maxOrigins, warm);
  const forecast = forecastWith(model, y, horizon, warm)!;
  return { model, forecast, naive, ...(bt ? { backtest: bt } : {}) };
}

/**
 * Rolling-origin backtest of `model` against the `naive` forecast: from each origin (every
 * `step` hours from the first with enough data for the model, while `horizon` points
 * remain; only the latest `maxOrigins`), both forecast `horizon` points from the past
 * alone, compared with what came. Undefined when no origin fits. `warm` (see
 * {@link forecastWith}) ends holding the last origin's parameters.
 * @default step 24, maxOrigins unbounded
 */
export function backtestLoad(
  model: LoadModel, naive: NaiveKind, y: readonly number[], horizon: number, step = DAY, maxOrigins = Infinity, warm: { params?: DoubleSeasonalParams } = {},
): LoadBacktest | undefined {
  let first = Math.max(model === 'double-seasonal' ? MIN_DOUBLE_POINTS : MIN_DAILY_POINTS, naive === 'week' ? WEEK : DAY);
  const count = y.length - horizon >= first ? Math.floor((y.length - horizon - first) / step) + 1 : 0;
  if (count > maxOrigins) first += (count - maxOrigins) * step;
  const fm: [number, number][] = [];
  const fn: [number, number][] = [];
  let origins = 0;
  for (let o = first; o + horizon <= y.length; o += step) {
    const past = y.slice(0, o);
    const f = forecastWith(model, past, horizon, warm)!;
    const n = naiveForecast(naive, past, horizon)!;
    for (let h = 0; h < horizon; h++) {
      fm.push([f[h]!, y[o + h]!]);
      fn.push([n[h]!, y[o + h]!]);
    }
    origins++;
  }
  if (origins === 0) return undefined;
  const scale = naiveScale(y, naive === 'week' ? WEEK : DAY);
  return { origins, horizon, model: errors(fm, scale), naive: errors(fn, scale) };
}

/** Mean |y(t) − y(t−m)| over the series: the MASE denominator. */
function naiveScale(y: readonly number[], m: number): number {
  let sum = 0;
  for (let t = m; t < y.length; t++) sum += Math.abs(y[t]! - y[t - m]!);
  return y.length > m ? sum / (y.length - m) : 0;
}

function errors(pairs: readonly [number, number][], scale: number): ForecastErrors {
  let abs = 0;
  let sym = 0;
  for (const [f, a] of pairs) {
    abs += Math.abs(f - a);
    const d = Math.abs(f) + Math.abs(a);
    sym += d === 0 ? 0 : (2 * Math.abs(f - a)) / d;
  }
  const mae = abs / pairs.length;
  return { mae, smape: sym / pairs.length, mase: scale > 0 ? mae / scale : null };
}
