/**
 * @module examples/nightly-forecast/lib/report
 * Turning forecasts into alerts, an urgency ranking and the Markdown nightly report.
 * Pure functions: no I/O, no clock (the generation time is an argument).
 */
import type { ForecastResult } from './forecast.js';

/** Why a series is flagged: its forecast moves too much, or its model fits too poorly. */
export type AlertReason = 'move' | 'poor-fit';

/** One flagged series. */
export type Alert = {
  series: string;
  reasons: AlertReason[];
  changePct: number;
  mape: number;
  /** How far past the limits it is: max(|change| / threshold, mape / maxMape); > 1 means flagged. */
  severity: number;
  message: string;
};

/** Direction of a forecast: beyond ±`flatPct` percent is up or down. */
export type Direction = 'up' | 'down' | 'flat';

/** One row of the per-series summary the `alerts` step passes on. */
export type SeriesSummary = Pick<ForecastResult, 'series' | 'label' | 'unit' | 'method' | 'mape' | 'baselineMape' | 'lastMonth' | 'lastValue'> & {
  forecastMonth: string;
  forecastValue: number;
  changePct: number;
  direction: Direction;
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

/**
 * Flags every forecast whose |changePct| exceeds `threshold` (as a fraction) or whose MAPE
 * exceeds `maxMape` (as a fraction), and summarizes all series, sorted by name.
 */
export function evaluateAlerts(results: readonly ForecastResult[], limits: AlertLimits): AlertsOutput {
  const { threshold, maxMape } = limits;
  if (!(threshold > 0) || !(maxMape > 0)) throw new Error(`threshold and maxMape must be > 0, got ${threshold}, ${maxMape}`);
  const sorted = [...results].sort((a, b) => a.series.localeCompare(b.series));
  const alerts: Alert[] = [];
  const series: SeriesSummary[] = sorted.map((r) => {
    const move = Math.abs(r.changePct) / 100 / threshold;
    const fit = r.mape / 100 / maxMape;
    const reasons: AlertReason[] = [];
    if (move > 1) reasons.push('move');
    if (fit > 1) reasons.push('poor-fit');
    if (reasons.length > 0) {
      const parts = [];
      if (move > 1) parts.push(`forecast moves ${r.changePct > 0 ? '+' : ''}${r.changePct}% (limit ±${round(threshold * 100, 2)}%)`);
      if (fit > 1) parts.push(`MAPE ${r.mape}% (limit ${round(maxMape * 100, 2)}%)`);
      alerts.push({ series: r.series, reasons, changePct: r.changePct, mape: r.mape, severity: round(Math.max(move, fit), 3), message: parts.join('; ') });
    }
    return {
      series: r.series, label: r.label, unit: r.unit, method: r.method, mape: r.mape, baselineMape: r.baselineMape,
      lastMonth: r.lastMonth, lastValue: round(r.lastValue, 4),
      forecastMonth: r.forecastMonths[r.forecastMonths.length - 1] ?? '', forecastValue: r.forecast[r.forecast.length - 1] ?? NaN,
      changePct: r.changePct, direction: direction(r.changePct, limits.flatPct),
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

  lines.push('## Series', '', '| series | method | MAPE | naive MAPE | last | forecast | change |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const s of r.alerts.series) {
    const flag = r.alerts.alerts.some((a) => a.series === s.series) ? ' ⚠' : '';
    lines.push(`| ${s.series}${flag} | ${s.method} | ${s.mape.toFixed(1)}% | ${s.baselineMape.toFixed(1)}% | ${fmt(s.lastValue)} (${s.lastMonth}) | ${fmt(s.forecastValue)} (${s.forecastMonth}) | ${signed(s.changePct)} |`);
  }
  lines.push('');

  for (const f of [...r.forecasts].sort((a, b) => a.series.localeCompare(b.series))) {
    lines.push(`### ${f.series}: ${f.label} (${f.unit})`, '');
    lines.push(`${f.method}, backtest MAPE ${f.mape.toFixed(1)}% on the last ${f.holdout} points (naive: ${f.baselineMape.toFixed(1)}%).`, '');
    lines.push('| month | value |', '| --- | ---: |', `| ${f.lastMonth} (last actual) | ${fmt(f.lastValue)} |`);
    f.forecast.forEach((v, i) => lines.push(`| ${f.forecastMonths[i]} | ${fmt(v)} |`));
    lines.push('');
  }
  return lines.join('\n');
}
