import { describe, expect, it } from 'vitest';
import type { HistoryStore, HourlyLoad, LoadQuery } from '../../store/index.js';
import { loadReport } from './report.js';

const H = 3_600_000;
const NOW = 1_700_000_000_000 + 25 * 60_000;

/** A history whose hours before `first` are empty and after it follow a daily cycle. */
function fake(activeHours: number): { store: HistoryStore; asked: LoadQuery[] } {
  const asked: LoadQuery[] = [];
  const hourlyLoad = (q: LoadQuery): Promise<HourlyLoad[]> => {
    asked.push(q);
    const n = (q.until - q.since) / H;
    return Promise.resolve(Array.from({ length: n }, (_, i) => {
      const start = q.since + i * H;
      const active = i >= n - activeHours;
      const v = 10 + 5 * Math.sin((2 * Math.PI * start) / (24 * H));
      return { start, queuedRuns: active ? Math.round(v) : 0, stepSeconds: active ? 60 * v : 0 };
    }));
  };
  return { store: { hourlyLoad } as unknown as HistoryStore, asked };
}

describe('loadReport', () => {
  it('reads eight weeks up to the current hour and forecasts from it', async () => {
    const { store, asked } = fake(24 * 21);
    const r = await loadReport(store, { now: NOW, hours: 6, workflow: 'wf' });
    const hour = Math.floor(NOW / H) * H;
    expect(asked).toEqual([{ since: hour - 1344 * H, until: hour, workflow: 'wf' }]);
    expect(r.workflow).toBe('wf');
    expect(r.historyHours).toBe(24 * 21);
    expect(r.history).toHaveLength(48);
    expect(r.forecast.map((p) => p.start)).toEqual([0, 1, 2, 3, 4, 5].map((i) => hour + i * H));
    expect(r.queuedRuns.model).toBe('double-seasonal');
    expect(r.stepSeconds.backtest?.origins).toBe(7);
    expect(r.tooShort).toBeUndefined();
  });

  it('leaves out the empty hours before the first load: five days are five days, forecast by the daily model', async () => {
    const r = await loadReport(fake(24 * 5).store, { now: NOW });
    expect(r.historyHours).toBe(120);
    expect(r.queuedRuns).toMatchObject({ model: 'daily', naive: 'day' });
    expect(r.forecast).toHaveLength(24);
  });

  it('gives no forecast under two days, and says why', async () => {
    const r = await loadReport(fake(47).store, { now: NOW });
    expect(r.forecast).toEqual([]);
    expect(r.queuedRuns).toEqual({ model: null, naive: null });
    expect(r.tooShort).toBe('47 hours of history; a forecast needs at least 48 hours, two weeks for the weekly cycle');
  });

  it('refuses hours outside 1..168', async () => {
    await expect(loadReport(fake(0).store, { now: NOW, hours: 0 })).rejects.toThrow(RangeError);
    await expect(loadReport(fake(0).store, { now: NOW, hours: 169 })).rejects.toThrow(RangeError);
  });
});
