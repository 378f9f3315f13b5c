/**
 * @module examples/nightly-forecast/lib/forecast
 * Model selection by backtest, then forecasting, with the `arima` package (a WASM build of
 * the ctsa C library: ARIMA, SARIMA and AutoARIMA).
 *
 * For one series: every candidate model is fitted on all points but the last `holdout`,
 * asked for `holdout` points, and scored by MAPE against what really happened. The best
 * candidate is refitted on the whole series and forecasts `horizon` points ahead.
 */
import { captureNative, loadArima, type ArimaClass } from './arima.js';
import type { Series } from './data.js';
import { addMonths } from './data.js';

/** Options of `new ARIMA(options)`, as the `arima` package reads them. */
export type ArimaOptions = ConstructorParameters<ArimaClass>[0];

/** A model to try: a display name and the `arima` options that make it. */
export type Candidate = { name: string; options: NonNullable<ArimaOptions> };

/** How one candidate did on the backtest. `mape` is null when it could not be fitted. */
export type CandidateScore = { name: string; mape: number | null; error?: string };

/** A finished forecast for one series: the forecast steps' output. */
export type ForecastResult = {
  series: string;
  label: string;
  unit: string;
  /** Name of the winning candidate, e.g. `SARIMA(1,0,0)(0,1,1)[12]`. */
  method: string;
  /** Mean absolute percentage error of `method` on the holdout, in percent. */
  mape: number;
  /** MAPE of the naive forecast (last value, or same month last year if seasonal), in percent. */
  baselineMape: number;
  /** Which naive forecast `baselineMape` scores: the same month a season earlier, or the last value. */
  baseline: 'seasonal-naive' | 'naive';
  /** Seasonal period of the series (12 for monthly data with a yearly cycle), 0 for none. */
  season: number;
  /** Points used for training in the backtest and points held out. */
  trainPoints: number;
  holdout: number;
  lastMonth: string;
  lastValue: number;
  /** Forecast values, one per month after `lastMonth`. */
  forecast: number[];
  forecastMonths: string[];
  /**
   * Change of the last forecast value from `changeFrom`, in percent: for a seasonal series
   * with a season of history, from the same month a year (season) earlier, since against the
   * last month it would measure the season (winter to summer); else from the last actual.
   */
  changePct: number;
  /** What `changePct` compares with: the month, its value, and whether it is an actual or itself a forecast. */
  changeFrom: ChangeBasis;
  candidates: CandidateScore[];
  /** Distinct warnings the C library printed while fitting, with counts (best effort, see `captureNative`). */
  nativeWarnings: Record<string, number>;
  /** Wall time of fitting and scoring, ms. */
  elapsedMs: number;
};

/** The point a forecast's change is measured from (see {@link changeBasis}). */
export type ChangeBasis = {
  /** `year-over-year`: the same month one season earlier; `last-actual`: the last observation. */
  kind: 'year-over-year' | 'last-actual';
  month: string;
  value: number;
  /** True when `month` is itself forecast (a horizon longer than the season). */
  forecast: boolean;
};

/**
 * The point to measure the change of the last forecast value from. With `season` > 0 and at
 * least a season of points before the last forecast month, that is the same month a season
 * earlier (an actual, or a forecast when `horizon` > `season`); otherwise the last actual.
 */
export function changeBasis(months: readonly string[], values: readonly number[], forecast: readonly number[], season: number): ChangeBasis {
  const n = values.length;
  if (n === 0 || forecast.length === 0) throw new Error('changeBasis: empty series or forecast');
  const target = n + forecast.length - 1;
  const from = target - season;
  if (season > 0 && from >= 0) {
    const isForecast = from >= n;
    return {
      kind: 'year-over-year',
      month: addMonths(months[n - 1]!, from - (n - 1)),
      value: isForecast ? forecast[from - n]! : values[from]!,
      forecast: isForecast,
    };
  }
  return { kind: 'last-actual', month: months[n - 1]!, value: values[n - 1]!, forecast: false };
}

/** Options of {@link forecastSeries}. */
export type ForecastOptions = {
  /** Points held out at the end for the backtest. */
  holdout: number;
  /** Points to forecast after the last observation. */
  horizon: number;
  /** Checked between model fits; a fit itself (synchronous WASM) cannot be interrupted. */
  signal?: AbortSignal;
};

/**
 * Mean absolute percentage error of `predicted` against `actual`, in percent.
 * Throws if the lengths differ, are zero, or an actual value is 0.
 */
export function mape(actual: readonly number[], predicted: readonly number[]): number {
  if (actual.length !== predicted.length || actual.length === 0) {
    throw new Error(`mape: ${actual.length} actual vs ${predicted.length} predicted values`);
  }
  let sum = 0;
  actual.forEach((a, i) => {
    if (a === 0) throw new Error('mape: an actual value is 0');
    sum += Math.abs((a - predicted[i]!) / a);
  });
  return (100 * sum) / actual.length;
}

/**
 * The naive forecast of `h` points: the last value repeated, or with `season` > 0 the value
 * of the same point one season earlier (seasonal naive).
 */
export function naiveForecast(values: readonly number[], h: number, season: number): number[] {
  if (values.length === 0) throw new Error('naiveForecast: empty series');
  if (season > 0 && values.length >= season) {
    return Array.from({ length: h }, (_, i) => values[values.length - season + (i % season)]!);
  }
  return Array<number>(h).fill(values[values.length - 1]!);
}

/** The candidate models for a series with the given seasonal period (0 = not seasonal). */
export function candidateModels(season: number): Candidate[] {
  const list: Candidate[] = [
    { name: 'ARIMA(1,1,1)', options: { p: 1, d: 1, q: 1 } },
    { name: 'ARIMA(0,1,1)', options: { p: 0, d: 1, q: 1 } },
    // Seasonal AutoARIMA searches up to (2,1,2)(1,1,1): unbounded, its stepwise search took
    // up to 13 s per fit on 110 monthly points (the industries data set) for the same MAPEs.
    { name: 'AutoARIMA', options: season > 0 ? { auto: true, s: season, p: 2, d: 1, q: 2, P: 1, D: 1, Q: 1 } : { auto: true, s: season } },
  ];
  if (season > 0) {
    list.push(
      { name: `SARIMA(1,0,0)(0,1,1)[${season}]`, options: { p: 1, d: 0, q: 0, P: 0, D: 1, Q: 1, s: season } },
      { name: `SARIMA(1,0,0)(1,0,0)[${season}]`, options: { p: 1, d: 0, q: 0, P: 1, D: 0, Q: 0, s: season } },
    );
  }
  return list;
}

/**
 * Fits one model on `train` and predicts `h` points. Throws if the package rejects the
 * series (too short for the model) or the prediction is not finite. Frees the WASM model.
 */
export function fitPredict(ARIMA: ArimaClass, candidate: Candidate, train: readonly number[], h: number): number[] {
  const model = new ARIMA({ ...candidate.options, verbose: false });
  try {
    model.train([...train]);
    const [pred] = model.predict(h);
    if (pred.length !== h || !pred.every(Number.isFinite)) throw new Error('prediction is not finite');
    return pred;
  } finally {
    model.destroy();
  }
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/**
 * Backtests every candidate on the last `holdout` points of `series`, refits the best on
 * the whole series, and forecasts `horizon` points. Throws if no candidate can be fitted.
 */
export async function forecastSeries(series: Series, opts: ForecastOptions): Promise<ForecastResult> {
  const started = performance.now();
  const { holdout, horizon } = opts;
  const values = series.values;
  if (!Number.isInteger(holdout) || holdout < 1) throw new Error(`holdout must be a positive integer, got ${holdout}`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`horizon must be a positive integer, got ${horizon}`);
  if (values.length < holdout + 10) {
    throw new Error(`${series.name}: ${values.length} points is too few for a holdout of ${holdout}`);
  }
  const ARIMA = await loadArima();
  const train = values.slice(0, values.length - holdout);
  const actual = values.slice(values.length - holdout);

  const warnings: Record<string, number> = {};
  const native = <T>(fn: () => T): T => {
    const { result, messages } = captureNative(fn);
    for (const [m, n] of Object.entries(messages)) warnings[m] = (warnings[m] ?? 0) + n;
    return result;
  };

  const scores: CandidateScore[] = [];
  let best: { candidate: Candidate; mape: number } | undefined;
  for (const candidate of candidateModels(series.season)) {
    opts.signal?.throwIfAborted();
    try {
      const m = mape(actual, native(() => fitPredict(ARIMA, candidate, train, holdout)));
      scores.push({ name: candidate.name, mape: round(m, 3) });
      if (!best || m < best.mape) best = { candidate, mape: m };
    } catch (err) {
      scores.push({ name: candidate.name, mape: null, error: (err as Error).message });
    }
  }
  if (!best) {
    throw new Error(`${series.name}: no model could be fitted (${scores.map((s) => `${s.name}: ${s.error}`).join('; ')})`);
  }
  opts.signal?.throwIfAborted();
  const forecast = native(() => fitPredict(ARIMA, best.candidate, values, horizon));
  const lastValue = values[values.length - 1]!;
  const lastMonth = series.months[series.months.length - 1]!;
  const from = changeBasis(series.months, values, forecast, series.season);
  return {
    series: series.name,
    label: series.label,
    unit: series.unit,
    method: best.candidate.name,
    mape: round(best.mape, 3),
    baselineMape: round(mape(actual, naiveForecast(train, holdout, series.season)), 3),
    baseline: series.season > 0 && train.length >= series.season ? 'seasonal-naive' : 'naive',
    season: series.season,
    trainPoints: train.length,
    holdout,
    lastMonth,
    lastValue,
    forecast: forecast.map((v) => round(v, 4)),
    forecastMonths: forecast.map((_, i) => addMonths(lastMonth, i + 1)),
    changePct: round((100 * (forecast[forecast.length - 1]! - from.value)) / from.value, 2),
    changeFrom: { ...from, value: round(from.value, 4) },
    candidates: scores,
    nativeWarnings: warnings,
    elapsedMs: Math.round(performance.now() - started),
  };
}
