/**
 * `deadline-at-risk` and `deadline-missed` on a virtual clock: a run's declared deadline
 * against its ETA while it still goes, and against the clock. The ETA source here is a
 * function the test steers (test/eta-deadline.test.ts drives the real ETA service); runs are
 * written through the Store contract; only time is virtual.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, VirtualClock } from '../src/index.js';
import type { Store } from '../src/index.js';
import { AlertService } from '../src/observe/index.js';
import type { DeadlineEta } from '../src/observe/index.js';
import { validateWorkflowText } from '../src/workflow/index.js';
import type { JsonValue } from '../src/shared/index.js';
import { writeRun } from './conformance-history.js';
import { tempDir } from './helpers.js';

const S = 1000;
const H = 3_600_000;
let dir: string;
let store: Store;
let clock: VirtualClock;
const T0 = Date.UTC(2026, 11, 7, 1, 0, 0);

async function saveVersion(version: string, text: string): Promise<void> {
  const { spec, errors } = await validateWorkflowText(text, { label: 'flow.yaml', baseDir: '/tmp' });
  expect(errors).toEqual([]);
  await store.saveWorkflow({ version, name: spec!.name, definition: JSON.parse(JSON.stringify(spec)) as JsonValue, createdAt: 0 });
}

beforeEach(async () => {
  dir = tempDir('baton-alerts-deadline-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  clock = new VirtualClock(T0);
  await saveVersion('v1', 'name: nightly\ndeadline: 4h\nsteps:\n  - id: load\n    run: echo\n');
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sweepAfter = async (alerts: AlertService, ms: number): Promise<void> => {
  clock.advance(ms);
  await alerts.pass();
};

const open = async (rule: string) => (await store.alerts.list({ rule })).filter((a) => a.state !== 'resolved');

describe('deadlines', () => {
  it('at risk fires as soon as the p90 passes the deadline, clears when it is back under, then missed fires at the deadline', async () => {
    await writeRun(store, { id: 'r1', workflow: 'nightly', state: 'running', start: T0 + 10, ms: 0, steps: [{ id: 'load', state: 'running', ms: 0 }] });
    let eta: DeadlineEta = { p50: T0 + 2 * H, p90: T0 + 3 * H };
    const alerts = new AlertService({ store, clock, channels: new Map(), eta: () => Promise.resolve(eta) });
    await alerts.pass();
    await sweepAfter(alerts, 20 * S);
    expect(await open('deadline-at-risk')).toEqual([]);

    eta = { p50: T0 + 3.5 * H, p90: T0 + 4.5 * H };
    await sweepAfter(alerts, 20 * S);
    const risk = await open('deadline-at-risk');
    expect(risk).toHaveLength(1);
    expect(risk[0]).toMatchObject({ state: 'firing', severity: 'warning', subject: { workflow: 'nightly', runId: 'r1' } });
    expect(risk[0]!.details).toMatchObject({ deadline: T0 + 10 - 10 + 4 * H, etaP90: T0 + 4.5 * H });
    expect(risk[0]!.summary).toContain('may miss its deadline of 2026-12-07 05:00 UTC');

    // Just under the line is not enough to clear (no flapping); well under is.
    eta = { p50: T0 + 3 * H, p90: T0 + 4 * H - 30 * S };
    await sweepAfter(alerts, 20 * S);
    expect(await open('deadline-at-risk')).toHaveLength(1);
    eta = { p50: T0 + 3 * H, p90: T0 + 3.5 * H };
    await sweepAfter(alerts, 20 * S);
    expect(await open('deadline-at-risk')).toEqual([]);

    // The clock passes the deadline with the run still going.
    expect(await open('deadline-missed')).toEqual([]);
    await sweepAfter(alerts, 4 * H);
    const missed = await open('deadline-missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ state: 'firing', severity: 'critical', subject: { workflow: 'nightly' } });
    expect(missed[0]!.summary).toMatch(/missed its deadline of 2026-12-07 05:00 UTC: still running \d+ min later/);
    await alerts.stop();
  });

  it('a run that ends after its deadline is a miss; a later one within it clears the miss', async () => {
    const alerts = new AlertService({ store, clock, channels: new Map() });
    await alerts.pass();
    const end = async (id: string, start: number, ms: number): Promise<void> => {
      await writeRun(store, { id, workflow: 'nightly', state: 'running', start, ms: 0, steps: [{ id: 'load', state: 'running', ms: 0 }] });
      await store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [{ id, state: 'succeeded', endedAt: start + ms }], events: [{ runId: id, type: 'run', from: 'running', to: 'succeeded', at: start + ms }] });
    };
    clock.advance(5 * H);
    await end('late', T0 + 10, 5 * H - 10);
    await alerts.pass();
    const missed = await open('deadline-missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]!.summary).toContain('succeeded at 2026-12-07 06:00 UTC, 1.0 h after its deadline of 2026-12-07 05:00 UTC');

    clock.advance(20 * H);
    await end('on-time', clock.now() - H, H);
    await alerts.pass();
    expect(await open('deadline-missed')).toEqual([]);
    await alerts.stop();
  });

  it('a schedule entry\'s time of day counts from its tick, in its zone; runs without a deadline alert nothing', async () => {
    await saveVersion('v2', `name: nightly
schedule:
  cron: "0 2 * * *"
  timezone: Europe/Paris
  deadline: "06:00"
steps:
  - id: load
    run: echo
`);
    await saveVersion('v3', 'name: other\nsteps:\n  - id: load\n    run: echo\n');
    const tick = T0; // 02:00 in Paris: the deadline is 06:00 Paris = 05:00 UTC
    const create = (id: string, version: string, workflow: string, extra: object) => store.createRun(
      { id, workflow, version, state: 'running', trigger: 'schedule', params: {}, priority: 0, stepCount: 1, createdAt: tick + 2 * S, startedAt: tick + 3 * S, ...extra },
      [{ runId: id, stepId: 'load', position: 0, state: 'running', attempts: 1, lostAttempts: 0 }],
      [{ runId: id, type: 'run', to: 'running', at: tick + 3 * S }]);
    await create('s1', 'v2', 'nightly', { scheduleId: 'nightly/default', tickAt: tick });
    await create('o1', 'v3', 'other', {});
    const p90 = { s1: tick + 4.5 * H, o1: tick + 100 * H } as Record<string, number>;
    const alerts = new AlertService({ store, clock, channels: new Map(), eta: (run) => Promise.resolve({ p50: null, p90: p90[run.id]! }) });
    await alerts.pass();
    await sweepAfter(alerts, 20 * S);
    // 4.5 h after the tick is 05:30 UTC, past 06:00 Paris; `other` declares no deadline.
    const risk = await open('deadline-at-risk');
    expect(risk.map((a) => a.subject)).toEqual([{ workflow: 'nightly', runId: 's1' }]);
    expect(risk[0]!.details).toMatchObject({ deadline: Date.UTC(2026, 11, 7, 5, 0, 0) });
    await alerts.stop();
  });
});
