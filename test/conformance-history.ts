/**
 * The history and retention parts of the Store conformance suite (test/store-conformance.test.ts
 * runs them against SQLite and PostgreSQL alike): one fixture whose figures are worked out
 * by hand below, so every count, percentile and rate is checked exactly, and the same on
 * both stores to the last digit.
 */
import { expect } from 'vitest';
import type { AttemptRecord, RunRecord, Store, StoredStepRun } from '../src/index.js';
import type { AttemptEnd, NewEvent } from '../src/store/index.js';
import type { RunState } from '../src/core/index.js';

export const H = 3_600_000;
export const D = 86_400_000;
/** 2023-11-14T00:00:00Z: a UTC day (and hour) boundary. */
export const DAY0 = 19_675 * D;
/** The window every history case reads: two UTC days. */
export const WINDOW = { since: DAY0, until: DAY0 + 2 * D };

/** The suite's `it`, which reports a skip with its reason. */
export type Test = (title: string, fn: () => Promise<void>) => void;

const fail = (message: string) => ({ type: 'exit-code', message, retryable: false });

/** A step run of the fixture; `ms` when it ran (an attempt of that length). */
export interface StepFix { id: string; state: StoredStepRun['state']; ms?: number; error?: string }
/** A run of the fixture: ended at `end`, or `start + ms`; `running` runs never end. */
export interface RunFix { id: string; workflow: string; state: RunState; start?: number; ms: number; end?: number; steps: StepFix[] }

/**
 * The history fixture. Windows are [since, until); durations in ms.
 * - wf: w1 succeeded 100, w2 succeeded 200, w3 failed 300 (day 0), w4 succeeded 400, w5
 *   cancelled before it started (day 1) -> 5 runs, failure rate 1/4, p50 of [100, 200, 300,
 *   400] = 250, p95 = 300 + 0.85 * 100 = 385.
 * - etl: e1 failed 1000 (day 0), e2 failed 3000 (day 1) -> p50 2000, p95 2900, rate 1.
 * - steps: wf.a [10, 20, 30f, 40] -> p50 25, p95 38.5, rate 1/4; wf.b [50, 60f, 80f] (w3's b
 *   skipped, w5's cancelled: not counted) -> p50 60, p95 78, rate 2/3; etl.load [500f, 700f]
 *   -> p50 600, p95 690.
 * - outside the window: `early` (ended 1 ms before since), `late` (ended at until),
 *   `busy` (running, never ended).
 */
export const HISTORY_RUNS: RunFix[] = [
  { id: 'w1', workflow: 'wf', state: 'succeeded', start: DAY0 + 1 * H, ms: 100, steps: [{ id: 'a', state: 'succeeded', ms: 10 }, { id: 'b', state: 'succeeded', ms: 50 }] },
  { id: 'w2', workflow: 'wf', state: 'succeeded', start: DAY0 + 2 * H, ms: 200, steps: [{ id: 'a', state: 'succeeded', ms: 20 }, { id: 'b', state: 'failed', ms: 60, error: 'exit 1' }] },
  { id: 'w3', workflow: 'wf', state: 'failed', start: DAY0 + 3 * H, ms: 300, steps: [{ id: 'a', state: 'failed', ms: 30, error: 'boom, "A"\nline 2' }, { id: 'b', state: 'skipped' }] },
  { id: 'e1', workflow: 'etl', state: 'failed', start: DAY0 + 5 * H, ms: 1000, steps: [{ id: 'load', state: 'failed', ms: 500, error: 'timeout' }] },
  { id: 'w4', workflow: 'wf', state: 'succeeded', start: DAY0 + D + 1 * H, ms: 400, steps: [{ id: 'a', state: 'succeeded', ms: 40 }, { id: 'b', state: 'failed', ms: 80, error: 'exit 2' }] },
  { id: 'w5', workflow: 'wf', state: 'cancelled', end: DAY0 + D + 2 * H, ms: 0, steps: [{ id: 'a', state: 'cancelled' }, { id: 'b', state: 'cancelled' }] },
  { id: 'e2', workflow: 'etl', state: 'failed', start: DAY0 + D + 5 * H, ms: 3000, steps: [{ id: 'load', state: 'failed', ms: 700, error: 'disk full' }] },
  { id: 'early', workflow: 'wf', state: 'succeeded', start: DAY0 - 1001, ms: 1000, steps: [{ id: 'a', state: 'failed', ms: 5, error: 'early' }] },
  { id: 'late', workflow: 'wf', state: 'succeeded', start: DAY0 + 2 * D - 1000, ms: 1000, steps: [{ id: 'a', state: 'failed', ms: 5, error: 'late' }] },
  { id: 'busy', workflow: 'wf', state: 'running', start: DAY0 + 4 * H, ms: 0, steps: [{ id: 'a', state: 'running' }] },
];

/** When a fixture run ended. */
const endOf = (r: RunFix): number | undefined => (r.state === 'running' ? undefined : r.end ?? r.start! + r.ms);

/** Options of {@link writeRun}. */
export interface WriteRunOptions {
  version?: string;
  /** Also write one attempt per step that ran, with a log path under this folder. */
  logsDir?: string;
  /** Events beyond the run's first and one per step. */
  extraEvents?: number;
}

/**
 * Writes one fixture run through the Store contract: createRun, then one commit with its
 * final rows (and attempts, with `logsDir`). A step in state `running` has a running attempt.
 */
export async function writeRun(store: Store, r: RunFix, o: WriteRunOptions = {}): Promise<void> {
  const record: RunRecord = { id: r.id, workflow: r.workflow, version: o.version ?? 'v1', state: 'queued', trigger: 'manual', params: {}, priority: 0, stepCount: r.steps.length, createdAt: (r.start ?? r.end!) - 10 };
  const rows: StoredStepRun[] = r.steps.map((s, position) => ({ runId: r.id, stepId: s.id, position, state: 'pending', attempts: 0, lostAttempts: 0 }));
  await store.createRun(record, rows, [{ runId: r.id, type: 'run', to: 'queued', at: record.createdAt }]);
  const end = endOf(r);
  let t = r.start ?? 0;
  const attemptsStarted: AttemptRecord[] = [];
  const attemptsEnded: AttemptEnd[] = [];
  const stepRuns: StoredStepRun[] = r.steps.map((s, position) => {
    const row: StoredStepRun = { runId: r.id, stepId: s.id, position, state: s.state, attempts: s.ms !== undefined ? 1 : 0, lostAttempts: 0 };
    if (s.ms !== undefined) {
      row.startedAt = t;
      const id = `${r.id}.${s.id}.1`;
      if (o.logsDir !== undefined) attemptsStarted.push({ id, runId: r.id, stepId: s.id, number: 1, state: 'running', startedAt: t, logPath: `${o.logsDir}/${r.id}/${s.id}.1.log` });
      if (s.state !== 'running') {
        row.endedAt = t + s.ms;
        if (o.logsDir !== undefined) attemptsEnded.push({ id, state: s.state === 'failed' ? 'failed' : 'succeeded', endedAt: t + s.ms });
      }
      t += s.ms;
    }
    if (s.error !== undefined) row.error = fail(s.error);
    return row;
  });
  const events: NewEvent[] = r.steps.map((s) => ({ runId: r.id, stepId: s.id, type: 'step', to: s.state, at: end ?? t }));
  for (let i = 0; i < (o.extraEvents ?? 0); i++) events.push({ runId: r.id, type: 'note', at: end ?? t, data: { i } });
  await store.commit({
    attemptsStarted, attemptsEnded, stepRuns, events,
    runs: [{ id: r.id, state: r.state, ...(r.start !== undefined ? { startedAt: r.start } : {}), ...(end !== undefined ? { endedAt: end } : {}) }],
  });
}

/** The history cases, registered with the suite's `test` (so skips are reported as the suite's). */
export function historyConformance(test: Test, get: () => Store): void {
  const seed = async (): Promise<Store> => {
    const store = get();
    for (const r of HISTORY_RUNS) await writeRun(store, r);
    return store;
  };

  test('history: runs by day and by hour (UTC), per workflow and per step, top failing steps, exact figures', async () => {
    const store = await seed();
    const s = await store.history.summary({ ...WINDOW, by: 'day' });
    expect(s).toStrictEqual({
      since: WINDOW.since, until: WINDOW.until, by: 'day',
      buckets: [
        { start: DAY0, succeeded: 2, failed: 2, cancelled: 0 },
        { start: DAY0 + D, succeeded: 1, failed: 1, cancelled: 1 },
      ],
      workflows: [
        { workflow: 'etl', runs: 2, succeeded: 0, failed: 2, cancelled: 0, failureRate: 1, p50Ms: 2000, p95Ms: 2900 },
        { workflow: 'wf', runs: 5, succeeded: 3, failed: 1, cancelled: 1, failureRate: 0.25, p50Ms: 250, p95Ms: 385 },
      ],
      steps: [
        { workflow: 'etl', stepId: 'load', count: 2, succeeded: 0, failed: 2, failureRate: 1, p50Ms: 600, p95Ms: 690 },
        { workflow: 'wf', stepId: 'a', count: 4, succeeded: 3, failed: 1, failureRate: 0.25, p50Ms: 25, p95Ms: 38.5 },
        { workflow: 'wf', stepId: 'b', count: 3, succeeded: 1, failed: 2, failureRate: 2 / 3, p50Ms: 60, p95Ms: 78 },
      ],
      stepsTruncated: false,
      topFailing: [
        { workflow: 'etl', stepId: 'load', failures: 2, lastFailureAt: DAY0 + D + 5 * H + 700, lastRunId: 'e2', lastError: 'disk full', lastErrorType: 'exit-code' },
        { workflow: 'wf', stepId: 'b', failures: 2, lastFailureAt: DAY0 + D + 1 * H + 40 + 80, lastRunId: 'w4', lastError: 'exit 2', lastErrorType: 'exit-code' },
        { workflow: 'wf', stepId: 'a', failures: 1, lastFailureAt: DAY0 + 3 * H + 30, lastRunId: 'w3', lastError: 'boom, "A"\nline 2', lastErrorType: 'exit-code' },
      ],
    });
    const byHour = await store.history.summary({ ...WINDOW, by: 'hour' });
    expect(byHour.buckets).toHaveLength(48);
    expect(byHour.buckets.filter((b) => b.succeeded + b.failed + b.cancelled > 0)).toStrictEqual([
      { start: DAY0 + 1 * H, succeeded: 1, failed: 0, cancelled: 0 },
      { start: DAY0 + 2 * H, succeeded: 1, failed: 0, cancelled: 0 },
      { start: DAY0 + 3 * H, succeeded: 0, failed: 1, cancelled: 0 },
      { start: DAY0 + 5 * H, succeeded: 0, failed: 1, cancelled: 0 },
      { start: DAY0 + D + 1 * H, succeeded: 1, failed: 0, cancelled: 0 },
      { start: DAY0 + D + 2 * H, succeeded: 0, failed: 0, cancelled: 1 },
      { start: DAY0 + D + 5 * H, succeeded: 0, failed: 1, cancelled: 0 },
    ]);
    expect(byHour.workflows).toStrictEqual(s.workflows);
  });

  test('history: one workflow only, and an empty window gives zero buckets and no figures', async () => {
    const store = await seed();
    const etl = await store.history.summary({ ...WINDOW, by: 'day', workflow: 'etl' });
    expect(etl.workflow).toBe('etl');
    expect(etl.buckets).toStrictEqual([{ start: DAY0, succeeded: 0, failed: 1, cancelled: 0 }, { start: DAY0 + D, succeeded: 0, failed: 1, cancelled: 0 }]);
    expect(etl.workflows.map((w) => w.workflow)).toEqual(['etl']);
    expect(etl.steps.map((x) => x.stepId)).toEqual(['load']);
    expect(etl.topFailing.map((x) => x.stepId)).toEqual(['load']);
    const none = await store.history.summary({ since: DAY0 + 10 * D, until: DAY0 + 10 * D + 3 * H, by: 'hour' });
    expect(none).toStrictEqual({
      since: DAY0 + 10 * D, until: DAY0 + 10 * D + 3 * H, by: 'hour',
      buckets: [0, 1, 2].map((i) => ({ start: DAY0 + 10 * D + i * H, succeeded: 0, failed: 0, cancelled: 0 })),
      workflows: [], steps: [], stepsTruncated: false, topFailing: [],
    });
    // A window starting mid-hour includes that hour's bucket.
    const mid = await store.history.summary({ since: DAY0 + 2 * H + 1, until: DAY0 + 3 * H + 301, by: 'hour' });
    expect(mid.buckets.map((b) => [b.start, b.succeeded + b.failed])).toEqual([[DAY0 + 2 * H, 1], [DAY0 + 3 * H, 1]]);
  });

  test('history: step durations of one workflow count succeeded step runs that ended since a time, with their p50 and p95', async () => {
    const store = await seed();
    // wf.a succeeded in w1, w2, w4 (10, 20, 40): p95 = 20 + 0.9 * 20; its failures (w3, early,
    // late) and the running attempt of busy do not count. wf.b succeeded once (w1, 50).
    expect(await store.history.stepDurations('wf', DAY0)).toStrictEqual([
      { stepId: 'a', count: 3, p95Ms: 38, p50Ms: 20 },
      { stepId: 'b', count: 1, p95Ms: 50, p50Ms: 50 },
    ]);
    // From day 1 only w4's a (ended at DAY0 + D + 1 h + 40); b failed there.
    expect(await store.history.stepDurations('wf', DAY0 + D)).toStrictEqual([{ stepId: 'a', count: 1, p95Ms: 40, p50Ms: 40 }]);
    expect(await store.history.stepDurations('wf', DAY0 + D + H + 41)).toStrictEqual([]);
    expect(await store.history.stepDurations('etl', DAY0)).toStrictEqual([]);
    expect(await store.history.stepDurations('nope', 0)).toStrictEqual([]);
  });

  test('history: duration samples of the latest succeeded step runs and runs of a workflow, newest first', async () => {
    const store = await seed();
    // wf by creation, newest first: late, w5, w4, busy, w3, w2, w1, early. a succeeded in w4
    // (40), w2 (20), w1 (10); b only in w1 (50); busy's a is still running.
    expect(await store.history.stepDurationSamples('wf', 2)).toStrictEqual([
      { stepId: 'a', durationsMs: [40, 20] },
      { stepId: 'b', durationsMs: [50] },
    ]);
    // One sample per step looks back over the newest 4 runs (late, w5, w4, busy): w1's b is out of reach.
    expect(await store.history.stepDurationSamples('wf', 1)).toStrictEqual([{ stepId: 'a', durationsMs: [40] }]);
    expect(await store.history.stepDurationSamples('etl', 5)).toStrictEqual([]);
    // Succeeded wf runs: late 1000, w4 400, w2 200, w1 100, early 1000.
    expect(await store.history.runDurationSamples('wf', 10)).toStrictEqual([1000, 400, 200, 100, 1000]);
    expect(await store.history.runDurationSamples('wf', 2)).toStrictEqual([1000, 400]);
    expect(await store.history.runDurationSamples('etl', 10)).toStrictEqual([]);
  });

  test('history: exports finished runs of the window with their steps, oldest end first, page by page', async () => {
    const store = await seed();
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.history.exportRuns({ ...WINDOW, limit: 3, ...(cursor ? { cursor } : {}) });
      ids.push(...page.runs.map((r) => r.id));
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    expect(ids).toEqual(['w1', 'w2', 'w3', 'e1', 'w4', 'w5', 'e2']);
    expect(pages).toBe(3);
    const [w3] = (await store.history.exportRuns({ ...WINDOW, workflow: 'wf', limit: 3 })).runs.slice(2);
    expect(w3).toStrictEqual({
      id: 'w3', workflow: 'wf', version: 'v1', state: 'failed', trigger: 'manual', createdAt: DAY0 + 3 * H - 10,
      startedAt: DAY0 + 3 * H, endedAt: DAY0 + 3 * H + 300, durationMs: 300,
      steps: [
        { stepId: 'a', position: 0, state: 'failed', attempts: 1, startedAt: DAY0 + 3 * H, endedAt: DAY0 + 3 * H + 30, durationMs: 30, error: 'boom, "A"\nline 2' },
        { stepId: 'b', position: 1, state: 'skipped', attempts: 0 },
      ],
    });
    const w5 = (await store.history.exportRuns({ ...WINDOW, workflow: 'wf', limit: 10 })).runs.find((r) => r.id === 'w5');
    expect(w5).toMatchObject({ state: 'cancelled', endedAt: DAY0 + D + 2 * H });
    expect(w5 && 'startedAt' in w5).toBe(false);
  });

  test('history: hourly load counts runs by the hour they became due and spreads attempt seconds over the hours they overlap', async () => {
    const store = get();
    const M = 60_000;
    // q1 (wf): a from 0:10 to 1:00 (ends on the boundary: all in hour 0), b from 1:00 to 3:30.
    await writeRun(store, { id: 'q1', workflow: 'wf', state: 'succeeded', start: DAY0 + 10 * M, ms: 200 * M, steps: [{ id: 'a', state: 'succeeded', ms: 50 * M }, { id: 'b', state: 'succeeded', ms: 150 * M }] }, { logsDir: '/tmp/l' });
    // q2 (etl): load from 2:30 to 3:15.
    await writeRun(store, { id: 'q2', workflow: 'etl', state: 'failed', start: DAY0 + 150 * M, ms: 45 * M, steps: [{ id: 'load', state: 'failed', ms: 45 * M, error: 'x' }] }, { logsDir: '/tmp/l' });
    // before: created before the window, its attempt from −0:30 to 0:30 counts only from 0:00.
    await writeRun(store, { id: 'before', workflow: 'wf', state: 'succeeded', start: DAY0 - 30 * M, ms: 60 * M, steps: [{ id: 'a', state: 'succeeded', ms: 60 * M }] }, { logsDir: '/tmp/l' });
    // busy: queued in hour 3, its attempt still running (not counted until it ends).
    await writeRun(store, { id: 'busy', workflow: 'wf', state: 'running', start: DAY0 + 185 * M, ms: 0, steps: [{ id: 'a', state: 'running', ms: 0 }] }, { logsDir: '/tmp/l' });
    // later: created in hour 1, due (and so queued) in hour 4.
    await store.createRun({ id: 'later', workflow: 'wf', version: 'v1', state: 'pending', trigger: 'api', params: {}, priority: 0, stepCount: 0, createdAt: DAY0 + 70 * M, dueAt: DAY0 + 4 * H }, [], []);
    const q = { since: DAY0, until: DAY0 + 5 * H };
    const load = await store.history.hourlyLoad(q);
    expect(load).toStrictEqual([
      { start: DAY0, queuedRuns: 1, stepSeconds: 3000 + 1800 },
      { start: DAY0 + H, queuedRuns: 0, stepSeconds: 3600 },
      { start: DAY0 + 2 * H, queuedRuns: 1, stepSeconds: 3600 + 1800 },
      { start: DAY0 + 3 * H, queuedRuns: 1, stepSeconds: 1800 + 900 },
      { start: DAY0 + 4 * H, queuedRuns: 1, stepSeconds: 0 },
    ]);
    expect((await store.history.hourlyLoad({ ...q, workflow: 'etl' })).map((h) => [h.queuedRuns, h.stepSeconds]))
      .toEqual([[0, 0], [0, 0], [1, 1800], [0, 900], [0, 0]]);
    // A window ending at 2:00 cuts b at the boundary.
    expect((await store.history.hourlyLoad({ since: DAY0 + H, until: DAY0 + 2 * H })).map((h) => h.stepSeconds)).toEqual([3600]);
    expect(await store.history.hourlyLoad({ since: DAY0, until: DAY0 })).toStrictEqual([]);
    await expect(store.history.hourlyLoad({ since: DAY0 + 1, until: DAY0 + H })).rejects.toThrow(RangeError);
    await expect(store.history.hourlyLoad({ since: DAY0, until: DAY0 + 9 * 168 * H })).rejects.toThrow(RangeError);
  });
}
