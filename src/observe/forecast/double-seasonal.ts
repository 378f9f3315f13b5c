/**
 * @module observe/forecast/double-seasonal
 * Taylor's double seasonal Holt–Winters over an hourly series, pure: no clock, no I/O, no
 * randomness. Load has a daily cycle (s1 = 24 hours) inside a weekly one (s2 = 168: Monday
 * is not Sunday), which one daily season cannot model. Level ℓ, trend T, daily indices D,
 * weekly indices W, and an AR(1) adjustment φ of the one-step error:
 *
 *   ℓt = α(yt − D(t−s1) − W(t−s2)) + (1−α)(ℓ(t−1) + T(t−1))
 *   Tt = γ(ℓt − ℓ(t−1)) + (1−γ)T(t−1)
 *   Dt = δ(yt − ℓt − W(t−s2)) + (1−δ)D(t−s1)
 *   Wt = ω(yt − ℓt − D(t−s1)) + (1−ω)W(t−s2)
 *   ŷt(k) = ℓt + k·Tt + D(t−s1+k) + W(t−s2+k) + φᵏ·(yt − ŷ(t−1)(1))
 *
 * α, γ, δ, ω, φ are chosen by coordinate descent over {@link DS_GRID} minimising the
 * one-step-ahead SSE (each parameter in turn set to its best grid value, others fixed, until
 * a round changes nothing). Forecasts are clamped at ≥ 0. The initial state comes from the
 * first two weeks (level and trend from the two weekly means, D from the 14 days' detrended
 * hours, W from what D leaves), so fewer than {@link MIN_DOUBLE_POINTS} points give no fit.
 *
 * @see Taylor, J. W. (2003). Short-term electricity demand forecasting using double seasonal
 *   exponential smoothing. Journal of the Operational Research Society 54(8), 799–805 — the
 *   recursions above are its equations (4)–(8), with the AR(1) residual adjustment of §3.
 */

/** Hours in a day: the short season s1. */
export const DAY = 24;
/** Hours in a week: the long season s2. */
export const WEEK = 168;
/** Points needed for a double seasonal fit: two full weeks (the initial weekly indices average two). */
export const MIN_DOUBLE_POINTS = 2 * WEEK;

/** Smoothing parameters, each in [0, 1]. */
export interface DoubleSeasonalParams {
  /** Level smoothing α. */
  alpha: number;
  /** Trend smoothing γ. */
  gamma: number;
  /** Daily index smoothing δ. */
  delta: number;
  /** Weekly index smoothing ω. */
  omega: number;
  /** AR(1) coefficient φ of the one-step error. */
  phi: number;
}

/** A fitted model and its forecast, in the series' unit. */
export interface DoubleSeasonalFit {
  /** The parameters of least one-step-ahead SSE found. */
  params: DoubleSeasonalParams;
  /** One-step-ahead SSE over the whole series. */
  sse: number;
  /** The next `horizon` points, each ≥ 0. */
  forecast: number[];
}

/** Values each parameter may take: fine near 0, where load series' parameters mostly sit. */
export const DS_GRID: readonly number[] = [0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 0.9];

/** Rounds of coordinate descent at most (each tries every grid value of every parameter). */
const MAX_ROUNDS = 6;

interface State { sse: number; level: number; trend: number; d: Float64Array; w: Float64Array; lastResidual: number }

interface Init { level: number; trend: number; d: Float64Array; w: Float64Array }

/** The state before the first point, from the first two weeks (see the module comment). */
function initial(y: readonly number[]): Init {
  let mean1 = 0;
  let mean2 = 0;
  for (let i = 0; i < WEEK; i++) {
    mean1 += y[i]! / WEEK;
    mean2 += y[i + WEEK]! / WEEK;
  }
  const trend = (mean2 - mean1) / WEEK;
  // Level "at t = −1", so that level + (t+1)·trend passes through the first week's mean at its centre.
  const level = mean1 - trend * ((WEEK + 1) / 2);
  const z = (i: number): number => y[i]! - (level + (i + 1) * trend);
  const d = new Float64Array(DAY);
  for (let i = 0; i < 2 * WEEK; i++) d[i % DAY]! += z(i) / 14;
  const w = new Float64Array(WEEK);
  for (let i = 0; i < 2 * WEEK; i++) w[i % WEEK]! += (z(i) - d[i % DAY]!) / 2;
  return { level, trend, d, w };
}

/** One pass of the recursions over `y` from `init`; the state after the last point. */
function smooth(y: readonly number[], init: Init, p: DoubleSeasonalParams): State {
  let { level, trend } = init;
  const d = Float64Array.from(init.d);
  const w = Float64Array.from(init.w);
  let sse = 0;
  let r = 0;
  for (let t = 0; t < y.length; t++) {
    const di = t % DAY;
    const wi = t % WEEK;
    const dv = d[di]!;
    const wv = w[wi]!;
    const yt = y[t]!;
    // r is the residual of the unadjusted forecast; the adjusted one-step forecast adds φ·r(t−1).
    const raw = yt - (level + trend + dv + wv);
    const e = raw - p.phi * r;
    r = raw;
    sse += e * e;
    const prev = level;
    level = p.alpha * (yt - dv - wv) + (1 - p.alpha) * (level + trend);
    trend = p.gamma * (level - prev) + (1 - p.gamma) * trend;
    d[di] = p.delta * (yt - level - wv) + (1 - p.delta) * dv;
    w[wi] = p.omega * (yt - level - dv) + (1 - p.omega) * wv;
  }
  return { sse, level, trend, d, w, lastResidual: r };
}

const KEYS = ['alpha', 'gamma', 'delta', 'omega', 'phi'] as const;

/** Where coordinate descent starts without a hint. */
export const DS_START: Readonly<DoubleSeasonalParams> = { alpha: 0.1, gamma: 0, delta: 0.1, omega: 0.1, phi: 0.5 };

/**
 * Fits Taylor's double seasonal Holt–Winters (s1 = 24, s2 = 168) to `y` (oldest first, one
 * point per hour) and forecasts `horizon` points. `undefined` with fewer than
 * {@link MIN_DOUBLE_POINTS} points.
 * @param y the series, e.g. step-seconds per UTC hour
 * @param horizon points to forecast (hours)
 * @param start where the descent starts: a fit of the same series a day shorter is a good
 *   start (a backtest passes each origin's parameters to the next), and then one round
 *   often confirms it. Values off the grid are kept until a grid value beats them.
 * @default start {@link DS_START}
 */
export function doubleSeasonal(y: readonly number[], horizon: number, start: Readonly<DoubleSeasonalParams> = DS_START): DoubleSeasonalFit | undefined {
  if (y.length < MIN_DOUBLE_POINTS) return undefined;
  const init = initial(y);
  let p: DoubleSeasonalParams = { ...start };
  let best = smooth(y, init, p);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    let changed = false;
    for (const k of KEYS) {
      for (const v of DS_GRID) {
        if (v === p[k]) continue;
        const q = { ...p, [k]: v };
        const s = smooth(y, init, q);
        if (s.sse < best.sse) {
          best = s;
          p = q;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  const n = y.length;
  const forecast: number[] = [];
  let ar = best.lastResidual;
  for (let k = 1; k <= horizon; k++) {
    ar *= p.phi;
    const t = n - 1 + k;
    // D(t−s1+k) and W(t−s2+k): the index last updated at the same hour of the day / week.
    forecast.push(Math.max(0, best.level + k * best.trend + best.d[t % DAY]! + best.w[t % WEEK]! + ar));
  }
  return { params: p, sse: best.sse, forecast };
}
