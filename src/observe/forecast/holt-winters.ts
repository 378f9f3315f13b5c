/**
 * @module observe/forecast/holt-winters
 * Additive Holt–Winters (triple exponential smoothing) over an hourly series, pure: no
 * clock, no I/O, no randomness. Level ℓ, trend b and one seasonal index per hour of the
 * season (m = 24 for a daily cycle, 168 for a weekly one):
 *
 *   ŷ(t+h|t) = ℓt + h·bt + s(t+h−m(k+1)),   k = ⌊(h−1)/m⌋
 *   ℓt = α(yt − s(t−m)) + (1−α)(ℓ(t−1) + b(t−1))
 *   bt = β(ℓt − ℓ(t−1)) + (1−β)b(t−1)
 *   st = γ(yt − ℓ(t−1) − b(t−1)) + (1−γ)s(t−m)
 *
 * α, β, γ are chosen by a small grid search minimising the one-step-ahead SSE. Forecasts
 * are clamped at ≥ 0 (load cannot be negative). With fewer than two full seasons there is
 * no forecast (`undefined`): the initial seasonal indices need one season and the trend
 * two, and a number made up from less would only look like knowledge.
 *
 * @see Holt, C. C. (1957). Forecasting seasonals and trends by exponentially weighted moving averages.
 * @see Winters, P. R. (1960). Forecasting sales by exponentially weighted moving averages. Management Science 6(3).
 * @see Hyndman & Athanasopoulos, Forecasting: Principles and Practice, §8.3 (Holt–Winters' additive method).
 */

/** Smoothing parameters, each in [0, 1]. */
export interface HoltWintersParams {
  /** Level smoothing α. */
  alpha: number;
  /** Trend smoothing β. */
  beta: number;
  /** Seasonal smoothing γ. */
  gamma: number;
}

/** A fitted model and its forecast. Values are in the series' unit (e.g. step-seconds per hour). */
export interface HoltWintersFit {
  /** Season length, in points (hours). */
  period: number;
  /** The parameters of least one-step-ahead SSE on the grid. */
  params: HoltWintersParams;
  /** One-step-ahead SSE of the fit, over the points after the first season. */
  sse: number;
  /** Standard deviation of the one-step-ahead residuals (for a prediction interval). */
  sigma: number;
  /** The next `horizon` points, each ≥ 0. */
  forecast: number[];
}

/** Grid searched for each of α, β, γ: coarse on purpose, 6³ fits stay well under a millisecond per kilo-point. */
export const PARAM_GRID: readonly number[] = [0.01, 0.05, 0.1, 0.2, 0.4, 0.7];

interface Run { sse: number; n: number; level: number; trend: number; season: number[] }

/** One pass of the recursions; the state after the last point, and the one-step SSE after the first season. */
function smooth(y: readonly number[], m: number, p: HoltWintersParams): Run {
  // Initial state from the first two seasons (FPP §8.3): level the first season's mean,
  // trend the mean per-point change between the two seasons' means, indices the first season's deviations.
  let mean1 = 0;
  let mean2 = 0;
  for (let i = 0; i < m; i++) {
    mean1 += y[i]! / m;
    mean2 += y[i + m]! / m;
  }
  let level = mean1;
  let trend = (mean2 - mean1) / m;
  const season = Array.from({ length: m }, (_, i) => y[i]! - mean1);
  let sse = 0;
  let n = 0;
  for (let t = m; t < y.length; t++) {
    const s = season[t % m]!;
    const e = y[t]! - (level + trend + s);
    sse += e * e;
    n++;
    const prev = level;
    level = p.alpha * (y[t]! - s) + (1 - p.alpha) * (level + trend);
    trend = p.beta * (level - prev) + (1 - p.beta) * trend;
    season[t % m] = p.gamma * (y[t]! - prev - trend) + (1 - p.gamma) * s;
  }
  return { sse, n, level, trend, season };
}

/**
 * Fits additive Holt–Winters with season `period` to `y` (oldest first, evenly spaced) and
 * forecasts `horizon` points. Returns `undefined` with fewer than `2 * period` points.
 * @param y the series, e.g. step-seconds per UTC hour
 * @param period season length in points (24: daily on hourly data)
 * @param horizon points to forecast
 */
export function holtWinters(y: readonly number[], period: number, horizon: number): HoltWintersFit | undefined {
  if (period < 1 || y.length < 2 * period) return undefined;
  let best: { p: HoltWintersParams; r: Run } | undefined;
  for (const alpha of PARAM_GRID) {
    for (const beta of PARAM_GRID) {
      for (const gamma of PARAM_GRID) {
        const p = { alpha, beta, gamma };
        const r = smooth(y, period, p);
        if (!best || r.sse < best.r.sse) best = { p, r };
      }
    }
  }
  const { p, r } = best!;
  const forecast: number[] = [];
  for (let h = 1; h <= horizon; h++) {
    forecast.push(Math.max(0, r.level + h * r.trend + r.season[(y.length + h - 1) % period]!));
  }
  return { period, params: p, sse: r.sse, sigma: r.n > 0 ? Math.sqrt(r.sse / r.n) : 0, forecast };
}

/** The seasonal-naive forecast: each point is the one `period` earlier (the same hour a day or week before). */
export function seasonalNaive(y: readonly number[], period: number, horizon: number): number[] | undefined {
  if (y.length < period) return undefined;
  return Array.from({ length: horizon }, (_, h) => y[y.length - period + (h % period)]!);
}

/** Errors of a backtest: mean absolute error (series' unit) and symmetric MAPE (0..2; 0/0 points count as 0). */
export interface ForecastErrors {
  /** Mean absolute error. */
  mae: number;
  /** Symmetric mean absolute percentage error, as a fraction (0..2). */
  smape: number;
}

/** Backtest errors of Holt–Winters and of seasonal-naive over the same origins. */
export interface Backtest {
  /** Origins evaluated. */
  origins: number;
  /** Holt–Winters' errors. */
  holtWinters: ForecastErrors;
  /** Seasonal-naive's errors. */
  seasonalNaive: ForecastErrors;
}

/**
 * Rolling-origin backtest: from each origin (every `step` points, from `2 * period` on, while
 * `horizon` points remain), both methods forecast `horizon` points, compared with what came.
 * `undefined` when no origin fits.
 */
export function backtest(y: readonly number[], period: number, horizon: number, step = horizon): Backtest | undefined {
  const hw: [number, number][] = [];
  const sn: [number, number][] = [];
  let origins = 0;
  for (let o = 2 * period; o + horizon <= y.length; o += step) {
    const past = y.slice(0, o);
    const fit = holtWinters(past, period, horizon)!;
    const naive = seasonalNaive(past, period, horizon)!;
    for (let h = 0; h < horizon; h++) {
      hw.push([fit.forecast[h]!, y[o + h]!]);
      sn.push([naive[h]!, y[o + h]!]);
    }
    origins++;
  }
  if (origins === 0) return undefined;
  return { origins, holtWinters: errors(hw), seasonalNaive: errors(sn) };
}

function errors(pairs: readonly [number, number][]): ForecastErrors {
  let abs = 0;
  let sym = 0;
  for (const [f, a] of pairs) {
    abs += Math.abs(f - a);
    const d = Math.abs(f) + Math.abs(a);
    sym += d === 0 ? 0 : (2 * Math.abs(f - a)) / d;
  }
  return { mae: abs / pairs.length, smape: sym / pairs.length };
}
