/**
 * Tests of the nightly-forecast example's pure logic (no engine needed): CSV parsing, series
 * validation, MAPE, model selection on real data, alerts and the report.
 */
import { describe, expect, it } from 'vitest';
import { addMonths, dailyToMonthlyMean, parseCsv, parseDay, readNightlySeries, validateSeries, vegaDataDir, type Series } from './lib/data.js';
import { countMessages } from './lib/arima.js';
import { forecastSeries, mape, naiveForecast, type ForecastResult } from './lib/forecast.js';
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
  });

  it('rejects a holdout that leaves too little to train on', async () => {
    const goog = readNightlySeries(vegaDataDir()).find((s) => s.name === 'goog')!;
    await expect(forecastSeries(goog, { holdout: 60, horizon: 6 })).rejects.toThrow(/too few/);
  });
});

describe('report', () => {
  const base: Omit<ForecastResult, 'series' | 'mape' | 'changePct'> = {
    label: 'L', unit: 'u', method: 'ARIMA(1,1,1)', baselineMape: 5, trainPoints: 24, holdout: 12,
    lastMonth: '2020-12', lastValue: 100, forecast: [101], forecastMonths: ['2021-01'], candidates: [],
    nativeWarnings: {}, elapsedMs: 1,
  };
  const results: ForecastResult[] = [
    { ...base, series: 'calm', mape: 5, changePct: 1 },
    { ...base, series: 'jumpy', mape: 5, changePct: -25 },
    { ...base, series: 'sloppy', mape: 45, changePct: 12 },
  ];

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
    expect(md).toContain('| jumpy ⚠ | ARIMA(1,1,1) | 5.0% | 5.0% | 100.0 (2020-12) | 101.0 (2021-01) | -25.00% |');
    expect(md).toContain('## Alerts (2)');
  });
});
