/**
 * The alert part of the event feed, in the Store conformance suite (test/store-conformance.test.ts
 * runs it against SQLite and PostgreSQL alike): every alert change is an `alert` event of
 * the feed, written in the transaction of the change (a change refused by its guard writes
 * none), read in commit order among run and step events, through the feed's filters, and
 * deleted with its alert.
 */
import { expect } from 'vitest';
import type { FeedEvent, FeedFilter, Store } from '../src/index.js';
import type { AlertRecord } from '../src/store/index.js';
import type { Test } from './conformance-history.js';
import { waitFor } from './helpers.js';

const T0 = 1_700_000_000_000;

const alert = (id: string, subject: Record<string, string>, o: Partial<AlertRecord> = {}): AlertRecord => ({
  id, key: `rule|${id}`, rule: 'step-broke', kind: 'step-failed', severity: 'critical', state: 'firing', summary: `summary of ${id}`, subject,
  labels: { rule: 'step-broke' }, groupKey: 'step-broke|', firedAt: T0, updatedAt: T0, count: 1, level: 0, round: 0, escalationDone: false, version: 0, ...o,
});

/** The feed from the start, once `n` events are readable (PostgreSQL holds back events while older transactions run anywhere on the server). */
async function feed(store: Store, n: number, filter: FeedFilter = {}): Promise<FeedEvent[]> {
  await waitFor(async () => (await store.api.eventsAfter(undefined, {}, 1000)).length >= n || undefined, 10_000, `${n} events in the feed`);
  return store.api.eventsAfter(undefined, filter, 1000);
}

const brief = (e: FeedEvent): string => `${e.type}:${e.runId}:${e.from ?? ''}>${e.to ?? ''}${e.type === 'alert' ? `:${e.data?.change as string}` : ''}`;

/** Registers the cases on the suite's `test`; `store()` is the store of the running case, with workflow `wf` (version v1) saved. */
export function alertFeedConformance(test: Test, store: () => Store): void {
  const run = async (s: Store, id: string, workflow = 'wf'): Promise<void> => {
    await s.createRun({ id, workflow, version: 'v1', state: 'queued', trigger: 'manual', params: {}, priority: 0, stepCount: 1, createdAt: T0 },
      [{ runId: id, stepId: 'a', position: 0, state: 'pending', attempts: 0, lostAttempts: 0 }], [{ runId: id, type: 'run', to: 'queued', at: T0 }]);
  };
  const step = (runId: string, to: string, at: number) => ({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [{ runId, type: 'step', stepId: 'a', from: 'running', to, at }] });

  test('alert changes are events of the feed: written with the change, in commit order, with the alert as it was', async () => {
    const s = store();
    await run(s, 'r1');
    const a = alert('al1', { workflow: 'wf', stepId: 'a' }, { details: { runId: 'r1' } });
    expect((await s.alerts.open(a, { alertId: 'al1', at: T0 + 1, type: 'fired', actor: 'system', note: 'boom' })).created).toBe(true);
    await s.commit(step('r1', 'failed', T0 + 2));
    expect(await s.alerts.apply({ updates: [{ id: 'al1', version: 0, patch: { state: 'acknowledged', acknowledgedAt: T0 + 3, acknowledgedBy: 'token:amy', updatedAt: T0 + 3 }, event: { alertId: 'al1', at: T0 + 3, type: 'acknowledged', actor: 'token:amy' } }] })).toBe(true);
    // Delivery progress is not a change the feed carries; an escalation is, in the same state.
    expect(await s.alerts.apply({ updates: [{ id: 'al1', version: 1, patch: { notified: 'firing', notifiedAt: T0 + 4 }, event: { alertId: 'al1', at: T0 + 4, type: 'notified', actor: 'system' } }] })).toBe(true);
    expect(await s.alerts.apply({ updates: [{ id: 'al1', version: 2, patch: { level: 1 }, event: { alertId: 'al1', at: T0 + 5, type: 'escalated', actor: 'system' } }] })).toBe(true);
    expect(await s.alerts.apply({ updates: [{ id: 'al1', version: 3, patch: { state: 'resolved', resolvedAt: T0 + 6, updatedAt: T0 + 6 }, event: { alertId: 'al1', at: T0 + 6, type: 'resolved', actor: 'system' } }] })).toBe(true);
    const events = await feed(s, 6);
    expect(events.map(brief)).toEqual([
      'run:r1:>queued', 'alert:r1:>firing:fired', 'step:r1:running>failed', 'alert:r1:firing>acknowledged:acknowledged',
      'alert:r1:acknowledged>acknowledged:escalated', 'alert:r1:acknowledged>resolved:resolved',
    ]);
    const fired = events[1]!;
    expect(fired).toMatchObject({ type: 'alert', alertId: 'al1', runId: 'r1', stepId: 'a', at: T0 + 1, workflow: 'wf' });
    expect(fired.data).toEqual({ alertId: 'al1', rule: 'step-broke', kind: 'step-failed', severity: 'critical', summary: 'summary of al1', change: 'fired', actor: 'system', subject: { workflow: 'wf', stepId: 'a' } });
    expect(events[3]!.data).toMatchObject({ change: 'acknowledged', actor: 'token:amy' });
    // Cursors resume exactly after an alert event, as after any other.
    expect((await s.api.eventsAfter(fired.cursor, {}, 1000)).map(brief)).toEqual(events.slice(2).map(brief));
    // The alert's own history is unchanged: every change, `notified` included.
    expect((await s.alerts.events('al1')).map((e) => e.type)).toEqual(['fired', 'acknowledged', 'notified', 'escalated', 'resolved']);
    // A run's events hold the changes of alerts about it.
    expect((await s.getEvents('r1')).filter((e) => e.type === 'alert').map((e) => e.alertId)).toEqual(['al1', 'al1', 'al1', 'al1']);
  });

  test('a refused alert change writes no event: an open of a key already open, an update of a stale version', async () => {
    const s = store();
    await run(s, 'r1');
    await s.alerts.open(alert('al1', { workflow: 'wf', runId: 'r1' }), { alertId: 'al1', at: T0, type: 'fired', actor: 'system' });
    expect((await s.alerts.open(alert('al2', { workflow: 'wf', runId: 'r1' }, { key: 'rule|al1' }), { alertId: 'al2', at: T0, type: 'fired', actor: 'system' })).created).toBe(false);
    expect(await s.alerts.apply({ updates: [{ id: 'al1', version: 7, patch: { state: 'acknowledged' }, event: { alertId: 'al1', at: T0 + 1, type: 'acknowledged', actor: 'x' } }] })).toBe(false);
    await run(s, 'r2');
    const events = await feed(s, 3);
    expect(events.map(brief)).toEqual(['run:r1:>queued', 'alert:r1:>firing:fired', 'run:r2:>queued']);
  });

  test("the feed's filters take alert events: by type, by the run and by the workflow they are about; alerting's reading of ends leaves them out", async () => {
    const s = store();
    await s.saveWorkflow({ version: 'v2', name: 'etl', definition: { z: 1 }, createdAt: T0 });
    await run(s, 'r1');
    await run(s, 'e1', 'etl');
    await s.alerts.open(alert('al1', { workflow: 'wf', runId: 'r1' }), { alertId: 'al1', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.open(alert('al2', { worker: 'w-9' }, { key: 'k2', details: { runId: 'e1', stepId: 'a' } }), { alertId: 'al2', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.open(alert('al3', { schedule: 'nightly' }, { key: 'k3' }), { alertId: 'al3', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.open(alert('al4', { workflow: 'wf' }, { key: 'k4', state: 'silenced' }), { alertId: 'al4', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.apply({ updates: [{ id: 'al4', version: 0, patch: { state: 'firing' }, event: { alertId: 'al4', at: T0 + 1, type: 'unsilenced', actor: 'system' } }] });
    const all = await feed(s, 7);
    const id = (e: FeedEvent): string => e.alertId ?? `${e.type}:${e.runId}`;
    expect(all.map(id)).toEqual(['run:r1', 'run:e1', 'al1', 'al2', 'al3', 'al4', 'al4']);
    // About no run and no workflow: '' for both.
    expect(all[4]).toMatchObject({ runId: '', workflow: '' });
    expect(all.at(-1)).toMatchObject({ from: 'silenced', to: 'firing', runId: '', workflow: 'wf' });
    expect((await s.api.eventsAfter(undefined, { type: 'alert' }, 100)).map(id)).toEqual(['al1', 'al2', 'al3', 'al4', 'al4']);
    expect((await s.api.eventsAfter(undefined, { type: 'run' }, 100)).map(id)).toEqual(['run:r1', 'run:e1']);
    expect((await s.api.eventsAfter(undefined, { runId: 'r1' }, 100)).map(id)).toEqual(['run:r1', 'al1']);
    // A worker's alert about a step of e1 is e1's, and its workflow is the run's.
    expect((await s.api.eventsAfter(undefined, { runId: 'e1' }, 100)).map((e) => `${id(e)}:${e.workflow}`)).toEqual(['run:e1:etl', 'al2:etl']);
    expect((await s.api.eventsAfter(undefined, { workflow: 'wf' }, 100)).map(id)).toEqual(['run:r1', 'al1', 'al4', 'al4']);
    expect((await s.api.eventsAfter(undefined, { workflow: 'wf', type: 'alert' }, 100)).map(id)).toEqual(['al1', 'al4', 'al4']);
    const quiet = { versions: ['v1'], openSteps: [], cpuWindowMs: 60_000 };
    expect((await s.api.eventsAfter(undefined, { ends: true, quiet }, 100)).map(id)).toEqual(['run:r1', 'run:e1']);
    expect(await s.api.eventsAfter(undefined, { ends: true }, 100)).toEqual([]);
  });

  test('pruning a resolved alert deletes its feed events; the events of runs stay', async () => {
    const s = store();
    await run(s, 'r1');
    await s.alerts.open(alert('al1', { workflow: 'wf', runId: 'r1' }), { alertId: 'al1', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.open(alert('al2', { worker: 'w-9' }, { key: 'k2' }), { alertId: 'al2', at: T0, type: 'fired', actor: 'system' });
    for (const a of ['al1', 'al2']) {
      await s.alerts.apply({ updates: [{ id: a, version: 0, patch: { state: 'resolved', resolvedAt: T0 + 1 }, event: { alertId: a, at: T0 + 1, type: 'resolved', actor: 'system' } }] });
    }
    await s.alerts.open(alert('al3', { worker: 'w-8' }, { key: 'k3' }), { alertId: 'al3', at: T0, type: 'fired', actor: 'system' });
    expect(await feed(s, 6)).toHaveLength(6);
    expect(await s.alerts.prune(T0 + 10, 100)).toBe(2);
    expect((await s.api.eventsAfter(undefined, {}, 100)).map((e) => e.alertId ?? e.type)).toEqual(['run', 'al3']);
    expect((await s.getEvents('r1')).map((e) => e.type)).toEqual(['run']);
  });

  test("retention takes the alert events of a run with the run's other events: pruning its events, deleting the run", async () => {
    const s = store();
    for (const id of ['old', 'older']) {
      await run(s, id);
      await s.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], events: [], runs: [{ id, state: 'succeeded', endedAt: T0 + 1 }] });
    }
    await s.alerts.open(alert('al1', { workflow: 'wf', runId: 'old' }), { alertId: 'al1', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.open(alert('al2', { workflow: 'wf', runId: 'older' }, { key: 'k2' }), { alertId: 'al2', at: T0, type: 'fired', actor: 'system' });
    await s.alerts.open(alert('al3', { worker: 'w-1' }, { key: 'k3' }), { alertId: 'al3', at: T0, type: 'fired', actor: 'system' });
    expect(await feed(s, 5)).toHaveLength(5);
    expect((await s.retention.pruneEvents({ before: T0 + 2, exceptWorkflows: [] }, undefined, 100)).deleted).toBe(4);
    expect((await s.api.eventsAfter(undefined, {}, 100)).map((e) => e.alertId ?? e.type)).toEqual(['al3']);
    await run(s, 'gone');
    await s.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], events: [], runs: [{ id: 'gone', state: 'failed', endedAt: T0 + 1 }] });
    await s.alerts.open(alert('al4', { workflow: 'wf', runId: 'gone' }, { key: 'k4' }), { alertId: 'al4', at: T0, type: 'fired', actor: 'system' });
    expect(await s.retention.retireRuns({ before: T0 + 2, exceptWorkflows: [] }, 10)).toContain('gone');
    for (let i = 0; i < 5 && (await s.retention.retiredRuns(10)).length; i++) await s.retention.dropRetired(await s.retention.retiredRuns(10), 100);
    expect((await s.api.eventsAfter(undefined, {}, 100)).map((e) => e.alertId ?? e.type)).toEqual(['al3']);
  });
}
