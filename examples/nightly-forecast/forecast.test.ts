/**
 * Tests of the nightly-forecast example: its pure logic (CSV parsing, series validation,
 * MAPE, model selection on real data, alerts and the report), then the workflow run end to
 * end by the CLI (`bin/baton.js`, so dist/ must be built).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baton, ROOT, tempDir } from '../../test/helpers.js';
import { addMonths, dailyToMonthlyMean, parseCsv, parseDay, readDataset, readNightlySeries, validateSeries, vegaDataDir, type Series } from './lib/data.js';
import { countMessages } from './lib/arima.js';
import { changeBasis, forecastSeries, mape, naiveForecast, type ForecastResult } from './lib/forecast.js';
import { evaluateAlerts, rankUrgent, renderReport } from './lib/report.js';

describe('data', () => {
  it('parses CSV with quotes and CRLF, and rejects ragged rows', () => {
    expect(parseCsv('a,b\r\n1,"x, ""y"""\r\n\r\n2,z')).toEqual({ header: ['a', 'b'], rows: [['1', 'x, "y"'], ['2', 'z']] });
    expect(() => parseCsv('a,b\n1')).toThrow(/line 2: expected 2 fields, found 1/);
  });

  it('parses both date styles and month arithmetic', () => {
    expect(parseDay('Jan 1 2000')).toBe('2000-01-01');
    expect(parseDay('2012-02-29')).toBe('2012-02-29');
    expect(() => parseDay('2013-02-29')).toThrow(/invalid/);
    expect(addMonths('2015-12', 1)).toBe('2016-01');
    expect(addMonths('2000-01', -1)).toBe('1999-12');
  });

  it('averages days into months and refuses a missing day', () => {
    const days = ['date,t', '2020-01-30,1', '2020-01-31,3', '2020-02-01,10'];
    expect(() => dailyToMonthlyMean(parseCsv(days.join('\n')), 't', { name: 'x', label: 'x', unit: '', season: 0 })).toThrow(/not the 1st/);
    const gap = ['date,t', '2020-01-01,1', '2020-01-03,3'];
    expect(() => dailyToMonthlyMean(parseCsv(gap.join('\n')), 't', { name: 'x', label: 'x', unit: '', season: 0 })).toThrow(/gap/);
  });

  it('reads the six real series, all valid', () => {
    const all = readNightlySeries(vegaDataDir());
    expect(all.map((s) => [s.name, s.values.length])).toEqual([
      ['msft', 123], ['amzn', 123], ['ibm', 123], ['goog', 68], ['aapl', 123], ['seattle', 48],
    ]);
    for (const s of all) expect(validateSeries(s, 36)).toEqual([]);
    const seattle = all.find((s) => s.name === 'seattle')!;
    expect(seattle.months[0]).toBe('2012-01');
    expect(seattle.values[6]! > seattle.values[0]!).toBe(true); // July is warmer than January
  });

  it('reads the industries data set: 14 seasonal series of 122 months, all valid', () => {
    const all = readDataset('industries', vegaDataDir());
    expect(all.length).toBe(14);
    expect(all[0]!.name).toBe('government');
    for (const s of all) {
      expect([s.values.length, s.season, s.months[0], s.months[s.months.length - 1]]).toEqual([122, 12, '2000-01', '2010-02']);
      expect(validateSeries(s, 36)).toEqual([]);
    }
    expect(() => readDataset('nope', vegaDataDir())).toThrow(/"nope" is not one of stocks-weather, industries/);
  });

  it('reports gaps, short series and non-positive values', () => {
    const s: Series = { name: 'x', label: 'x', unit: '', season: 0, months: ['2020-01', '2020-03'], values: [1, 0] };
    expect(validateSeries(s, 3)).toEqual([
      '2 points, need at least 3',
      'gap: 2020-01 is followed by 2020-03, expected 2020-02',
      'value 0 at 2020-03 is not a positive number',
    ]);
  });
});

describe('forecast', () => {
  it('computes MAPE in percent and naive forecasts', () => {
    expect(mape([100, 200], [110, 180])).toBeCloseTo(10);
    expect(() => mape([0], [1])).toThrow();
    expect(naiveForecast([1, 2, 3], 2, 0)).toEqual([3, 3]);
    expect(naiveForecast([1, 2, 3, 4], 3, 2)).toEqual([3, 4, 3]);
  });

  it('measures a seasonal change from the same month a year earlier, else from the last actual', () => {
    const months = Array.from({ length: 14 }, (_, i) => addMonths('2020-01', i)); // 2020-01..2021-02
    const values = months.map((_, i) => 100 + i);
    // Last forecast month 2021-05: a year earlier is 2020-05, an actual (index 4).
    expect(changeBasis(months, values, [1, 2, 3], 12)).toEqual({ kind: 'year-over-year', month: '2020-05', value: 104, forecast: false });
    // Not seasonal: from the last actual.
    expect(changeBasis(months, values, [1, 2, 3], 0)).toEqual({ kind: 'last-actual', month: '2021-02', value: 113, forecast: false });
    // Horizon past the season: the month a year earlier is itself forecast (2021-03 = forecast[0]).
    expect(changeBasis(months, values, Array.from({ length: 13 }, (_, i) => 200 + i), 12)).toEqual({ kind: 'year-over-year', month: '2021-03', value: 200, forecast: true });
    // Less than a season of history before the target: from the last actual.
    expect(changeBasis(months.slice(0, 3), values.slice(0, 3), [1], 12).kind).toBe('last-actual');
  });

  it('counts C-library messages printed without newlines', () => {
    expect(countMessages(['Warning : A solutionWarning : A solution', 'non-stationary AR part'])).toEqual({ 'A solution': 2, 'non-stationary AR part': 1 });
  });

  it('picks a seasonal model for Seattle temperatures and forecasts the spring warm-up', async () => {
    const seattle = readNightlySeries(vegaDataDir()).find((s) => s.name === 'seattle')!;
    const r = await forecastSeries(seattle, { holdout: 12, horizon: 6 });
    expect(r.method).toMatch(/^SARIMA/);
    expect(r.mape).toBeLessThan(20);
    expect(r.forecastMonths).toEqual(['2016-01', '2016-02', '2016-03', '2016-04', '2016-05', '2016-06']);
    expect(r.forecast[5]!).toBeGreaterThan(r.forecast[0]!);
    expect(r.candidates.length).toBe(5);
    expect(r.baseline).toBe('seasonal-naive');
    // June 2016 against June 2015, not against December 2015 (which would be the season's swing).
    expect(r.changeFrom).toMatchObject({ kind: 'year-over-year', month: '2015-06', forecast: false });
    expect(Math.abs(r.changePct)).toBeLessThan(20);
  });

  it('rejects a holdout that leaves too little to train on', async () => {
    const goog = readNightlySeries(vegaDataDir()).find((s) => s.name === 'goog')!;
    await expect(forecastSeries(goog, { holdout: 60, horizon: 6 })).rejects.toThrow(/too few/);
  });
});

describe('report', () => {
  const base: Omit<ForecastResult, 'series' | 'mape' | 'changePct'> = {
    label: 'L', unit: 'u', method: 'ARIMA(1,1,1)', baselineMape: 50, baseline: 'naive', season: 0, trainPoints: 24, holdout: 12,
    lastMonth: '2020-12', lastValue: 100, forecast: [101], forecastMonths: ['2021-01'], candidates: [],
    changeFrom: { kind: 'last-actual', month: '2020-12', value: 100, forecast: false },
    nativeWarnings: {}, elapsedMs: 1,
  };
  const results: ForecastResult[] = [
    { ...base, series: 'calm', mape: 5, changePct: 1 },
    { ...base, series: 'jumpy', mape: 5, changePct: -25 },
    { ...base, series: 'sloppy', mape: 45, changePct: 12 },
  ];
  /** A seasonal series whose model does worse than the seasonal-naive forecast on the backtest. */
  const loser: ForecastResult = {
    ...base, series: 'temps', season: 12, baseline: 'seasonal-naive', mape: 10.7, baselineMape: 10.4, changePct: -5.71,
    lastMonth: '2015-12', lastValue: 8.38, forecast: [24.57], forecastMonths: ['2016-06'],
    changeFrom: { kind: 'year-over-year', month: '2015-06', value: 26.06, forecast: false },
  };

  it('flags moves and poor fits, and ranks by severity', () => {
    const out = evaluateAlerts(results, { threshold: 0.1, maxMape: 0.3 });
    expect(out.alerts.map((a) => [a.series, a.reasons])).toEqual([['jumpy', ['move']], ['sloppy', ['move', 'poor-fit']]]);
    expect(out.series.map((s) => s.direction)).toEqual(['flat', 'down', 'up']);
    expect(out.csv.split('\n')[2]).toBe('jumpy,down,-25,5');
    expect(rankUrgent(out.alerts, 1).map((a) => a.series)).toEqual(['jumpy']);
  });

  it('renders a Markdown report with a row per series', () => {
    const alerts = evaluateAlerts(results, { threshold: 0.1, maxMape: 0.3 });
    const md = renderReport({
      runId: 'r1', workflow: 'wf', generatedAt: new Date(0), params: { horizon: 1 }, forecasts: results,
      alerts, urgent: rankUrgent(alerts.alerts, 3), kpis: { 'mean |change| %': 12.67 }, trends: { up: 1, down: 1, flat: 1, path: 'trends.txt' },
    });
    expect(md).toContain('| mean \\|change\\| % | 12.67 |');
    expect(md).toContain('| jumpy ⚠ | ARIMA(1,1,1) | 5.0% | 50.0% | beats | 100.0 (2020-12) | 101.0 (2021-01) | -25.00% | 100.0 (2020-12, last actual) |');
    expect(md).toContain('## Alerts (2)');
    expect(md).toContain('Every model beats its naive baseline on the backtest.');
  });

  it('flags a model that loses to the seasonal-naive forecast, and compares it year over year', () => {
    const alerts = evaluateAlerts([...results, loser], { threshold: 0.1, maxMape: 0.3 });
    const a = alerts.alerts.find((x) => x.series === 'temps')!;
    expect(a.reasons).toEqual(['loses-to-naive']); // -5.71% year over year is within ±10%
    expect(a.message).toBe('model loses to the seasonal-naive forecast: MAPE 10.7% vs 10.4% on the last 12 months, prefer the seasonal-naive forecast');
    expect(a.severity).toBeCloseTo(10.7 / 10.4, 3);
    expect(alerts.series.filter((s) => s.losesToNaive).map((s) => s.series)).toEqual(['temps']);
    // A tie is no win: the model must beat the baseline to be trusted.
    expect(evaluateAlerts([{ ...loser, mape: 10.4 }], { threshold: 0.1, maxMape: 0.3 }).alerts[0]!.reasons).toEqual(['loses-to-naive']);
    const md = renderReport({
      runId: 'r1', workflow: 'wf', generatedAt: new Date(0), params: {}, forecasts: [...results, loser],
      alerts, urgent: [], kpis: {}, trends: { up: 0, down: 0, flat: 0, path: 'trends.txt' },
    });
    expect(md).toContain('**1 of 4 models lose to their naive baseline** on the backtest (temps): for those, plan with the naive forecast.');
    expect(md).toContain('| temps ⚠ | ARIMA(1,1,1) | 10.7% | 10.4% | **loses** | 8.38 (2015-12) | 24.57 (2016-06) | -5.71% | 26.06 (2015-06, a year earlier) |');
    expect(md).toContain('ARIMA(1,1,1), backtest MAPE 10.7% on the last 12 points: **loses to** the seasonal-naive forecast (10.4%).');
    expect(md).toContain('2016-06: 24.57, -5.71% vs 26.06 (2015-06, a year earlier).');
  });
});

describe('workflow, run by the CLI', () => {
  it('forecasts every series through one mapped step and names the report in the run\'s last line', async () => {
    const dir = tempDir('nightly-forecast-');
    const outDir = join(dir, 'out');
    const res = await baton(['run', join(ROOT, 'examples/nightly-forecast/workflow.yaml'), '--db', join(dir, 'b.db'), '--param', `outDir=${outDir}`], dir);
    expect(res.code, res.stdout + res.stderr).toBe(0);
    const runId = /run (\S+) succeeded in/.exec(res.stdout)![1]!;
    expect(res.stdout).toContain('6 mapped items: 6 succeeded');
    // The run's own last line says where the report is (the workflow's `outputs:`).
    expect(res.stdout.trimEnd().split('\n').pop()).toBe(`  report: ${join(outDir, runId, 'nightly-report.md')}`);

    const shown = await baton(['show', runId, '--db', join(dir, 'b.db'), '--json'], dir);
    type Row = { stepId: string; state: string; item?: string; output?: unknown };
    const steps = (JSON.parse(shown.stdout) as { steps: Row[] }).steps;
    const series = readNightlySeries(vegaDataDir()).map((s) => s.name);
    // One mapped step, one item per series of the data set, in data set order.
    expect(steps.filter((s) => s.stepId.startsWith('forecast')).map((s) => [s.stepId, s.item ?? null])).toEqual([
      ['forecast', null], ...series.map((name, i) => [`forecast[${i}]`, name]),
    ]);
    expect(steps.some((s) => /^forecast-/.test(s.stepId))).toBe(false);
    const forecasts = steps.find((s) => s.stepId === 'forecast')!.output as ForecastResult[];
    expect(forecasts.map((f) => f.series)).toEqual(series);

    const logs = await baton(['logs', runId, 'consolidate', '--db', join(dir, 'b.db')], dir);
    const last = logs.stdout.trimEnd().split('\n').pop()!;
    const path = /report written to (\/.+)$/.exec(last)?.[1];
    expect(path, last).toBe(join(outDir, runId, 'nightly-report.md'));
    expect(existsSync(path!)).toBe(true);

    const md = readFileSync(path!, 'utf8');
    // Every series whose model does not beat its naive baseline is flagged as such.
    for (const f of forecasts) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${f.series} `) || l.startsWith(`| ${f.series} ⚠`))!;
      expect(row, f.series).toContain(f.mape >= f.baselineMape ? '| **loses** |' : '| beats |');
    }
    expect(md).toMatch(/\| seattle ⚠? ?\| .* \(2015-06, a year earlier\) \|/);
  }, 120_000);
});
