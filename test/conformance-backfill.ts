/**
 * The backfill part of the Store conformance suite: `baton backfill` records each past tick
 * through `Store.fireTick`, under the key the live scheduler uses, so on every store a tick
 * gets one run whether a backfill, a second backfill or the scheduler records it first.
 * Time is an argument throughout (a fixed "now"), never the wall clock.
 */
import { expect } from 'vitest';
import type { Store } from '../src/index.js';
import { compileWorkflow, workflowVersion } from '../src/index.js';
import { BackfillError, IntakeGate, Scheduler, backfill } from '../src/triggers/index.js';
import { newRun } from '../src/runtime/index.js';
import type { Test } from './conformance-history.js';

const H = 3_600_000;
/** 2026-03-02 00:00 UTC; the schedule fires hourly. */
const DAY = Date.UTC(2026, 2, 2);
const NOW = DAY + 24 * H;

const spec = compileWorkflow({
  name: 'hourly-report',
  params: { region: { type: 'string' }, limit: { type: 'integer', default: 5 } },
  schedule: { cron: '0 * * * *', timezone: 'UTC', params: { region: 'eu' }, misfire: 'catch-up', overlap: 'skip' },
  steps: [{ id: 'a', run: 'true' }, { id: 'b', run: 'true', needs: ['a'] }],
}, { baseDir: '/' });
const version = workflowVersion(spec);

/** Adds the backfill cases to a conformance suite; `store()` is the store under test. */
export function backfillConformance(test: Test, store: () => Store): void {
  test('backfill: one queued run per tick, trigger backfill, with the tick and the schedule\'s params; a second backfill creates only new ticks', async () => {
    const s = store();
    const first = await backfill(s, spec, version, { from: DAY, to: DAY + 3 * H, now: NOW });
    expect(first.ticks).toEqual([DAY, DAY + H, DAY + 2 * H, DAY + 3 * H]);
    expect(first.created.map((c) => c.tickAt)).toEqual(first.ticks);
    expect(first.present).toEqual([]);
    const run = await s.getRun(first.created[0]!.runId);
    expect(run).toMatchObject({
      workflow: 'hourly-report', version, state: 'queued', trigger: 'backfill', params: { region: 'eu', limit: 5 },
      scheduleId: 'hourly-report/default', tickAt: DAY, stepCount: 2,
    });
    // overlap: skip does not drop backfilled ticks, nor make them wait on each other: whoever executes them sets the pace.
    expect(run?.waitForSchedule ?? false).toBe(false);
    expect((await s.getWorkflow(version))?.name).toBe('hourly-report');

    const second = await backfill(s, spec, version, { from: DAY + 2 * H, to: DAY + 5 * H, now: NOW + 1 });
    expect(second.present).toEqual([DAY + 2 * H, DAY + 3 * H]);
    expect(second.created.map((c) => c.tickAt)).toEqual([DAY + 4 * H, DAY + 5 * H]);
    const runs = await s.listRuns({ workflow: 'hourly-report', limit: 100 });
    expect(runs.map((r) => r.tickAt).sort((a, b) => a! - b!)).toEqual([0, 1, 2, 3, 4, 5].map((i) => DAY + i * H));
  });

  test('backfill: two backfills of one range at once create each tick\'s run once', async () => {
    const s = store();
    const [a, b] = await Promise.all([
      backfill(s, spec, version, { from: DAY, to: DAY + 9 * H, now: NOW }),
      backfill(s, spec, version, { from: DAY, to: DAY + 9 * H, now: NOW }),
    ]);
    expect(a.created.length + b.created.length).toBe(10);
    expect(a.present.length + b.present.length).toBe(10);
    expect(await s.listRuns({ workflow: 'hourly-report', limit: 100 })).toHaveLength(10);
  });

  test('backfill: a tick the scheduler fired is present for a backfill, and a backfilled tick is not fired again', async () => {
    const s = store();
    await s.saveWorkflow({ version, name: spec.name, definition: JSON.parse(JSON.stringify(spec)) as never, createdAt: DAY });
    // Registered at 00:30; the scheduler catches up at 02:30 on the ticks of 01:00 and 02:00.
    await s.saveSchedules(spec.name, version, spec.schedules, DAY + H / 2);
    const scheduler = new Scheduler(s, { specOf: () => Promise.resolve(spec) });
    const fired = await scheduler.check(DAY + 2.5 * H);
    expect(fired.map((f) => [f.tickAt, f.outcome])).toEqual([[DAY + H, 'created'], [DAY + 2 * H, 'created']]);
    const report = await backfill(s, spec, version, { from: DAY, to: DAY + 4 * H, now: DAY + 4.5 * H });
    expect(report.present).toEqual([DAY + H, DAY + 2 * H]);
    expect(report.created.map((c) => c.tickAt)).toEqual([DAY, DAY + 3 * H, DAY + 4 * H]);
    // The scheduler's next check has nothing left to fire for those ticks.
    expect(await scheduler.check(DAY + 4.5 * H)).toEqual([]);
    const runs = await s.listRuns({ workflow: 'hourly-report', limit: 100 });
    expect(runs).toHaveLength(5);
    expect(runs.filter((r) => r.trigger === 'schedule')).toHaveLength(2);
  });

  test('a tick refused by intake backpressure is recorded once as skipped-backpressure, with no run; the next tick fires once the depth fell', async () => {
    const s = store();
    await s.saveWorkflow({ version, name: spec.name, definition: JSON.parse(JSON.stringify(spec)) as never, createdAt: DAY });
    await s.saveSchedules(spec.name, version, spec.schedules, DAY + H / 2);
    // One run waits to start: at the limit of 1.
    const waiting = newRun(spec, version, { trigger: 'manual', params: { region: 'us' } }, DAY);
    await s.createRun(waiting.record, waiting.steps, waiting.events);
    expect(await s.api.waitingRuns()).toBe(1);
    const gate = new IntakeGate({ store: s, limits: { warning: 1, critical: 1, reject: 1, retryAfterMs: 1000 }, now: () => 0, cacheMs: 0 });
    const scheduler = new Scheduler(s, { specOf: () => Promise.resolve(spec), intake: gate });
    const second = new Scheduler(s, { specOf: () => Promise.resolve(spec), intake: gate });
    const [a, b] = await Promise.all([scheduler.check(DAY + H + 1000), second.check(DAY + H + 1000)]);
    expect([...a, ...b].map((f) => [f.tickAt, f.outcome])).toEqual([[DAY + H, 'skipped-backpressure']]);
    expect((await s.listRuns({ workflow: 'hourly-report', limit: 10 })).map((r) => r.id)).toEqual([waiting.record.id]);
    expect((await s.listSchedules())[0]).toMatchObject({ lastTickAt: DAY + H, lastOutcome: 'skipped-backpressure' });
    await s.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [{ id: waiting.record.id, state: 'cancelled', endedAt: DAY + H }], events: [] });
    expect((await scheduler.check(DAY + 2 * H + 1000)).map((f) => [f.tickAt, f.outcome])).toEqual([[DAY + 2 * H, 'created']]);
    expect((await s.listSchedules())[0]!.lastOutcome).toBe('created');
  });

  test('backfill: a dry run writes nothing; a range ending in the future is refused', async () => {
    const s = store();
    const dry = await backfill(s, spec, version, { from: DAY, to: DAY + 2 * H, now: NOW, dryRun: true });
    expect(dry.ticks).toHaveLength(3);
    expect(dry.created).toEqual([]);
    expect(await s.listRuns({ workflow: 'hourly-report', limit: 10 })).toEqual([]);
    await expect(backfill(s, spec, version, { from: DAY, to: NOW + 1, now: NOW })).rejects.toThrow(BackfillError);
    expect(await s.listRuns({ workflow: 'hourly-report', limit: 10 })).toEqual([]);
  });
}
