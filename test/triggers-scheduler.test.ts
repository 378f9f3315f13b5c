/**
 * The scheduler on a real SQLite file with a controlled clock: every `check(now)` is given
 * its time, so hours of cron ticks, outages and DST changes run in milliseconds.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord, SqliteStore, WorkflowInput, WorkflowSpec } from '../src/index.js';
import { compileWorkflow, openSqliteStore, workflowVersion } from '../src/index.js';
import { newRunId, workflowRecord } from '../src/runtime/index.js';
import { nextFireTimes } from '../src/workflow/index.js';
import type { FiredTick } from '../src/triggers/index.js';
import { Scheduler } from '../src/triggers/index.js';
import { tempDir } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
/** A Monday, 12:00:00 UTC: on a tick of every schedule used here. */
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

let dir: string;
let store: SqliteStore;
beforeEach(async () => {
  dir = tempDir('baton-scheduler-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Compiles a workflow with `schedule` and one step, and registers it and its schedules at `now`. */
async function register(schedule: WorkflowInput['schedule'], now = T0, extra: Partial<WorkflowInput> = {}): Promise<{ spec: WorkflowSpec; scheduler: Scheduler }> {
  const spec = compileWorkflow({ name: 'nightly', steps: [{ id: 'a', run: 'true' }], schedule, ...extra }, { baseDir: dir });
  const version = workflowVersion(spec);
  await store.saveWorkflow(workflowRecord(spec, version, now));
  await store.saveSchedules(spec.name, version, spec.schedules, now);
  const scheduler = new Scheduler(store, { specOf: (v) => Promise.resolve(v === version ? spec : undefined) });
  return { spec, scheduler };
}

const runs = async (): Promise<RunRecord[]> => (await store.listRuns({ limit: 1000 })).sort((a, b) => (a.tickAt ?? 0) - (b.tickAt ?? 0));
const created = (fired: FiredTick[]): FiredTick[] => fired.filter((f) => f.outcome === 'created');
const setState = (id: string, state: RunRecord['state'], at: number) =>
  store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [{ id, state, ...(state === 'succeeded' ? { endedAt: at } : { startedAt: at }) }], events: [] });
const iso = (t: number): string => new Date(t).toISOString();

describe('on-time ticks', () => {
  it('a tick creates exactly one pending run due at the tick, with the schedule params merged over the defaults', async () => {
    const { scheduler } = await register(
      { cron: '*/5 * * * *', params: { region: 'eu' } },
      T0,
      { params: { region: { type: 'string', default: 'us' }, days: { type: 'number', default: 7 } } },
    );
    expect(await scheduler.check(T0 + 4 * MIN)).toEqual([]);

    const tick = T0 + 5 * MIN;
    const fired = await scheduler.check(tick);
    expect(fired).toMatchObject([{ scheduleId: 'nightly/default', tickAt: tick, outcome: 'created' }]);
    expect(typeof fired[0]!.runId).toBe('string');
    const [run, ...rest] = await runs();
    expect(rest).toEqual([]);
    expect(run).toMatchObject({
      id: fired[0]!.runId, workflow: 'nightly', state: 'pending', trigger: 'schedule', dueAt: tick,
      scheduleId: 'nightly/default', tickAt: tick, params: { region: 'eu', days: 7 }, stepCount: 1,
    });
    expect(run!.waitForSchedule).toBeUndefined();
    expect(await store.getStepRuns(run!.id)).toMatchObject([{ stepId: 'a', state: 'pending' }]);
    expect((await store.listSchedules())[0]!.lastTickAt).toBe(tick);

    // The same time again, and a little later: nothing new.
    expect(await scheduler.check(tick)).toEqual([]);
    expect(await scheduler.check(tick + 30_000)).toEqual([]);
    expect(await runs()).toHaveLength(1);
  });

  it('a second scheduler checking the same time creates nothing', async () => {
    const { scheduler, spec } = await register({ cron: '*/5 * * * *' });
    const other = new Scheduler(store, { specOf: () => Promise.resolve(spec) });
    expect(created(await scheduler.check(T0 + 5 * MIN))).toHaveLength(1);
    expect(await other.check(T0 + 5 * MIN)).toEqual([]);
    expect(await runs()).toHaveLength(1);
  });

  it('a 6-field cron ticks on seconds', async () => {
    const { scheduler } = await register({ cron: '*/15 * * * * *' });
    const fired = [];
    for (let t = T0; t <= T0 + MIN; t += 5_000) fired.push(...(await scheduler.check(t)));
    expect(fired.map((f) => f.tickAt)).toEqual([15, 30, 45, 60].map((s) => T0 + s * 1000));
    expect(fired.every((f) => f.outcome === 'created' || f.outcome === 'skipped-overlap')).toBe(true);
  });

  it('a list of entries gets ids s1, s2… and fires each', async () => {
    const { scheduler } = await register([{ cron: '0 * * * *' }, { cron: '30 * * * *', overlap: 'allow' }, { name: 'named', cron: '0 13 * * *' }]);
    expect((await store.listSchedules()).map((s) => s.id)).toEqual(['nightly/named', 'nightly/s1', 'nightly/s2']);
    const fired = await scheduler.check(T0 + 30 * MIN);
    expect(fired).toMatchObject([{ scheduleId: 'nightly/s2', tickAt: T0 + 30 * MIN, outcome: 'created' }]);
  });
});

describe('misfire: a 1-hour outage of a */5 schedule', () => {
  // The server was down from T0 to T0 + 62 min: ticks T0+5 … T0+60 (12) were missed.
  const back = T0 + 62 * MIN;

  it('run-once: exactly one run, for the latest missed tick', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', misfire: 'run-once' });
    const fired = await scheduler.check(back);
    expect(fired).toMatchObject([{ tickAt: T0 + 60 * MIN, outcome: 'created' }]);
    const all = await runs();
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ tickAt: T0 + 60 * MIN, dueAt: T0 + 60 * MIN, state: 'pending' });
    expect(await scheduler.check(back)).toEqual([]);
  });

  it('run-once is the default', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *' });
    expect(created(await scheduler.check(back)).map((f) => f.tickAt)).toEqual([T0 + 60 * MIN]);
  });

  it('skip: no run; the schedule moves past the outage and the next tick fires on time', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', misfire: 'skip' });
    expect(await scheduler.check(back)).toEqual([{ scheduleId: 'nightly/default', tickAt: T0 + 60 * MIN, outcome: 'skipped-misfire' }]);
    expect(await runs()).toEqual([]);
    expect(await scheduler.check(back + MIN)).toEqual([]);
    const next = await scheduler.check(T0 + 65 * MIN);
    expect(next).toMatchObject([{ tickAt: T0 + 65 * MIN, outcome: 'created' }]);
    expect((await runs()).map((r) => r.tickAt)).toEqual([T0 + 65 * MIN]);
  });

  it('catch-up: one run per missed tick (12), oldest first', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', misfire: 'catch-up', overlap: 'allow' });
    const fired = await scheduler.check(back);
    const ticks = Array.from({ length: 12 }, (_, i) => T0 + (i + 1) * 5 * MIN);
    expect(fired.map((f) => [f.tickAt, f.outcome])).toEqual(ticks.map((t) => [t, 'created']));
    expect((await runs()).map((r) => [r.tickAt, r.dueAt, r.state])).toEqual(ticks.map((t) => [t, t, 'pending']));
    expect(await scheduler.check(back)).toEqual([]);
    // Every missed tick is due already: all 12 are promoted at once (overlap: allow).
    expect(await store.promoteDueRuns(back, 100)).toHaveLength(12);
  });

  it('catch-up with overlap: queue creates all 12 and releases them one at a time, oldest first', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', misfire: 'catch-up', overlap: 'queue' });
    expect(created(await scheduler.check(back))).toHaveLength(12);
    const all = await runs();
    expect(all.map((r) => r.waitForSchedule ?? false)).toEqual([false, ...Array<boolean>(11).fill(true)]);
    let now = back;
    for (const r of all) {
      expect(await store.promoteDueRuns(now, 100)).toEqual([r.id]);
      await setState(r.id, 'succeeded', ++now);
    }
    expect(await store.promoteDueRuns(now, 100)).toEqual([]);
  });

  it('catch-up replays at most 100 ticks of a long outage and records the rest as skipped', async () => {
    const { scheduler } = await register({ cron: '* * * * *', misfire: 'catch-up', overlap: 'allow' });
    const fired = await scheduler.check(T0 + 150 * MIN + 10_000);
    const made = created(fired);
    expect(made).toHaveLength(100);
    expect(made[0]!.tickAt).toBe(T0 + MIN);
    expect(made[99]!.tickAt).toBe(T0 + 100 * MIN);
    expect(fired.at(-1)).toEqual({ scheduleId: 'nightly/default', tickAt: T0 + 150 * MIN, outcome: 'skipped-misfire' });
    expect(await scheduler.check(T0 + 150 * MIN + 20_000)).toEqual([]);
  });

  it('a tick handled within the threshold is on time (a busy server, not a missed tick)', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', misfire: 'skip' });
    expect(created(await scheduler.check(T0 + 5 * MIN + 59_000))).toHaveLength(1);
  });
});

describe('overlap', () => {
  it('skip: a tick while the previous run is pending, queued or running is skipped; after it ends the next one runs', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *' });
    const [first] = created(await scheduler.check(T0 + 5 * MIN));
    expect((await scheduler.check(T0 + 10 * MIN))).toMatchObject([{ tickAt: T0 + 10 * MIN, outcome: 'skipped-overlap' }]);
    expect(await store.promoteDueRuns(T0 + 10 * MIN, 10)).toEqual([first!.runId]);
    expect(await scheduler.check(T0 + 15 * MIN)).toMatchObject([{ outcome: 'skipped-overlap' }]);
    await setState(first!.runId!, 'running', T0 + 15 * MIN);
    expect(await scheduler.check(T0 + 20 * MIN)).toMatchObject([{ outcome: 'skipped-overlap' }]);
    await setState(first!.runId!, 'succeeded', T0 + 21 * MIN);
    expect(await scheduler.check(T0 + 25 * MIN)).toMatchObject([{ tickAt: T0 + 25 * MIN, outcome: 'created' }]);
    expect(await runs()).toHaveLength(2);
  });

  it('queue: the second run waits for the first; promoted only once the first succeeded', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', overlap: 'queue' });
    const [a] = created(await scheduler.check(T0 + 5 * MIN));
    const [b] = created(await scheduler.check(T0 + 10 * MIN));
    expect(b).toBeDefined();
    expect((await store.getRun(a!.runId!))!.waitForSchedule).toBeUndefined();
    expect((await store.getRun(b!.runId!))!.waitForSchedule).toBe(true);

    // Both are due; only the first moves.
    expect(await store.promoteDueRuns(T0 + 10 * MIN, 10)).toEqual([a!.runId]);
    expect(await store.promoteDueRuns(T0 + 11 * MIN, 10)).toEqual([]);
    await setState(a!.runId!, 'running', T0 + 11 * MIN);
    expect(await store.promoteDueRuns(T0 + 12 * MIN, 10)).toEqual([]);
    await setState(a!.runId!, 'succeeded', T0 + 12 * MIN);
    expect(await store.promoteDueRuns(T0 + 12 * MIN, 10)).toEqual([b!.runId]);
    const events = await store.getEvents(b!.runId!);
    expect(events.map((e) => [e.from, e.to])).toEqual([[undefined, 'pending'], ['pending', 'queued']]);
  });

  it('allow: both runs are created and both promoted', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', overlap: 'allow' });
    const [a] = created(await scheduler.check(T0 + 5 * MIN));
    const [b] = created(await scheduler.check(T0 + 10 * MIN));
    expect((await store.getRun(b!.runId!))!.waitForSchedule).toBeUndefined();
    expect((await store.promoteDueRuns(T0 + 10 * MIN, 10)).sort()).toEqual([a!.runId, b!.runId].sort());
  });
});

describe('paused and disabled schedules', () => {
  it('a paused schedule fires nothing; resuming does not replay the ticks that fell while paused', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', misfire: 'catch-up', overlap: 'allow' });
    expect(await store.setSchedulesPaused('nightly/default', true, T0 + MIN)).toEqual(['nightly/default']);
    expect((await store.listSchedules())[0]!.paused).toBe(true);
    expect(await scheduler.check(T0 + 60 * MIN)).toEqual([]);
    expect(await scheduler.nextTickAt(T0 + 60 * MIN)).toBeUndefined();

    // Resumed at T0+62: catch-up would replay 12 ticks if the pause counted as an outage.
    expect(await store.setSchedulesPaused('nightly', false, T0 + 62 * MIN)).toEqual(['nightly/default']);
    expect(await scheduler.check(T0 + 62 * MIN)).toEqual([]);
    expect(await scheduler.check(T0 + 64 * MIN)).toEqual([]);
    expect(await scheduler.check(T0 + 65 * MIN)).toMatchObject([{ tickAt: T0 + 65 * MIN, outcome: 'created' }]);
    expect(await runs()).toHaveLength(1);
  });

  it('pause/resume of an unknown name changes nothing', async () => {
    await register({ cron: '*/5 * * * *' });
    expect(await store.setSchedulesPaused('nope', true, T0)).toEqual([]);
    expect(await store.setSchedulesPaused('nightly/nope', true, T0)).toEqual([]);
  });

  it('enabled: false fires nothing', async () => {
    const { scheduler } = await register({ cron: '*/5 * * * *', enabled: false });
    expect(await scheduler.check(T0 + 5 * MIN)).toEqual([]);
    expect(await scheduler.check(T0 + 3 * HOUR)).toEqual([]);
    expect(await scheduler.nextTickAt(T0)).toBeUndefined();
    expect(await runs()).toEqual([]);
  });

  it('re-registering a changed workflow keeps the last tick and pause; a dropped entry is removed', async () => {
    const { scheduler } = await register([{ name: 'a', cron: '*/5 * * * *' }, { name: 'b', cron: '0 * * * *' }]);
    await scheduler.check(T0 + 5 * MIN);
    await store.setSchedulesPaused('nightly/a', true, T0 + 6 * MIN);
    await register([{ name: 'a', cron: '*/10 * * * *' }], T0 + 7 * MIN);
    const list = await store.listSchedules();
    expect(list.map((s) => [s.id, s.spec.cron, s.paused, s.lastTickAt])).toEqual([['nightly/a', '*/10 * * * *', true, T0 + 5 * MIN]]);
  });
});

describe('daylight saving time (America/New_York)', () => {
  /** Checks every 20 minutes from `from` to `to`, as a server would; returns the created ticks. */
  async function drive(scheduler: Scheduler, from: number, to: number): Promise<number[]> {
    const ticks: number[] = [];
    for (let t = from; t <= to; t += 20 * MIN) {
      for (const f of await scheduler.check(t)) {
        expect(f.outcome).toBe('created');
        ticks.push(f.tickAt);
        // The run ends before the next check, so overlap never skips a tick.
        await setState(f.runId!, 'succeeded', t);
      }
    }
    return ticks;
  }

  it('spring forward (2026-03-08): 02:30 does not exist; it fires once that day, at 03:30 EDT (07:30Z)', async () => {
    const start = Date.parse('2026-03-07T00:00:00Z');
    const { scheduler } = await register({ cron: '30 2 * * *', timezone: 'America/New_York' }, start);
    const ticks = await drive(scheduler, start, Date.parse('2026-03-10T00:00:00Z'));
    expect(ticks.map(iso)).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  it('fall back (2026-11-01): 01:30 happens twice; it fires once (05:30Z, 01:30 EDT), not twice', async () => {
    const start = Date.parse('2026-10-31T00:00:00Z');
    const { scheduler } = await register({ cron: '30 1 * * *', timezone: 'America/New_York' }, start);
    const ticks = await drive(scheduler, start, Date.parse('2026-11-03T00:00:00Z'));
    expect(ticks.map(iso)).toEqual(['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('catch-up across the spring-forward night replays the same ticks as on-time checks', async () => {
    const start = Date.parse('2026-03-07T00:00:00Z');
    const { scheduler } = await register({ cron: '30 2 * * *', timezone: 'America/New_York', misfire: 'catch-up', overlap: 'allow' }, start);
    const fired = await scheduler.check(Date.parse('2026-03-10T00:00:00Z'));
    expect(fired.map((f) => iso(f.tickAt))).toEqual(['2026-03-07T07:30:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z']);
  });

  // croner 9 can answer a time at or before `after` inside the repeated fall-back hour; fire times must only move forward.
  it('nextFireTimes and nextTickAt never return a time at or before `after` (repeated hour of fall-back)', async () => {
    const { scheduler } = await register({ cron: '30 1 * * *', timezone: 'America/New_York' }, Date.parse('2026-11-01T05:40:00Z'));
    for (const cron of ['30 1 * * *', '*/20 * * * *']) {
      for (const m of ['06:00', '06:10', '06:29']) {
        const after = Date.parse(`2026-11-01T${m}:00Z`);
        const next = nextFireTimes({ cron, timezone: 'America/New_York' }, after, 3);
        for (const t of next) expect(t, `${cron} after ${m}Z gave ${iso(t)}`).toBeGreaterThan(after);
      }
    }
    const now = Date.parse('2026-11-01T06:10:00Z');
    expect(await scheduler.nextTickAt(now)).toBeGreaterThan(now);
  });

  // Same cause: a schedule registered during the repeated hour must not fire a tick from before it existed.
  it('a schedule registered at 06:00Z on 2026-11-01 does not fire the 05:30Z tick from before it existed', async () => {
    const { scheduler } = await register({ cron: '30 1 * * *', timezone: 'America/New_York' }, Date.parse('2026-11-01T06:00:00Z'));
    expect(await scheduler.check(Date.parse('2026-11-01T06:05:00Z'))).toEqual([]);
  });
});

describe('run ids of one catch-up', () => {
  // A 100-tick catch-up creates its runs within one millisecond: their ids must still differ.
  it('ids made for one `now` are unique', () => {
    const ids = Array.from({ length: 1000 }, () => newRunId(T0));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
