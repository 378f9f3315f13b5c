/**
 * @module examples/nightly-forecast/lib/report
 * Turning forecasts into alerts, an urgency ranking and the Markdown nightly report.
 * Pure functions: no I/O, no clock (the generation time is an argument).
 */
import type { ChangeBasis, ForecastResult } from './forecast.js';

/**
 * Why a series is flagged: its forecast moves too much, its model fits too poorly, or its
 * model's backtest error is no better than the naive forecast's (so a planner should use the
 * naive forecast, or distrust the model, for that series).
 */
export type AlertReason = 'move' | 'poor-fit' | 'loses-to-naive';

/** One flagged series. */
export type Alert = {
  series: string;
  reasons: AlertReason[];
  changePct: number;
  mape: number;
  /** How far past the limits it is: max(|change| / threshold, mape / maxMape, mape / naive MAPE); > 1 means flagged (a tie with naive counts as losing: severity 1). */
  severity: number;
  message: string;
};

/** Direction of a forecast: beyond ±`flatPct` percent is up or down. */
export type Direction = 'up' | 'down' | 'flat';

/** One row of the per-series summary the `alerts` step passes on. */
export type SeriesSummary = Pick<ForecastResult, 'series' | 'label' | 'unit' | 'method' | 'mape' | 'baselineMape' | 'baseline' | 'lastMonth' | 'lastValue' | 'changeFrom'> & {
  forecastMonth: string;
  forecastValue: number;
  changePct: number;
  direction: Direction;
  /** True when the model's backtest MAPE is not below the naive forecast's. */
  losesToNaive: boolean;
};

/** Output of the `alerts` step. */
export type AlertsOutput = {
  /** Limits used: `threshold` on |change| and `maxMape` on MAPE, both fractions (0.1 = 10%). */
  threshold: number;
  maxMape: number;
  count: number;
  hasAlerts: boolean;
  alerts: Alert[];
  series: SeriesSummary[];
  /** `series,direction,changePct,mape` lines with a header, for shell steps that read it via env. */
  csv: string;
};

/** Limits for {@link evaluateAlerts}; fractions, 0.1 = 10%. */
export type AlertLimits = { threshold: number; maxMape: number; flatPct?: number };

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** True when `v` has the shape of a {@link ForecastResult} (used to pick forecasts out of upstream outputs). */
export function isForecastResult(v: unknown): v is ForecastResult {
  const r = v as Partial<ForecastResult> | null;
  return typeof r === 'object' && r !== null && typeof r.series === 'string' &&
    typeof r.mape === 'number' && typeof r.changePct === 'number' && Array.isArray(r.forecast);
}

/** Classifies a change in percent as up, down or flat (within ±`flatPct` percent). */
export function direction(changePct: number, flatPct = 1): Direction {
  return changePct > flatPct ? 'up' : changePct < -flatPct ? 'down' : 'flat';
}

/** "2015-06, a year earlier" or "2015-12, last actual": what a change is measured from. */
export function basisText(b: ChangeBasis): string {
  return b.kind === 'year-over-year' ? `${b.month}, a year earlier${b.forecast ? ', itself forecast' : ''}` : `${b.month}, last actual`;
}

/** True when a model's backtest MAPE does not beat the naive forecast's on the same holdout. */
export function losesToNaive(r: Pick<ForecastResult, 'mape' | 'baselineMape'>): boolean {
  return r.mape >= r.baselineMape;
}

/**
 * Flags every forecast whose |changePct| exceeds `threshold` (as a fraction), whose MAPE
 * exceeds `maxMape` (as a fraction), or whose MAPE is not below the naive forecast's, and
 * summarizes all series, sorted by name.
 */
export function evaluateAlerts(results: readonly ForecastResult[], limits: AlertLimits): AlertsOutput {
  const { threshold, maxMape } = limits;
  if (!(threshold > 0) || !(maxMape > 0)) throw new Error(`threshold and maxMape must be > 0, got ${threshold}, ${maxMape}`);
  const sorted = [...results].sort((a, b) => a.series.localeCompare(b.series));
  const alerts: Alert[] = [];
  const series: SeriesSummary[] = sorted.map((r) => {
    const move = Math.abs(r.changePct) / 100 / threshold;
    const fit = r.mape / 100 / maxMape;
    const loses = losesToNaive(r);
    const vsNaive = r.baselineMape > 0 ? r.mape / r.baselineMape : 1;
    const reasons: AlertReason[] = [];
    if (move > 1) reasons.push('move');
    if (fit > 1) reasons.push('poor-fit');
    if (loses) reasons.push('loses-to-naive');
    if (reasons.length > 0) {
      const parts = [];
      if (move > 1) parts.push(`forecast moves ${r.changePct > 0 ? '+' : ''}${r.changePct}% vs ${basisText(r.changeFrom)} (limit ±${round(threshold * 100, 2)}%)`);
      if (fit > 1) parts.push(`MAPE ${r.mape}% (limit ${round(maxMape * 100, 2)}%)`);
      if (loses) parts.push(`model loses to the ${r.baseline} forecast: MAPE ${r.mape}% vs ${r.baselineMape}% on the last ${r.holdout} months, prefer the ${r.baseline} forecast`);
      const severity = Math.max(move, fit, loses ? vsNaive : 0);
      alerts.push({ series: r.series, reasons, changePct: r.changePct, mape: r.mape, severity: round(severity, 3), message: parts.join('; ') });
    }
    return {
      series: r.series, label: r.label, unit: r.unit, method: r.method, mape: r.mape, baselineMape: r.baselineMape, baseline: r.baseline,
      lastMonth: r.lastMonth, lastValue: round(r.lastValue, 4), changeFrom: r.changeFrom,
      forecastMonth: r.forecastMonths[r.forecastMonths.length - 1] ?? '', forecastValue: r.forecast[r.forecast.length - 1] ?? NaN,
      changePct: r.changePct, direction: direction(r.changePct, limits.flatPct), losesToNaive: loses,
    };
  });
  const csv = ['series,direction,changePct,mape', ...series.map((s) => `${s.series},${s.direction},${s.changePct},${s.mape}`)].join('\n');
  return { threshold, maxMape, count: alerts.length, hasAlerts: alerts.length > 0, alerts, series, csv };
}

/** The `n` most severe alerts, most severe first (ties by series name). */
export function rankUrgent(alerts: readonly Alert[], n: number): Alert[] {
  return [...alerts].sort((a, b) => b.severity - a.severity || a.series.localeCompare(b.series)).slice(0, Math.max(0, n));
}

/** KPIs as computed by the `kpi-report` shell step (the report only displays them). */
export type Kpis = Record<string, string | number | boolean | null>;

/** Everything {@link renderReport} puts in the nightly report. */
export type ReportInput = {
  runId: string;
  workflow: string;
  generatedAt: Date;
  params: Record<string, unknown>;
  forecasts: readonly ForecastResult[];
  alerts: AlertsOutput;
  urgent: readonly Alert[];
  kpis: Kpis;
  trends: { up: number; down: number; flat: number; path: string };
};

/** Escapes a Markdown table cell. */
const cell = (s: string): string => s.replace(/\|/g, '\\|');
const fmt = (x: number): string => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toFixed(2));
const signed = (x: number): string => `${x > 0 ? '+' : ''}${x.toFixed(2)}%`;

/** Renders the nightly report as Markdown: KPIs, alerts, urgent list, a summary table and one forecast table per series. */
export function renderReport(r: ReportInput): string {
  const lines: string[] = [];
  lines.push(`# Nightly forecast report`, '');
  lines.push(`Run \`${r.runId}\` of workflow \`${r.workflow}\`, generated ${r.generatedAt.toISOString()}.`, '');
  lines.push(`Params: ${Object.entries(r.params).map(([k, v]) => `\`${k}=${JSON.stringify(v)}\``).join(', ')}`, '');

  lines.push('## KPIs', '', '| KPI | value |', '| --- | --- |');
  for (const [k, v] of Object.entries(r.kpis)) lines.push(`| ${cell(k)} | ${cell(v === null ? '—' : String(v))} |`);
  lines.push('', `Trends: ${r.trends.up} up, ${r.trends.down} down, ${r.trends.flat} flat (details: \`${r.trends.path}\`).`, '');

  lines.push(`## Alerts (${r.alerts.count})`, '');
  if (r.alerts.count === 0) lines.push('None: every forecast is within the limits.');
  for (const a of r.alerts.alerts) lines.push(`- **${a.series}** (${a.reasons.join(', ')}): ${a.message}`);
  lines.push('');
  if (r.urgent.length > 0) {
    lines.push('### Most urgent', '');
    r.urgent.forEach((a, i) => lines.push(`${i + 1}. **${a.series}**, severity ${a.severity}`));
    lines.push('');
  }

  const losing = r.alerts.series.filter((s) => s.losesToNaive);
  lines.push('## Series', '');
  lines.push(losing.length === 0
    ? `Every model beats its naive baseline on the backtest.`
    : `**${losing.length} of ${r.alerts.series.length} models lose to their naive baseline** on the backtest (${losing.map((s) => s.series).join(', ')}): for those, plan with the naive forecast.`, '');
  lines.push('Change compares the last forecast month with the same month a year earlier for seasonal series, with the last actual otherwise.', '');
  lines.push('| series | method | MAPE | naive MAPE | vs naive | last | forecast | change | change from |', '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- |');
  for (const s of r.alerts.series) {
    const flag = r.alerts.alerts.some((a) => a.series === s.series) ? ' ⚠' : '';
    const verdict = s.losesToNaive ? '**loses**' : 'beats';
    lines.push(`| ${s.series}${flag} | ${s.method} | ${s.mape.toFixed(1)}% | ${s.baselineMape.toFixed(1)}% | ${verdict} | ${fmt(s.lastValue)} (${s.lastMonth}) | ${fmt(s.forecastValue)} (${s.forecastMonth}) | ${signed(s.changePct)} | ${fmt(s.changeFrom.value)} (${basisText(s.changeFrom)}) |`);
  }
  lines.push('');

  for (const f of [...r.forecasts].sort((a, b) => a.series.localeCompare(b.series))) {
    lines.push(`### ${f.series}: ${f.label} (${f.unit})`, '');
    const verdict = losesToNaive(f) ? `**loses to** the ${f.baseline} forecast (${f.baselineMape.toFixed(1)}%)` : `beats the ${f.baseline} forecast (${f.baselineMape.toFixed(1)}%)`;
    lines.push(`${f.method}, backtest MAPE ${f.mape.toFixed(1)}% on the last ${f.holdout} points: ${verdict}.`, '');
    const last = f.forecastMonths[f.forecastMonths.length - 1];
    lines.push(`${last}: ${fmt(f.forecast[f.forecast.length - 1]!)}, ${signed(f.changePct)} vs ${fmt(f.changeFrom.value)} (${basisText(f.changeFrom)}).`, '');
    lines.push('| month | value |', '| --- | ---: |', `| ${f.lastMonth} (last actual) | ${fmt(f.lastValue)} |`);
    f.forecast.forEach((v, i) => lines.push(`| ${f.forecastMonths[i]} | ${fmt(v)} |`));
    lines.push('');
  }
  return lines.join('\n');
}
