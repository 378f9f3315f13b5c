import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, workflowVersion } from '../src/index.js';
import type { AttemptRecord, Engine } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture } from './helpers.js';
import { writeRun } from './conformance-history.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

async function runFixture(name: string): Promise<{ id: string; attempts: AttemptRecord[] }> {
  rig = await engineRig();
  const spec = await loadFixture(name);
  const run = await rig.engine.startRun(spec, workflowVersion(spec));
  expect((await run.result).state).toBe('succeeded');
  return { id: run.id, attempts: await rig.store.getAttempts(run.id) };
}

/** The most attempts running at one instant; intervals are [startedAt, endedAt). */
function maxOverlap(attempts: AttemptRecord[]): number {
  const points = attempts.flatMap((a) => [
    { t: a.startedAt, d: 1 },
    { t: a.endedAt!, d: -1 },
  ]);
  // Ends before starts at the same instant: a slot freed at t may be taken at t.
  points.sort((x, y) => x.t - y.t || x.d - y.d);
  let now = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (now += p.d));
  return max;
}

describe('slots', () => {
  it('concurrency_limit: six 300 ms steps with concurrency 2 never run more than two at once', async () => {
    const { attempts } = await runFixture('concurrency_limit.yaml');
    expect(attempts).toHaveLength(6);
    expect(attempts.every((a) => a.state === 'succeeded' && a.endedAt !== undefined)).toBe(true);
    expect(maxOverlap(attempts)).toBe(2);
    const span = Math.max(...attempts.map((a) => a.endedAt!)) - Math.min(...attempts.map((a) => a.startedAt));
    expect(span).toBeGreaterThanOrEqual(900); // three waves of 300 ms
  });

  it('pool_serializes: a pool of limit 1 runs its steps one by one while others run alongside', async () => {
    const { attempts } = await runFixture('pool_serializes.yaml');
    const pool = attempts.filter((a) => a.stepId.startsWith('p'));
    const free = attempts.filter((a) => a.stepId.startsWith('q'));
    expect(maxOverlap(pool)).toBe(1);
    expect(maxOverlap(free)).toBe(3);
    expect(maxOverlap(attempts)).toBe(4);
  });

  it('priority_order: with concurrency 1, ready steps start by priority, then definition order', async () => {
    const { id } = await runFixture('priority_order.yaml');
    const started = (await rig!.store.getEvents(id)).filter((e) => e.type === 'step' && e.to === 'running').map((e) => e.stepId);
    expect(started).toEqual(['high', 'higher', 'mid', 'mid2', 'low']);
  });

  it('critical_path_first: with concurrency 1 and equal priority, the long branch\'s head starts before a short branch', async () => {
    const { id } = await runFixture('critical_path_first.yaml');
    const started = (await rig!.store.getEvents(id)).filter((e) => e.type === 'step' && e.to === 'running').map((e) => e.stepId);
    // A higher priority still comes first; then the longest remaining path.
    expect(started.slice(0, 2)).toEqual(['tip', 'long1']);
    expect(started.indexOf('long1')).toBeLessThan(started.indexOf('short'));
  });

  it('critical_path_history: the path is weighed by median durations from history once there is some', async () => {
    rig = await engineRig();
    const spec = await loadFixture('critical_path_history.yaml');
    const order = async (engine: Engine): Promise<(string | undefined)[]> => {
      const run = await engine.startRun(spec, workflowVersion(spec));
      expect((await run.result).state).toBe('succeeded');
      return (await rig!.store.getEvents(run.id)).filter((e) => e.type === 'step' && e.to === 'running').map((e) => e.stepId);
    };
    // No history: the path counts steps, so the chain's head goes first.
    expect((await order(rig.engine))[0]).toBe('q1');
    // A day ago `slow` took a minute and the chain's steps 10 ms each.
    await writeRun(rig.store, { id: 'past', workflow: 'critical_path_history', state: 'succeeded', start: Date.now() - 86_400_000, ms: 60_030,
      steps: [{ id: 'q1', state: 'succeeded', ms: 10 }, { id: 'q2', state: 'succeeded', ms: 10 }, { id: 'q3', state: 'succeeded', ms: 10 }, { id: 'slow', state: 'succeeded', ms: 60_000 }] }, { version: workflowVersion(spec) });
    // A new engine: the weights are read once per workflow every few minutes.
    const engine = createEngine({ store: rig.store, dataDir: rig.dir, graceMs: 200, heartbeatMs: 100 });
    try {
      expect((await order(engine))[0]).toBe('slow');
    } finally {
      await engine.close();
    }
  });

  it('a run-level concurrency override applies', async () => {
    rig = await engineRig();
    const spec = await loadFixture('concurrency_limit.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { concurrency: 3 });
    expect((await run.result).state).toBe('succeeded');
    expect(maxOverlap(await rig.store.getAttempts(run.id))).toBe(3);
    expect((await rig.store.getRun(run.id))?.concurrency).toBe(3);
  });
});
