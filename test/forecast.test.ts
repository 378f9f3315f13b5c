/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- API responses are JSON read loosely; the tests check their shape */
/**
 * The load forecast end to end on a real SQLite store filled with three weeks of synthetic
 * history (runs and attempts written through the Store contract, at times relative to the
 * current hour): the store's hourly load, `GET /api/v1/forecast` (viewer role) and `baton
 * forecast` (local and with --server, table and --json), and "too short" for a young workflow.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D, H } from './conformance-history.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { HOUR0, pattern, seedLoad, WEEKS } from './forecast-fixture.js';
import { baton } from './helpers.js';

let api: TestApi;
let db: string;
beforeAll(async () => {
  api = await startApi();
  db = join(api.dir, 'baton.db');
  await seedLoad(api.store, api.dir);
}, 120_000);
afterAll(() => api.close());

describe('hourly load from the store', () => {
  it('counts the synthetic runs and their attempt seconds per hour', async () => {
    const load = await api.store.history.hourlyLoad({ since: HOUR0 - 7 * D, until: HOUR0, workflow: 'wf' });
    expect(load).toHaveLength(168);
    for (const h of load) {
      const p = pattern(h.start);
      expect([h.queuedRuns, h.stepSeconds]).toEqual([p.runs, (p.runs * p.ms) / 1000]);
    }
  });
});

describe('GET /api/v1/forecast', () => {
  it('forecasts the weekly pattern with the double seasonal model and reports its backtest against the naive forecast', async () => {
    const res = await api.call('GET', '/api/v1/forecast?hours=24&workflow=wf', { role: 'viewer' });
    expect(res.status).toBe(200);
    const f = res.body;
    expect(f.workflow).toBe('wf');
    expect(f.historyHours).toBe(WEEKS * 168);
    expect(f.history).toHaveLength(48);
    expect(f.history.at(-1).start).toBe(HOUR0 - H);
    expect(f.forecast).toHaveLength(24);
    expect(f.forecast[0].start).toBe(HOUR0);
    for (const s of [f.queuedRuns, f.stepSeconds]) {
      expect(s).toMatchObject({ model: 'double-seasonal', naive: 'week' });
      expect(s.backtest.origins).toBe(7);
      expect(s.backtest.horizon).toBe(24);
      for (const k of ['mae', 'smape']) expect(typeof s.backtest.model[k]).toBe('number');
    }
    // The history repeats exactly each week: the forecast must follow it, hour by hour.
    for (const p of f.forecast) {
      const e = pattern(p.start);
      expect(Math.abs(p.queuedRuns - e.runs)).toBeLessThan(0.25 * e.runs + 0.5);
      expect(Math.abs(p.stepSeconds - (e.runs * e.ms) / 1000)).toBeLessThan(0.25 * ((e.runs * e.ms) / 1000) + 60);
    }
  });

  it('says when the history is too short, and refuses bad hours and a missing token', async () => {
    const young = (await api.call('GET', '/api/v1/forecast?workflow=young', { role: 'viewer' })).body;
    expect(young.forecast).toEqual([]);
    expect(young.queuedRuns.model).toBeNull();
    expect(young.historyHours).toBe(30);
    expect(young.tooShort).toMatch(/30 hours of history; a forecast needs at least 48/);
    expect((await api.call('GET', '/api/v1/forecast?workflow=nope', { role: 'viewer' })).body.historyHours).toBe(0);
    expect((await api.call('GET', '/api/v1/forecast?hours=0', { role: 'viewer' })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/forecast?hours=169', { role: 'viewer' })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/forecast', { role: 'none' })).status).toBe(401);
  });
});

describe('baton forecast', () => {
  it('prints the next hours with the model and the backtest errors, locally and through the API', async () => {
    const r = await baton(['forecast', '--db', db, '-w', 'wf', '--hours', '6'], api.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`from ${WEEKS * 168} hours of history`);
    expect(r.stdout).toContain(new Date(HOUR0).toISOString().slice(0, 16).replace('T', ' '));
    expect(r.stdout).toMatch(/queued runs: double seasonal Holt-Winters \(daily \+ weekly\)\n {2}backtest \(7 origins x 6 h\): model MAE [\d.]+, sMAPE [\d.]+%, MASE [\d.-]+; naive \(same hour last week\) MAE/);
    expect(r.stdout).toMatch(/step-seconds: double seasonal Holt-Winters/);
    const local = await baton(['forecast', '--db', db, '--json'], api.dir);
    const remote = await baton(['forecast', '--json', '--server', api.url, '--token', api.tokens.viewer], api.dir);
    expect(remote.stderr).toBe('');
    expect(remote.code).toBe(0);
    const [a, b] = [JSON.parse(local.stdout), JSON.parse(remote.stdout)];
    expect(a.forecast).toHaveLength(24);
    expect(a.queuedRuns.model).toBe('double-seasonal');
    // Same store, same hour: the same forecast.
    if (a.forecast[0].start === b.forecast[0].start) expect(b).toEqual(a);
  });

  it('says clearly when the history is too short, and refuses bad --hours', async () => {
    const r = await baton(['forecast', '--db', db, '-w', 'young'], api.dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^No forecast of workflow young: history is too short \(30 hours of history; a forecast needs at least 48/);
    const bad = await baton(['forecast', '--db', db, '--hours', '0'], api.dir);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--hours expects a whole number 1\.\.168/);
  });
});
