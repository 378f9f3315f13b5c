/**
 * @module examples/nightly-forecast/steps
 * The TypeScript handlers of the nightly-forecast workflow (`uses: ./steps.ts#<export>`).
 * Each is a thin shell around the pure functions in `lib/`: it reads params, inputs and
 * upstream outputs from the {@link StepContext}, writes files under the run's folder, and
 * returns a small JSON output.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JsonObject, JsonValue, StepContext } from '../../src/workflow/model.js';
import { readDataset, readSeriesFile, validateSeries, vegaDataDir, writeJsonAtomic } from './lib/data.js';
import { forecastSeries, type ForecastResult } from './lib/forecast.js';
import { evaluateAlerts, isForecastResult, rankUrgent, renderReport, type Alert, type AlertsOutput, type Kpis } from './lib/report.js';

/** The workflow file's folder: relative `outDir`/`dataDir` params resolve against it, like a shell step's cwd. */
const WORKFLOW_DIR = dirname(fileURLToPath(import.meta.url));

/** Reads a numeric param; accepts a number or a numeric string (CLI `--param k=v`). */
function numberParam(params: JsonObject, name: string, fallback: number): number {
  const v = params[name];
  if (v === undefined || v === null || v === '') return fallback;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new Error(`param ${name}: ${JSON.stringify(v)} is not a number`);
  return n;
}

/** Reads a string param, or `fallback` when absent or empty. */
function stringParam(params: JsonObject, name: string, fallback: string): string {
  const v = params[name];
  return typeof v === 'string' && v !== '' ? v : fallback;
}

/** The output of upstream step `id`, or a clear error if it has none. */
function outputOf<T>(ctx: StepContext<JsonValue>, id: string): T {
  const v = ctx.outputs[id];
  if (v === undefined || v === null) throw new Error(`step "${ctx.step.id}" needs the output of "${id}", which has none`);
  return v as T;
}

/** `<workflow dir>/<outDir>/<run id>`: one folder per run, so runs never collide. */
function runDirFor(ctx: StepContext<JsonValue>): string {
  const outDir = stringParam(ctx.params, 'outDir', 'out');
  return resolve(WORKFLOW_DIR, outDir, ctx.run.id.replace(/[^A-Za-z0-9_.-]/g, '_'));
}

/** One entry of the `list` manifest. */
export type SeriesEntry = { label: string; unit: string; season: number; points: number; first: string; last: string; path: string };

/**
 * Output of `list`: where the run writes, the data set, the series names in data set order
 * (the items of the mapped `forecast` step) and one entry per series by name.
 */
export type ListManifest = { runDir: string; dataDir: string; dataset: string; series: string[]; entries: Record<string, SeriesEntry> };

/**
 * Step `list`: reads data set `params.dataset` (see `DATASETS` in lib/data.ts), validates
 * every series (parse, consecutive months, positive values, at least `with.minPoints` points,
 * and enough for `params.holdout` + 24), and writes one normalized JSON file per series to
 * `<outDir>/<run id>/series/<name>.json`. Returns the manifest; `series` feeds the map.
 */
export function list(ctx: StepContext<JsonObject & { minPoints: number }>): ListManifest {
  const dataDir = resolve(WORKFLOW_DIR, stringParam(ctx.params, 'dataDir', '') || vegaDataDir());
  const dataset = stringParam(ctx.params, 'dataset', 'stocks-weather');
  const holdout = numberParam(ctx.params, 'holdout', 12);
  const minPoints = Math.max(Number(ctx.inputs.minPoints ?? 36), holdout + 24);
  const runDir = runDirFor(ctx);
  const all = readDataset(dataset, dataDir);
  const problems = all.flatMap((s) => validateSeries(s, minPoints).map((p) => `${s.name}: ${p}`));
  if (problems.length > 0) throw new Error(`invalid input data:\n${problems.join('\n')}`);

  const manifest: ListManifest = { runDir, dataDir, dataset, series: [], entries: {} };
  for (const s of all) {
    const path = join(runDir, 'series', `${s.name}.json`);
    writeJsonAtomic(path, s, ctx.attemptId);
    manifest.series.push(s.name);
    manifest.entries[s.name] = {
      label: s.label, unit: s.unit, season: s.season, points: s.values.length,
      first: s.months[0]!, last: s.months[s.months.length - 1]!, path,
    };
    ctx.log.info(`${s.name}: ${s.values.length} points ${s.months[0]}..${s.months[s.months.length - 1]}`);
  }
  ctx.log.info(`${dataset}: ${all.length} series`);
  return manifest;
}

/**
 * `with` of the mapped `forecast` step: the item (a series name) and its index. With
 * `failAttempts` = n, attempts 1..n of the first item (index 0) throw, to show retries.
 */
export type ForecastInputs = JsonObject & { series: string; index?: number; failAttempts?: number };

/**
 * Items of step `forecast`: backtests the candidate models on the last `params.holdout`
 * points of series `with.series` (its file comes from the `list` manifest), picks the lowest
 * MAPE, and forecasts `params.horizon` points. Returns the {@link ForecastResult}.
 */
export async function forecast(ctx: StepContext<ForecastInputs>): Promise<ForecastResult> {
  const { series } = ctx.inputs;
  const entry = outputOf<ListManifest>(ctx, 'list').entries[series];
  if (!entry) throw new Error(`with.series: "${series}" is not a series of the list step`);
  const failAttempts = Number(ctx.inputs.failAttempts ?? 0) || 0;
  if (Number(ctx.inputs.index ?? 0) === 0 && ctx.attempt <= failAttempts) {
    throw new Error(`simulated failure of attempt ${ctx.attempt} (params.simulateFailures=${failAttempts})`);
  }
  const data = readSeriesFile(entry.path);
  if (data.name !== series) throw new Error(`${entry.path} holds series "${data.name}", expected "${series}"`);
  const result = await forecastSeries(data, {
    holdout: numberParam(ctx.params, 'holdout', 12),
    horizon: numberParam(ctx.params, 'horizon', 6),
    signal: ctx.signal,
  });
  if (Object.keys(result.nativeWarnings).length > 0) ctx.log.debug('arima (C library) warnings', result.nativeWarnings);
  ctx.log.info(`${series}: ${result.method} MAPE ${result.mape}% (${result.baseline} ${result.baselineMape}%), change ${result.changePct}% vs ${result.changeFrom.month} in ${result.elapsedMs} ms`);
  return result;
}

/** The outputs of the mapped `forecast` step's items, in item order; throws when there are none. */
function forecastsOf(ctx: StepContext<JsonValue>): ForecastResult[] {
  const all = outputOf<JsonValue[]>(ctx, 'forecast');
  const results = Array.isArray(all) ? all.filter(isForecastResult) : [];
  if (results.length === 0) throw new Error('no forecast outputs upstream');
  return results;
}

/**
 * Step `alerts`: takes the mapped `forecast` step's output (one result per series), flags series whose forecast moves
 * more than `params.threshold` or whose MAPE exceeds `params.maxMape` (both fractions), and
 * writes `alerts.json` in the run folder. Returns the {@link AlertsOutput}.
 */
export function alerts(ctx: StepContext<never>): AlertsOutput {
  const results = forecastsOf(ctx);
  const out = evaluateAlerts(results, {
    threshold: numberParam(ctx.params, 'threshold', 0.1),
    maxMape: numberParam(ctx.params, 'maxMape', 0.3),
  });
  writeJsonAtomic(join(outputOf<ListManifest>(ctx, 'list').runDir, 'alerts.json'), out, ctx.attemptId);
  for (const a of out.alerts) ctx.log.warn(`${a.series}: ${a.message}`);
  return out;
}

/** Output of `top-urgent`. */
export type TopUrgentOutput = { path: string; items: Alert[] };

/**
 * Step `top-urgent`: the `params.topN` most severe alerts, written to `top-urgent.json`.
 */
export function topUrgent(ctx: StepContext<never>): TopUrgentOutput {
  const items = rankUrgent(outputOf<AlertsOutput>(ctx, 'alerts').alerts, numberParam(ctx.params, 'topN', 3));
  const path = join(outputOf<ListManifest>(ctx, 'list').runDir, 'top-urgent.json');
  writeJsonAtomic(path, items, ctx.attemptId);
  return { path, items };
}

/** Output of `consolidate`. */
export type ConsolidateOutput = { path: string; bytes: number; alerts: number };

/**
 * Step `consolidate`: renders `nightly-report.md` in the run folder from the outputs of
 * every upstream step (forecasts, alerts, kpi-report, trend-report, top-urgent) and
 * returns its path.
 */
export function consolidate(ctx: StepContext<never>): ConsolidateOutput {
  const manifest = outputOf<ListManifest>(ctx, 'list');
  const alertsOut = outputOf<AlertsOutput>(ctx, 'alerts');
  const kpi = outputOf<{ path: string; kpis: Kpis }>(ctx, 'kpi-report');
  const trend = outputOf<{ path: string; up: number; down: number; flat: number }>(ctx, 'trend-report');
  const urgent = outputOf<TopUrgentOutput>(ctx, 'top-urgent');
  const params: Record<string, JsonValue> = {};
  for (const k of ['dataset', 'horizon', 'holdout', 'threshold', 'maxMape', 'topN']) if (k in ctx.params) params[k] = ctx.params[k]!;
  const markdown = renderReport({
    runId: ctx.run.id,
    workflow: ctx.run.workflow,
    generatedAt: new Date(),
    params,
    forecasts: forecastsOf(ctx),
    alerts: alertsOut,
    urgent: urgent.items,
    kpis: kpi.kpis,
    trends: { ...trend, path: relative(manifest.runDir, trend.path) || trend.path },
  });
  const path = join(manifest.runDir, 'nightly-report.md');
  mkdirSync(manifest.runDir, { recursive: true });
  writeFileSync(path, markdown);
  // Last line of this step's log, so `baton logs <run> consolidate` ends with where to look.
  ctx.log.info(`report written to ${path}`);
  return { path, bytes: Buffer.byteLength(markdown), alerts: alertsOut.count };
}
