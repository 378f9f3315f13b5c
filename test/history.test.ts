/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- API responses are JSON read loosely; the tests check their shape */
/**
 * History through the HTTP API (`GET /history`, `GET /history/runs`, viewer role) and the
 * CLI (`baton history`, local and with --server, table, JSON and CSV export), and `baton
 * prune` (dry run, then a pass) on a real server and real processes.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunFix } from './conformance-history.js';
import { D, H, writeRun } from './conformance-history.js';
import { parseCsv } from './csv-reader.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { baton } from './helpers.js';

const now = Date.now();
const ERROR = 'bad, "quoted"\nsecond line';
/**
 * wf: a1 succeeded 100 ms (3 h ago; its b failed), a2 failed 300 ms (2 h ago; its a failed)
 * -> p50 200, p95 290, failure rate 1/2. etl: a3 succeeded 1 s, 40 h ago. `old`: 40 days ago (past the 30 days of retention).
 */
const RUNS: RunFix[] = [
  { id: 'a1', workflow: 'wf', state: 'succeeded', start: now - 3 * H, ms: 100, steps: [{ id: 'a', state: 'succeeded', ms: 10 }, { id: 'b', state: 'failed', ms: 20, error: ERROR }] },
  { id: 'a2', workflow: 'wf', state: 'failed', start: now - 2 * H, ms: 300, steps: [{ id: 'a', state: 'failed', ms: 30, error: 'boom' }, { id: 'b', state: 'skipped' }] },
  { id: 'a3', workflow: 'etl', state: 'succeeded', start: now - 40 * H, ms: 1000, steps: [{ id: 'load', state: 'succeeded', ms: 500 }] },
  { id: 'old', workflow: 'wf', state: 'succeeded', start: now - 40 * D, ms: 5, steps: [{ id: 'a', state: 'succeeded', ms: 5 }] },
];

let api: TestApi;
let db: string;
beforeAll(async () => {
  api = await startApi();
  db = join(api.dir, 'baton.db');
  await api.store.saveWorkflow({ version: 'v1', name: 'wf', definition: {}, createdAt: now - 20 * D });
  for (const r of RUNS) await writeRun(api.store, r);
}, 30_000);
afterAll(() => api.close());

describe('GET /api/v1/history', () => {
  it('summarises the runs that ended since a duration ago: per workflow, per step, most failing', async () => {
    const res = await api.call('GET', '/api/v1/history?since=7d&by=day', { role: 'viewer' });
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s.until - s.since).toBe(7 * D);
    expect(s.buckets).toHaveLength(8); // 7 days reach into 8 UTC days (or 7, at midnight sharp)
    expect(s.buckets.reduce((n: number, b: { succeeded: number; failed: number }) => n + b.succeeded + b.failed, 0)).toBe(3);
    expect(s.workflows).toEqual([
      { workflow: 'etl', runs: 1, succeeded: 1, failed: 0, cancelled: 0, failureRate: 0, p50Ms: 1000, p95Ms: 1000 },
      { workflow: 'wf', runs: 2, succeeded: 1, failed: 1, cancelled: 0, failureRate: 0.5, p50Ms: 200, p95Ms: 290 },
    ]);
    expect(s.steps).toEqual([
      { workflow: 'etl', stepId: 'load', count: 1, succeeded: 1, failed: 0, failureRate: 0, p50Ms: 500, p95Ms: 500 },
      { workflow: 'wf', stepId: 'a', count: 2, succeeded: 1, failed: 1, failureRate: 0.5, p50Ms: 20, p95Ms: 29 },
      { workflow: 'wf', stepId: 'b', count: 1, succeeded: 0, failed: 1, failureRate: 1, p50Ms: 20, p95Ms: 20 },
    ]);
    expect(s.topFailing.map((f: { stepId: string; lastRunId: string; lastError: string }) => [f.stepId, f.lastRunId, f.lastError])).toEqual([['a', 'a2', 'boom'], ['b', 'a1', ERROR]]);
  });

  it('narrows to a workflow and a shorter window, by hour; refuses a bad since or bucket and a missing token', async () => {
    const day = await api.call('GET', '/api/v1/history?since=24h&by=hour&workflow=wf', { role: 'viewer' });
    expect(day.status).toBe(200);
    expect(day.body.workflow).toBe('wf');
    expect(day.body.buckets.length).toBeGreaterThanOrEqual(24);
    expect(day.body.workflows.map((w: { workflow: string; runs: number }) => [w.workflow, w.runs])).toEqual([['wf', 2]]);
    const bad = await api.call('GET', '/api/v1/history?since=soon', { role: 'viewer' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/since/);
    expect((await api.call('GET', '/api/v1/history?since=400d', { role: 'viewer' })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/history?by=week', { role: 'viewer' })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/history', { role: 'none' })).status).toBe(401);
  });

  it('exports the runs of the window with their steps, oldest end first, page by page', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api.call('GET', `/api/v1/history/runs?since=7d&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { role: 'viewer' });
      expect(res.status).toBe(200);
      ids.push(...res.body.runs.map((r: { id: string }) => r.id));
      cursor = res.body.next;
    } while (cursor);
    expect(ids).toEqual(['a3', 'a1', 'a2']);
    const one = await api.call('GET', '/api/v1/history/runs?since=24h&workflow=wf&limit=1', { role: 'viewer' });
    expect(one.body.runs[0]).toMatchObject({ id: 'a1', durationMs: 100, steps: [{ stepId: 'a', durationMs: 10 }, { stepId: 'b', state: 'failed', error: ERROR }] });
    expect((await api.call('GET', '/api/v1/history/runs?cursor=nope', { role: 'viewer' })).status).toBe(400);
  });
});

describe('baton history', () => {
  it('prints the summary as tables from the store', async () => {
    const r = await baton(['history', '--db', db], api.dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Runs that ended in the last 7d/);
    expect(r.stdout).toMatch(/RUNS BY DAY \(UTC\): 3 in all/);
    expect(r.stdout).toMatch(/^wf\s+2\s+1\s+1\s+0\s+50%\s+200ms\s+290ms$/m);
    expect(r.stdout).toMatch(/^wf\s+a\s+2\s+1\s+50%\s+20ms\s+29ms$/m);
    expect(r.stdout).toMatch(/MOST FAILING STEPS/);
    expect(r.stdout).toMatch(/^wf\s+b\s+1\s+.*a1\s+bad, "quoted"$/m); // the first line of the error
  });

  it('gives the same JSON from the store and through the API (--server)', async () => {
    const local = await baton(['history', '--db', db, '--since', '7d', '--format', 'json'], api.dir);
    const remote = await baton(['history', '--since', '7d', '--format', 'json', '--server', api.url, '--token', api.tokens.viewer], api.dir);
    expect([local.code, remote.code, remote.stderr]).toEqual([0, 0, '']);
    const a = JSON.parse(local.stdout);
    const b = JSON.parse(remote.stdout);
    for (const k of ['workflows', 'steps', 'topFailing', 'stepsTruncated', 'by']) expect(b[k]).toEqual(a[k]);
  });

  it('exports steps as RFC 4180 CSV: a field with a comma, quotes and a newline reads back whole', async () => {
    for (const via of [['--db', db], ['--server', api.url, '--token', api.tokens.viewer]]) {
      const r = await baton(['history', '--export', 'steps', ...via], api.dir);
      expect(r.code).toBe(0);
      const [header, ...rows] = parseCsv(r.stdout);
      expect(header).toEqual(['run_id', 'workflow', 'step_id', 'position', 'state', 'attempts', 'started_at', 'ended_at', 'duration_ms', 'reason', 'error']);
      expect(rows.map((x) => [x[0], x[2], x[4]])).toEqual([['a3', 'load', 'succeeded'], ['a1', 'a', 'succeeded'], ['a1', 'b', 'failed'], ['a2', 'a', 'failed'], ['a2', 'b', 'skipped']]);
      expect(rows[2]![10]).toBe(ERROR);
      expect(rows[1]![6]).toBe(new Date(now - 3 * H).toISOString());
      expect(rows[1]![8]).toBe('10');
    }
  });

  it('exports runs as CSV or as a JSON array, through the API too', async () => {
    const csv = await baton(['history', '--export', 'runs', '--db', db, '-w', 'wf'], api.dir);
    const [header, ...rows] = parseCsv(csv.stdout);
    expect(header).toEqual(['run_id', 'workflow', 'version', 'state', 'trigger', 'created_at', 'started_at', 'ended_at', 'duration_ms', 'reason', 'steps', 'failed_steps']);
    expect(rows.map((x) => [x[0], x[3], x[8], x[10], x[11]])).toEqual([['a1', 'succeeded', '100', '2', '1'], ['a2', 'failed', '300', '2', '1']]);
    const json = await baton(['history', '--export', 'runs', '--format', 'json', '--server', api.url, '--token', api.tokens.viewer], api.dir);
    expect(json.code).toBe(0);
    const runs = JSON.parse(json.stdout);
    expect(runs.map((x: { id: string }) => x.id)).toEqual(['a3', 'a1', 'a2']);
    expect(runs[1].steps[1]).toMatchObject({ stepId: 'b', error: ERROR });
    const empty = await baton(['history', '--export', 'runs', '--format', 'json', '--db', db, '-w', 'nothing'], api.dir);
    expect(JSON.parse(empty.stdout)).toEqual([]);
  });

  it('refuses what it cannot do, with exit code 2', async () => {
    for (const [args, message] of [
      [['--format', 'csv'], /--export runs/],
      [['--since', 'forever'], /--since/],
      [['--by', 'week'], /hour or day/],
      [['--export', 'everything'], /runs or steps/],
      [['--export', 'runs', '--format', 'table'], /CSV or JSON/],
    ] as const) {
      const r = await baton(['history', '--db', db, ...args], api.dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('baton prune', () => {
  it('counts with --dry-run, then deletes the runs past 30 days; refuses --server', async () => {
    const dry = await baton(['prune', '--dry-run', '--db', db], api.dir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^would delete: 1 finished run \(with 1 step run, 0 attempts, 2 events, 0 batch groups, 0 log files\)$/m);
    expect(await api.store.getRun('old')).toBeDefined();
    const real = await baton(['prune', '--db', db], api.dir);
    expect(real.stderr).toBe('');
    expect(real.stdout).toMatch(/^deleted: 1 finished run \(with 1 step run, 0 attempts, 2 events/m);
    expect(await api.store.getRun('old')).toBeUndefined();
    expect((await api.store.getRun('a1'))?.state).toBe('succeeded');
    const again = await baton(['prune', '--db', db, '--json'], api.dir);
    expect(JSON.parse(again.stdout).counts.runs.runs).toBe(0);
    const remote = await baton(['prune', '--server', api.url, '--token', api.tokens.admin], api.dir);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/does not work against a server/);
  });

  it('reports a pass another process is running, and exits 1', async () => {
    expect(await api.store.retention.tryLease('retention', 'someone-else', 60_000, Date.now())).toBe(true);
    try {
      const r = await baton(['prune', '--db', db], api.dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/nothing pruned: another process holds the retention lease/);
    } finally {
      await api.store.retention.releaseLease('retention', 'someone-else');
    }
  });
});
