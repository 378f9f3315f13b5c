/**
 * @module observe/forecast/report
 * The load forecast of a baton installation (or of one workflow): reads the last eight weeks
 * of hourly load from the store, forecasts the next hours of its two series — runs queued
 * per hour and step-seconds per hour — and says which model each used and how it did in its
 * backtest against the naive seasonal forecast. What `baton forecast` prints and
 * `GET /api/v1/forecast` returns.
 */
import type { HistoryStore, HourlyLoad } from '../../store/index.js';
import { MAX_LOAD_HOURS } from '../../store/index.js';
import { forecastLoad } from './load.js';
import type { LoadBacktest, LoadModel, NaiveKind } from './load.js';

const HOUR = 3_600_000;

/** Hours of history a report hands back for drawing (the forecast reads up to eight weeks). */
export const SHOWN_HISTORY_HOURS = 48;
/** Hours forecast by default. */
export const DEFAULT_FORECAST_HOURS = 24;
/** Most hours forecast: a week (beyond it the weekly season only repeats). */
export const MAX_FORECAST_HOURS = 168;
/** Backtest origins evaluated per series: the latest 14 days (each origin is a fit). */
export const BACKTEST_ORIGINS = 14;

/** What to forecast. */
export interface LoadReportQuery {
  /** Now, ms since the epoch: the forecast starts at the current UTC hour. */
  now: number;
  /** Hours to forecast, 1..{@link MAX_FORECAST_HOURS}. @default 24 */
  hours?: number;
  /** Only this workflow's runs and attempts. */
  workflow?: string;
}

/** How one series was forecast. */
export interface SeriesForecast {
  /** The model used; null when the history is too short (under two days). */
  model: LoadModel | null;
  /** The naive forecast the backtest compares with; null when too short. */
  naive: NaiveKind | null;
  /** The backtest; absent when too short or without a full horizon after the first origin. */
  backtest?: LoadBacktest;
}

/** One forecast hour. */
export interface ForecastPoint {
  /** The hour's start, ms since the epoch. */
  start: number;
  /** Runs expected to become queued in the hour. */
  queuedRuns: number;
  /** Attempt seconds expected within the hour (s). */
  stepSeconds: number;
}

/** A load forecast (see the module comment). */
export interface LoadReport {
  /** The workflow asked for, if any. */
  workflow?: string;
  /** Hours of history the models read: from the first hour with any load to the last complete hour. */
  historyHours: number;
  /** The last {@link SHOWN_HISTORY_HOURS} complete hours, oldest first. */
  history: HourlyLoad[];
  /** The forecast hours from the current one on; empty when the history is too short. */
  forecast: ForecastPoint[];
  /** How runs queued per hour were forecast. */
  queuedRuns: SeriesForecast;
  /** How step-seconds per hour were forecast. */
  stepSeconds: SeriesForecast;
  /** Set when there is no forecast: why, in a sentence. */
  tooShort?: string;
}

/**
 * Forecasts the load (see the module comment). The history starts at the first hour with any
 * queued run or attempt second in the eight weeks before the current hour — hours before
 * baton was used are not quiet hours — and the current, incomplete hour is not read.
 * @throws RangeError for hours outside 1..168; the store's error when the read fails
 */
export async function loadReport(history: HistoryStore, q: LoadReportQuery): Promise<LoadReport> {
  const hours = q.hours ?? DEFAULT_FORECAST_HOURS;
  if (!Number.isInteger(hours) || hours < 1 || hours > MAX_FORECAST_HOURS) throw new RangeError(`forecast hours must be 1..${MAX_FORECAST_HOURS}`);
  const until = Math.floor(q.now / HOUR) * HOUR;
  const all = await history.hourlyLoad({ since: until - MAX_LOAD_HOURS * HOUR, until, ...(q.workflow !== undefined ? { workflow: q.workflow } : {}) });
  const firstUsed = all.findIndex((h) => h.queuedRuns > 0 || h.stepSeconds > 0);
  const used = firstUsed < 0 ? [] : all.slice(firstUsed);
  const base = {
    ...(q.workflow !== undefined ? { workflow: q.workflow } : {}),
    historyHours: used.length,
    history: all.slice(-SHOWN_HISTORY_HOURS),
  };
  const queued = forecastLoad(used.map((h) => h.queuedRuns), hours, BACKTEST_ORIGINS);
  // Each series is some fifteen fits: let timers and I/O (lease renewals) run between the two.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const seconds = forecastLoad(used.map((h) => h.stepSeconds), hours, BACKTEST_ORIGINS);
  if (!queued || !seconds) {
    const none: SeriesForecast = { model: null, naive: null };
    return {
      ...base, forecast: [], queuedRuns: none, stepSeconds: none,
      tooShort: `${used.length} hour${used.length === 1 ? '' : 's'} of history; a forecast needs at least 48 hours, two weeks for the weekly cycle`,
    };
  }
  const series = (f: NonNullable<typeof queued>): SeriesForecast => ({ model: f.model, naive: f.naive, ...(f.backtest ? { backtest: f.backtest } : {}) });
  return {
    ...base,
    forecast: queued.forecast.map((v, i) => ({ start: until + i * HOUR, queuedRuns: round(v), stepSeconds: round(seconds.forecast[i]!) })),
    queuedRuns: series(queued),
    stepSeconds: series(seconds),
  };
}

/** Two decimals: more would claim a precision the model does not have. */
const round = (v: number): number => Math.round(v * 100) / 100;
