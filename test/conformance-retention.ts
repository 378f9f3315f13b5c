/**
 * The retention part of the Store conformance suite: the bounded steps a pruner is made of
 * (retire runs, delete a retired run's rows in batches, walk finished runs for their events
 * and logs), their guards (an unfinished run is never touched, whatever ids are passed),
 * the dry-run counts, and the leader lease.
 */
import { expect } from 'vitest';
import type { Store } from '../src/index.js';
import { waitFor } from './helpers.js';
import type { RunFix, Test } from './conformance-history.js';
import { D, DAY0, writeRun } from './conformance-history.js';

/** "Now" of the retention cases; runs ended before NOW - 7 d are past a 7 d retention. */
const NOW = DAY0 + 30 * D;
const CUTOFF = NOW - 7 * D;

const steps2 = (ms = 5): RunFix['steps'] => [{ id: 'a', state: 'succeeded', ms }, { id: 'b', state: 'succeeded', ms }];

/**
 * o1, o2 (wf) and o3 (etl) ended 10, 9 and 8 days ago; n1 a day ago; `busy` started 20 days
 * ago and still runs; `waiting` was created 20 days ago and is still queued.
 */
const RUNS: RunFix[] = [
  { id: 'o1', workflow: 'wf', state: 'succeeded', start: NOW - 10 * D, ms: 100, steps: steps2() },
  { id: 'o2', workflow: 'wf', state: 'failed', start: NOW - 9 * D, ms: 100, steps: [{ id: 'a', state: 'failed', ms: 5, error: 'x' }, { id: 'b', state: 'skipped' }] },
  { id: 'o3', workflow: 'etl', state: 'cancelled', start: NOW - 8 * D, ms: 100, steps: steps2() },
  { id: 'n1', workflow: 'wf', state: 'succeeded', start: NOW - 1 * D, ms: 100, steps: steps2() },
  { id: 'busy', workflow: 'wf', state: 'running', start: NOW - 20 * D, ms: 0, steps: [{ id: 'a', state: 'succeeded', ms: 5 }, { id: 'b', state: 'running', ms: 5 }] },
];

async function seed(store: Store): Promise<void> {
  for (const r of RUNS) await writeRun(store, r, { logsDir: '/logs', extraEvents: r.id === 'o1' ? 5 : 0 });
  await store.createRun({ id: 'waiting', workflow: 'wf', version: 'v1', state: 'queued', trigger: 'manual', params: {}, priority: 0, stepCount: 1, createdAt: NOW - 20 * D },
    [{ runId: 'waiting', stepId: 'a', position: 0, state: 'pending', attempts: 0, lostAttempts: 0 }], [{ runId: 'waiting', type: 'run', to: 'queued', at: NOW - 20 * D }]);
  await store.saveBatchGroups('o1', 'a', [0, 1, 2].map((index) => ({ index, items: [index], state: 'succeeded' as const, attempts: 1, outputs: [index], updatedAt: NOW - 10 * D })));
}

/** Everything a store holds of a run, as counts. */
async function holds(store: Store, id: string): Promise<{ run: boolean; steps: number; attempts: number; events: number }> {
  return {
    run: (await store.getRun(id)) !== undefined,
    steps: (await store.getStepRuns(id)).length,
    attempts: (await store.getAttempts(id)).length,
    events: (await store.getEvents(id)).length,
  };
}

/** The retention cases, registered with the suite's `test`. */
export function retentionConformance(test: Test, get: () => Store): void {
  test('retention: retires finished runs ended before the cutoff, oldest first, at most limit, in scope; never an unfinished run', async () => {
    const store = get();
    await seed(store);
    const r = store.retention;
    expect(await r.retireRuns({ before: CUTOFF }, 2)).toEqual(['o1', 'o2']);
    expect(await r.retireRuns({ before: CUTOFF, exceptWorkflows: ['etl'] }, 10)).toEqual([]);
    expect(await r.retireRuns({ before: CUTOFF, workflow: 'wf' }, 10)).toEqual([]);
    expect(await r.retireRuns({ before: CUTOFF, workflow: 'etl' }, 10)).toEqual(['o3']);
    expect(await r.retireRuns({ before: NOW }, 10)).toEqual(['n1']);
    expect(await r.retireRuns({ before: NOW + 365 * D }, 10)).toEqual([]);
    for (const id of ['o1', 'o2', 'o3', 'n1']) expect(await store.getRun(id)).toBeUndefined();
    expect(await holds(store, 'busy')).toEqual({ run: true, steps: 2, attempts: 2, events: 3 });
    expect((await store.getRun('waiting'))?.state).toBe('queued');
    expect(await r.countRetired()).toBe(4);
    // Retired rows are gone for every reader: the run cannot be resumed or re-run.
    await expect(store.resolveRunId('o1')).rejects.toThrow(/no run/);
  });

  test('retention: a retired run\'s rows go in batches of at most limit rows, attempts after their logs are read, the tombstone last', async () => {
    const store = get();
    await seed(store);
    const r = store.retention;
    await store.api.createWebhookRun({ workflow: 'wf', id: 'd1', receivedAt: NOW - 10 * D },
      { id: 'o4', workflow: 'wf', version: 'v1', state: 'succeeded', trigger: 'webhook', params: {}, priority: 0, stepCount: 0, createdAt: NOW - 10 * D, endedAt: NOW - 10 * D }, [], []);
    await store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], events: [], runs: [{ id: 'o4', state: 'succeeded', endedAt: NOW - 10 * D }] });
    expect((await r.retireRuns({ before: NOW - 9.5 * D }, 10)).sort()).toEqual(['o1', 'o4']);
    expect((await r.retiredRuns(10)).sort()).toEqual(['o1', 'o4']);
    // o1: 8 events (first, 2 steps, 5 extra), 2 step runs, 3 batch groups, 2 attempts; o4: 1 delivery.
    const ids = ['o1', 'o4'];
    expect(await r.dropRetired(ids, 5)).toEqual({ events: 5, stepRuns: 0, batchGroups: 0, webhookDeliveries: 0, logChunks: 0, runs: 0 });
    expect(await r.dropRetired(ids, 5)).toEqual({ events: 3, stepRuns: 2, batchGroups: 0, webhookDeliveries: 0, logChunks: 0, runs: 0 });
    // Budget left, but o1's attempts are still there: only o4 is gone entirely.
    expect(await r.dropRetired(ids, 5)).toEqual({ events: 0, stepRuns: 0, batchGroups: 3, webhookDeliveries: 1, logChunks: 0, runs: 1 });
    expect(await r.retiredRuns(10)).toEqual(['o1']);
    const first = await r.retiredAttempts(['o1'], 1);
    expect(first).toEqual([{ id: 'o1.a.1', runId: 'o1', logPath: '/logs/o1/a.1.log' }]);
    expect(await r.deleteRetiredAttempts(first.map((a) => a.id))).toBe(1);
    expect(await r.retiredAttempts(['o1'], 10)).toEqual([{ id: 'o1.b.1', runId: 'o1', logPath: '/logs/o1/b.1.log' }]);
    expect(await r.deleteRetiredAttempts(['o1.b.1'])).toBe(1);
    expect(await r.dropRetired(ids, 5)).toEqual({ events: 0, stepRuns: 0, batchGroups: 0, webhookDeliveries: 0, logChunks: 0, runs: 1 });
    expect(await r.retiredRuns(10)).toEqual([]);
    expect(await r.countRetired()).toBe(0);
    expect(await holds(store, 'o1')).toEqual({ run: false, steps: 0, attempts: 0, events: 0 });
    expect(await store.getBatchGroups('o1', 'a')).toEqual([]);
    // A replayed delivery of a pruned run creates a new run: its record went with the run.
    expect((await store.api.createWebhookRun({ workflow: 'wf', id: 'd1', receivedAt: NOW },
      { id: 'o5', workflow: 'wf', version: 'v1', state: 'queued', trigger: 'webhook', params: {}, priority: 0, stepCount: 0, createdAt: NOW }, [], [])).created).toBe(true);
  });

  test('retention: ids of runs that are not retired delete nothing, whatever is passed', async () => {
    const store = get();
    await seed(store);
    const r = store.retention;
    expect(await r.retiredAttempts(['busy', 'n1', 'o1'], 10)).toEqual([]);
    expect(await r.deleteRetiredAttempts(['busy.a.1', 'n1.a.1', 'o1.a.1'])).toBe(0);
    expect(await r.dropRetired(['busy', 'n1', 'o1', 'waiting'], 100)).toEqual({ events: 0, stepRuns: 0, batchGroups: 0, webhookDeliveries: 0, logChunks: 0, runs: 0 });
    expect(await holds(store, 'busy')).toEqual({ run: true, steps: 2, attempts: 2, events: 3 });
    expect(await holds(store, 'o1')).toEqual({ run: true, steps: 2, attempts: 2, events: 8 });
  });

  test('retention: events of finished runs go in batches, walking runs oldest first with a cursor; the runs stay', async () => {
    const store = get();
    await seed(store);
    const r = store.retention;
    const scope = { before: CUTOFF, exceptWorkflows: ['etl'] };
    // o1 has 8 events, o2 3; limit 6: o1's first 6.
    const a = await r.pruneEvents(scope, undefined, 6);
    expect(a).toEqual({ deleted: 6, done: false });
    // o1's 2 left and 4 of... o2 has only 3: budget left, both done.
    const b = await r.pruneEvents(scope, a.cursor, 6);
    expect(b).toEqual({ deleted: 5, cursor: { id: 'o2', endedAt: NOW - 9 * D + 100 }, done: true });
    expect(await r.pruneEvents(scope, b.cursor, 6)).toEqual({ deleted: 0, cursor: b.cursor, done: true });
    expect(await holds(store, 'o1')).toEqual({ run: true, steps: 2, attempts: 2, events: 0 });
    expect(await holds(store, 'o2')).toEqual({ run: true, steps: 2, attempts: 1, events: 0 });
    expect((await store.getEvents('o3')).length).toBe(3);
    expect((await store.getEvents('n1')).length).toBe(3);
    expect((await store.getEvents('busy')).length).toBe(3);
    // A cursor part-way: a full budget that ends inside a run keeps the cursor before it.
    const c = await r.pruneEvents({ before: NOW }, undefined, 4);
    expect(c).toEqual({ deleted: 4, cursor: { id: 'o3', endedAt: NOW - 8 * D + 100 }, done: false });
    expect(await r.pruneEvents({ before: NOW }, c.cursor, 4)).toEqual({ deleted: 2, cursor: { id: 'n1', endedAt: NOW - D + 100 }, done: true });
    expect((await store.getEvents('busy')).length).toBe(3);
    // `from`: only runs that ended at or after it.
    await writeRun(store, { id: 'o6', workflow: 'wf', state: 'succeeded', start: NOW - 12 * D, ms: 1, steps: [] });
    await writeRun(store, { id: 'o7', workflow: 'wf', state: 'succeeded', start: NOW - 14 * D, ms: 1, steps: [] });
    expect(await r.pruneEvents({ before: CUTOFF, from: NOW - 13 * D }, undefined, 10)).toMatchObject({ deleted: 1, done: true });
    expect((await store.getEvents('o7')).length).toBe(1);
  });

  test('retention: logs of finished runs are listed in batches, walking runs with a cursor; forgetLogs clears each path once', async () => {
    const store = get();
    await seed(store);
    const r = store.retention;
    const a = await r.expiredLogs({ before: CUTOFF }, undefined, 2);
    expect(a).toEqual({ attempts: [{ id: 'o1.a.1', runId: 'o1', logPath: '/logs/o1/a.1.log' }, { id: 'o1.b.1', runId: 'o1', logPath: '/logs/o1/b.1.log' }], done: false });
    expect(await r.forgetLogs(['o1.a.1', 'o1.b.1'])).toBe(2);
    expect(await r.forgetLogs(['o1.a.1'])).toBe(0);
    const b = await r.expiredLogs({ before: CUTOFF }, a.cursor, 2);
    // o1 has none left; o2 ran one attempt; o3 two: the budget ends inside o3.
    expect(b).toEqual({ attempts: [{ id: 'o2.a.1', runId: 'o2', logPath: '/logs/o2/a.1.log' }, { id: 'o3.a.1', runId: 'o3', logPath: '/logs/o3/a.1.log' }], cursor: { id: 'o2', endedAt: NOW - 9 * D + 100 }, done: false });
    await r.forgetLogs(b.attempts.map((x) => x.id));
    const c = await r.expiredLogs({ before: CUTOFF }, b.cursor, 2);
    expect(c).toEqual({ attempts: [{ id: 'o3.b.1', runId: 'o3', logPath: '/logs/o3/b.1.log' }], cursor: { id: 'o3', endedAt: NOW - 8 * D + 100 }, done: true });
    expect((await store.getAttempts('o1')).map((x) => x.logPath)).toEqual([undefined, undefined]);
    expect((await store.getAttempts('busy')).map((x) => x.logPath)).toEqual(['/logs/busy/a.1.log', '/logs/busy/b.1.log']);
    expect((await store.getAttempts('n1')).every((x) => x.logPath !== undefined)).toBe(true);
  });

  test('retention: counts what a scope holds (dry run) and changes nothing', async () => {
    const store = get();
    await seed(store);
    const r = store.retention;
    expect(await r.countPrunable({ before: CUTOFF })).toEqual({ runs: 3, stepRuns: 6, attempts: 5, events: 8 + 3 + 3, batchGroups: 3, logFiles: 5 });
    expect(await r.countPrunable({ before: CUTOFF, workflow: 'etl' })).toEqual({ runs: 1, stepRuns: 2, attempts: 2, events: 3, batchGroups: 0, logFiles: 2 });
    expect(await r.countPrunable({ before: CUTOFF, from: NOW - 9.5 * D, exceptWorkflows: ['etl'] })).toEqual({ runs: 1, stepRuns: 2, attempts: 1, events: 3, batchGroups: 0, logFiles: 1 });
    expect(await holds(store, 'o1')).toEqual({ run: true, steps: 2, attempts: 2, events: 8 });
  });

  test('retention: a leader lease has one holder at a time until it is released or expires', async () => {
    const r = get().retention;
    const now = Date.now();
    expect(await r.tryLease('prune', 'a', 60_000, now)).toBe(true);
    expect(await r.tryLease('prune', 'b', 60_000, now)).toBe(false);
    expect(await r.tryLease('prune', 'a', 60_000, now)).toBe(true); // renewed by its holder
    expect(await r.tryLease('other', 'b', 60_000, now)).toBe(true); // names are independent
    await r.releaseLease('prune', 'b'); // not b's: nothing changes
    expect(await r.tryLease('prune', 'b', 60_000, now)).toBe(false);
    await r.releaseLease('prune', 'a');
    expect(await r.tryLease('prune', 'b', 60_000, now)).toBe(true);
    // Expiry: a 1 ms lease is free again once 1 ms has passed (on PostgreSQL, database time).
    expect(await r.tryLease('short', 'a', 1, Date.now())).toBe(true);
    await waitFor(() => r.tryLease('short', 'b', 60_000, Date.now()), 2_000, 'the 1 ms lease to expire');
    expect(await r.tryLease('short', 'a', 60_000, Date.now())).toBe(false);
  });
}
