import type { Command } from 'commander';
import type { LoadReport, SeriesForecast } from '../../observe/index.js';
import { DEFAULT_FORECAST_HOURS, loadReport, MAX_FORECAST_HOURS } from '../../observe/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { dim, table } from '../format.js';

interface ForecastFlags {
  workflow?: string;
  hours: string;
  json?: boolean;
}

/** `baton forecast`: the next hours' load (runs queued and step-seconds per hour), with the model and its backtest. */
export function registerForecast(program: Command, globals: () => GlobalOptions): void {
  program
    .command('forecast')
    .description('forecast the load of the next hours (runs queued and step-seconds per UTC hour) from up to eight weeks of history, with the model used and its backtest against the naive seasonal forecast')
    .option('-w, --workflow <name>', 'only runs of this workflow, and their attempts')
    .option('--hours <n>', `hours to forecast from the current UTC hour (1..${MAX_FORECAST_HOURS})`, String(DEFAULT_FORECAST_HOURS))
    .option('--json', 'print the forecast as JSON (as GET /api/v1/forecast)')
    .addHelpText('after', `
Series: runs queued per hour (a run counts in the hour it became due) and step-seconds per
hour (attempt time within each hour, attempts that ended). With two weeks of history or
more the model is Taylor's double seasonal Holt-Winters (a daily and a weekly cycle); with
two days to two weeks, Holt-Winters with a daily cycle; under two days there is no forecast.
The backtest forecasts each of the latest 14 days from the history before it and compares
with the naive forecast (the same hour last week, or yesterday with under a week): MAE,
sMAPE and MASE (below 1: better than the naive forecast's usual change).

Examples:
  baton forecast
  baton forecast -w nightly --hours 48
  baton forecast --json --server http://ci:8080`)
    .action(async (o: ForecastFlags) => {
      const hours = Number(o.hours);
      if (!Number.isInteger(hours) || hours < 1 || hours > MAX_FORECAST_HOURS) throw new CliError(`--hours expects a whole number 1..${MAX_FORECAST_HOURS}, got '${o.hours}'`);
      const workflow = o.workflow !== undefined ? { workflow: o.workflow } : {};
      const api = connect(globals());
      let report: LoadReport;
      if (api) report = await api.forecast({ hours, ...workflow });
      else {
        const { store } = await openStore(globals());
        try {
          report = await loadReport(store.history, { now: Date.now(), hours, ...workflow });
        } finally {
          await store.close();
        }
      }
      process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : printable(report));
    });
}

/** `2026-11-21 23:00` (UTC). */
const utc = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

const MODEL_NAMES = { 'double-seasonal': 'double seasonal Holt-Winters (daily + weekly)', daily: 'Holt-Winters (daily only)' } as const;

/** One series' model and backtest, in a line or two. */
function describe(name: string, s: SeriesForecast): string[] {
  if (s.model === null) return [];
  const naive = s.naive === 'week' ? 'same hour last week' : 'same hour yesterday';
  const lines = [`${name}: ${MODEL_NAMES[s.model]}`];
  const b = s.backtest;
  if (!b) lines.push('  backtest: not yet (no full horizon of history after the first origin)');
  else {
    const e = (x: { mae: number; smape: number; mase: number | null }): string => `MAE ${x.mae.toFixed(2)}, sMAPE ${(100 * x.smape).toFixed(1)}%, MASE ${x.mase === null ? '-' : x.mase.toFixed(2)}`;
    lines.push(`  backtest (${b.origins} origins x ${b.horizon} h): model ${e(b.model)}; naive (${naive}) ${e(b.naive)}`);
  }
  return lines;
}

function printable(r: LoadReport): string {
  const out: string[] = [];
  const who = r.workflow !== undefined ? ` of workflow ${r.workflow}` : '';
  if (r.tooShort !== undefined) {
    out.push(`No forecast${who}: history is too short (${r.tooShort}).`);
    return out.join('\n') + '\n';
  }
  out.push(`Load forecast${who}, from ${r.historyHours} hours of history (UTC):`);
  out.push(table([['HOUR (UTC)', 'QUEUED RUNS', 'STEP-SECONDS'], ...r.forecast.map((p) => [utc(p.start), p.queuedRuns.toFixed(1), p.stepSeconds.toFixed(0)])]));
  out.push('', ...describe('queued runs', r.queuedRuns), ...describe('step-seconds', r.stepSeconds));
  out.push(dim('(forecasts are clamped at 0; --json for every figure)'));
  return out.join('\n') + '\n';
}
