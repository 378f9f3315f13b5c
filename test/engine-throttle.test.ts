/**
 * An embedded engine's slots: the `kind: cpu | io` pools (fake core counts injected), and the
 * adaptive throttle — on a virtual clock with a fake sampler (a raised limit starts what
 * waits, a lowered one stops nothing), and with real CPU and memory hogs (child processes,
 * bounded in time and size, killed in afterEach) seen by the real host sampler.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, workflowVersion } from '../src/index.js';
import type { AttemptRecord } from '../src/index.js';
import type { HostReading, HostSampler, ThrottleEvent } from '../src/runtime/index.js';
import { hostSampler, readProcMem } from '../src/runtime/index.js';
import { createMetrics } from '../src/observe/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, nextEvent, stepTo, waitFor } from './helpers.js';
import { compileWorkflow } from '../src/workflow/index.js';
import { recording } from './throttle-helpers.js';

let rig: EngineRig | undefined;
let hogs: ChildProcess[] = [];
afterEach(async () => {
  for (const h of hogs) h.kill('SIGKILL');
  hogs = [];
  await rig?.cleanup();
  rig = undefined;
});

/** The most attempts running at one instant; intervals are [startedAt, endedAt). */
function maxOverlap(attempts: AttemptRecord[]): number {
  const points = attempts.flatMap((a) => [{ t: a.startedAt, d: 1 }, { t: a.endedAt!, d: -1 }]);
  points.sort((x, y) => x.t - y.t || x.d - y.d);
  let now = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (now += p.d));
  return max;
}

/** A sampler that answers what the test sets. */
function fakeSampler(): HostSampler & { set(r: Partial<HostReading>): void } {
  let r: HostReading = { cpu: 0.1, mem: 0.1, memBytes: 1, lagMs: 0 };
  return { sample: () => r, close: () => undefined, set: (p) => (r = { ...r, ...p }) };
}


/** Busy loops, one per core and one more, killed in afterEach whatever happens; each ends by itself after 30 s. */
function startCpuHogs(): void {
  for (let i = 0; i <= availableParallelism(); i++) {
    hogs.push(spawn(process.execPath, ['-e', 'const end = Date.now() + 30000; while (Date.now() < end) {}'], { stdio: 'ignore' }));
  }
}

function stopHogs(): void {
  for (const h of hogs) h.kill('SIGKILL');
  hogs = [];
}

describe('kind: cpu | io', () => {
  it('kind_cpu_io_caps: with 4 cores and 8 slots, at most 3 cpu steps run at once, io steps take the rest', async () => {
    rig = await engineRig({ slots: 8, cores: 4 });
    const spec = await loadFixture('kind_cpu_io_caps.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect((await run.result).state).toBe('succeeded');
    const attempts = await rig.store.getAttempts(run.id);
    expect(maxOverlap(attempts.filter((a) => a.stepId.startsWith('c')))).toBe(3);
    expect(maxOverlap(attempts)).toBe(8);
  });

  it('kind_io_cap: with 2 cores and 8 slots, at most 4 io steps run at once', async () => {
    rig = await engineRig({ slots: 8, cores: 2 });
    const spec = await loadFixture('kind_io_cap.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect((await run.result).state).toBe('succeeded');
    expect(maxOverlap(await rig.store.getAttempts(run.id))).toBe(4);
  });
});

describe('adaptive slots', () => {
  it('a raised limit starts what waits, and a lowered one stops nothing that runs', async () => {
    const clock = new VirtualClock();
    const sampler = fakeSampler();
    rig = await engineRig({ slots: 2, clock, throttle: { sampler, intervalMs: 1000 } });
    const changes: ThrottleEvent[] = [];
    rig.engine.onThrottle((e) => changes.push(e));
    sampler.set({ cpu: 0.95 });
    clock.advance(1000);
    // Nothing runs: the decrease starts from the floor, not from 2.
    expect(changes).toEqual([expect.objectContaining({ from: 2, to: 1, reason: 'cpu 95 % > 80 %' })]);
    expect(rig.engine.throttle()).toMatchObject({ limit: 1, max: 2, reason: 'cpu 95 % > 80 %' });
    const spec = compileWorkflow({ name: 'waits', steps: ['a', 'b', 'c'].map((id) => ({ id, run: 'sleep 30' })) }, { baseDir: rig.dir });
    const running = async (): Promise<AttemptRecord[]> => (await rig!.store.getAttempts(run.id)).filter((a) => a.state === 'running');
    const first = nextEvent(rig.engine, stepTo('running'));
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    await first;
    // The commit that started one started no other: the limit is 1.
    expect(await running()).toHaveLength(1);
    sampler.set({ cpu: 0.2 });
    const second = nextEvent(rig.engine, stepTo('running'));
    clock.advance(1000);
    expect(changes.at(-1)).toMatchObject({ from: 1, to: 2, reason: 'recovered' });
    await second;
    expect(await running()).toHaveLength(2);
    sampler.set({ cpu: 0.99 });
    clock.advance(1000);
    expect(changes.at(-1)).toMatchObject({ from: 2, to: 1 });
    // Both go on: lowering the limit stops nothing.
    const after = await running();
    expect(after).toHaveLength(2);
    expect(after.every((a) => a.endedAt === undefined)).toBe(true);
    expect(rig.engine.cancelRun(run.id)).toBe(true);
    expect((await run.result).state).toBe('cancelled');
  });

  it('with a real CPU hog the limit drops to the floor and the metric shows it; it recovers at the first calm sample once the hog is gone', async (ctx) => {
    // Above 95 % CPU: busy loops on every core (and one more) reach ~100 % whatever else runs.
    const sampler = recording(hostSampler());
    rig = await engineRig({ slots: 2, throttle: { cpu: 0.95, mem: 1, lagMs: 10_000, intervalMs: 200, sampler } });
    const changes: ThrottleEvent[] = [];
    rig.engine.onThrottle((e) => changes.push(e));
    const metrics = createMetrics(rig.store, undefined, { throttle: () => rig?.engine.throttle() });
    const gauge = async (): Promise<number | undefined> => (await metrics.registry.getSingleMetric('baton_slots_limit')?.get())?.values[0]?.value;
    startCpuHogs();
    const drop = await waitFor(() => changes.find((c) => c.to < c.from), 5_000, 'a decrease');
    expect(drop).toMatchObject({ from: 2, to: 1 });
    expect(drop.reason).toMatch(/^cpu \d+ % > 95 %$/);
    expect(drop.sample.cpu).toBeGreaterThan(0.95);
    expect(rig.engine.throttle()).toMatchObject({ limit: 1, max: 2 });
    expect(await gauge()).toBe(1);
    stopHogs();
    // The machine is shared: others may keep it busy. Recovery is due at the first calm sample.
    const from = sampler.readings.length;
    const calm = await waitFor(() => sampler.readings.slice(from).find((r) => r.cpu <= 0.95), 8_000, 'a calm sample').catch(() => undefined);
    if (!calm) return ctx.skip('the machine stayed over 95 % CPU after the hog ended (other load): recovery cannot be observed');
    await waitFor(() => changes.find((c) => c.reason === 'recovered'), 2_000, 'a recovery');
    expect(changes.find((c) => c.reason === 'recovered')).toMatchObject({ from: 1, to: 2 });
    expect(await gauge()).toBeGreaterThanOrEqual(1);
  }, 20_000);

  it('with a real memory hog over a threshold set just above current use, the limit drops', async (ctx) => {
    const before = readProcMem();
    if (!before) return ctx.skip('no /proc/meminfo');
    const hogBytes = 300 * 1024 * 1024;
    // Just above now, well below now + the hog: the hog crosses it.
    const threshold = before.used / before.total + hogBytes / before.total / 3;
    if (threshold >= 0.98) return ctx.skip('a machine this full is not ours to fill');
    const sampler = recording(hostSampler());
    rig = await engineRig({ slots: 4, throttle: { cpu: 1, mem: threshold, lagMs: 10_000, intervalMs: 200, sampler } });
    const changes: ThrottleEvent[] = [];
    rig.engine.onThrottle((e) => changes.push(e));
    // A child holds 300 MB of written memory (so it counts as used, not just reserved); it ends by itself after 30 s.
    hogs.push(spawn(process.execPath, ['-e', `const b = Buffer.alloc(${hogBytes}, 1); setInterval(() => b[0]++, 1000); setTimeout(() => process.exit(0), 30000)`], { stdio: 'ignore' }));
    const drop = await waitFor(() => changes.find((c) => c.to < c.from), 8_000, 'a memory decrease');
    expect(drop.reason).toMatch(/^memory \d+ % > \d+ %$/);
    stopHogs();
    const from = sampler.readings.length;
    const calm = await waitFor(() => sampler.readings.slice(from).find((r) => r.mem <= threshold), 5_000, 'a calm sample').catch(() => undefined);
    if (!calm) return ctx.skip('memory stayed over the threshold after the hog ended (other load)');
    await waitFor(() => changes.find((c) => c.reason === 'recovered'), 2_000, 'a recovery');
  }, 20_000);
});
