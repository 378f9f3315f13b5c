/**
 * `step-duration` with `p95Factor` on a virtual clock: a running attempt is held to k × the
 * p95 of its step's succeeded runs of the last 30 days (with at least 5 of them), or to
 * `after`, whichever is reached first; the alert says which. History is written through the
 * Store contract with known durations; only time is virtual.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore, VirtualClock } from '../src/index.js';
import type { Store } from '../src/index.js';
import { AlertService } from '../src/observe/index.js';
import type { ParsedAlertRule } from '../src/workflow/index.js';
import { writeRun } from './conformance-history.js';
import { tempDir } from './helpers.js';

const S = 1000;
const D = 86_400_000;
let dir: string;
let store: Store;
let clock: VirtualClock;

beforeEach(async () => {
  dir = tempDir('baton-alerts-p95-');
  store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  // Runs name a stored version; its definition does not matter here (the server's rules apply).
  await store.saveWorkflow({ version: 'v1', name: 'nightly', definition: {}, createdAt: 0 });
  clock = new VirtualClock(Date.UTC(2026, 11, 2, 2, 0, 0));
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const slow: ParsedAlertRule = { name: 'slow-step', rule: 'step-duration', p95Factor: 2, after: '1h', notify: [] };

/** Succeeded runs of `nightly` whose step `load` took `seconds` each, one a day before now. */
async function history(seconds: number[]): Promise<void> {
  for (const [i, s] of seconds.entries()) {
    const start = clock.now() - (i + 1) * D;
    await writeRun(store, { id: `h${i}`, workflow: 'nightly', state: 'succeeded', start, ms: s * S + 10, steps: [{ id: 'load', state: 'succeeded', ms: s * S }] });
  }
}

/** A run of `nightly` whose `load` started now and is still running. */
async function running(id: string): Promise<void> {
  await writeRun(store, { id, workflow: 'nightly', state: 'running', start: clock.now(), ms: 0, steps: [{ id: 'load', state: 'running', ms: 0 }] });
}

/** A pass that sweeps: the sweep runs every 15 s of the clock. */
async function sweepAfter(alerts: AlertService, ms: number): Promise<void> {
  clock.advance(ms);
  await alerts.pass();
}

describe('step-duration with p95Factor', () => {
  it('fires once at 2 × p95 (well before after: 1h), saying the p95 threshold fired', async () => {
    // p95 of [60, 70, 80, 90, 100] s = 90 + 0.8 × 10 = 98 s; 2 × = 196 s. A run 40 days ago does not count.
    await history([60, 70, 80, 90, 100]);
    await writeRun(store, { id: 'old', workflow: 'nightly', state: 'succeeded', start: clock.now() - 40 * D, ms: 5000 * S, steps: [{ id: 'load', state: 'succeeded', ms: 4000 * S }] });
    await running('now');
    const alerts = new AlertService({ store, clock, channels: new Map(), rules: [slow] });
    await alerts.pass();
    await sweepAfter(alerts, 180 * S);
    expect(await store.alerts.list({ rule: 'slow-step' })).toEqual([]);
    await sweepAfter(alerts, 20 * S);
    const fired = await store.alerts.list({ rule: 'slow-step' });
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ state: 'firing', subject: { workflow: 'nightly', runId: 'now', stepId: 'load' } });
    expect(fired[0]!.details).toMatchObject({ threshold: 'p95', thresholdMs: 196 * S, p95Ms: 98 * S, runningMs: 200 * S });
    expect(fired[0]!.summary).toContain('2 × its p95 of 98 s');
    // Later sweeps see it again; still one alert.
    await sweepAfter(alerts, 30 * S);
    expect(await store.alerts.list({ rule: 'slow-step' })).toHaveLength(1);
    await alerts.stop();
  });

  it('with fewer than 5 samples only after applies', async () => {
    await history([60, 70, 80, 90]);
    await running('now');
    const alerts = new AlertService({ store, clock, channels: new Map(), rules: [slow] });
    await alerts.pass();
    await sweepAfter(alerts, 10 * 60 * S);
    expect(await store.alerts.list({ rule: 'slow-step' })).toEqual([]);
    await sweepAfter(alerts, 50 * 60 * S + 1);
    const [alert] = await store.alerts.list({ rule: 'slow-step' });
    expect(alert!.details).toMatchObject({ threshold: 'after', thresholdMs: 3_600_000 });
    expect(alert!.details).not.toHaveProperty('p95Ms');
    await alerts.stop();
  });

  it('after fires first when it is the smaller bound; p95 is read from the store once per 5 minutes', async () => {
    await history([600, 600, 600, 600, 600]);
    await running('now');
    let reads = 0;
    const read = store.history.stepDurations.bind(store.history);
    store.history.stepDurations = (w, since) => {
      reads++;
      return read(w, since);
    };
    const alerts = new AlertService({ store, clock, channels: new Map(), rules: [{ ...slow, after: '15m' }] });
    await alerts.pass();
    // 2 × 600 s = 20 min > 15 min: after is the bound.
    for (let i = 0; i < 4 * 4; i++) await sweepAfter(alerts, 15 * S);
    expect(await store.alerts.list({ rule: 'slow-step' })).toEqual([]);
    expect(reads).toBe(1);
    await sweepAfter(alerts, 15 * 60 * S - 16 * 15 * S + 1);
    const [alert] = await store.alerts.list({ rule: 'slow-step' });
    expect(alert!.details).toMatchObject({ threshold: 'after', thresholdMs: 15 * 60 * S });
    expect(reads).toBe(2);
    await alerts.stop();
  });
});
