import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, compileWorkflow, workflowVersion } from '../src/index.js';
import type { WorkflowInput } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, nextEvent, stepTo, tempDir } from './helpers.js';

let rig: EngineRig | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts a workflow on an engine with a virtual clock; its steps run in a fresh folder. */
async function start(input: WorkflowInput) {
  const clock = new VirtualClock();
  rig = await engineRig({ clock });
  const work = tempDir('baton-hooks-engine-');
  dirs.push(work);
  const spec = compileWorkflow(input, { baseDir: work });
  // Subscribed before the start: the first step may be running by the time it returns.
  const mainRuns = nextEvent(rig.engine, stepTo('running', 'main'));
  const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: {} });
  return { ...run, clock, work, engine: rig.engine, store: rig.store, mainRuns };
}

const states = async (store: EngineRig['store'], runId: string) => Object.fromEntries((await store.getStepRuns(runId)).map((s) => [s.stepId, s.state]));

describe('hooks in the engine', () => {
  it('a run timeout fails the main step; onFailure and finally still run, each bounded by its own timeout', async () => {
    const run = await start({
      name: 'timeout-hooks', timeout: '5s',
      steps: [{ id: 'main', run: 'sleep 30' }],
      onFailure: [{ id: 'page', run: 'printf "%s %s" "$BATON_RUN_STATE" "$BATON_FAILED_STEPS" > page.txt' }],
      finally: [{ id: 'cleanup', timeout: '2s', run: 'sleep 30' }],
    });
    const engine = run.engine;
    await run.mainRuns;
    const cleanupRuns = nextEvent(engine, stepTo('running', 'cleanup'));
    run.clock.advance(5_000);
    await cleanupRuns;
    expect(readFileSync(join(run.work, 'page.txt'), 'utf8')).toBe('failed ["main"]');
    run.clock.advance(2_000);
    expect(await run.result).toMatchObject({ state: 'failed', reason: 'run-timeout; hooks failed: cleanup' });
    expect(await states(run.store, run.id)).toEqual({ main: 'failed', page: 'succeeded', cleanup: 'failed' });
    const cleanup = (await run.store.getStepRuns(run.id)).find((s) => s.stepId === 'cleanup');
    expect(cleanup?.reason).toBe('timeout');
  });

  it('cancel: main steps stop and finally runs; a second cancel stops finally too', async () => {
    const run = await start({
      name: 'cancel-hooks',
      steps: [{ id: 'main', run: 'sleep 30' }, { id: 'next', needs: ['main'], run: 'true' }],
      onFailure: [{ id: 'page', run: 'true' }],
      finally: [{ id: 'cleanup', run: 'sleep 30' }],
    });
    const engine = run.engine;
    await run.mainRuns;
    const cleanupRuns = nextEvent(engine, stepTo('running', 'cleanup'));
    engine.cancelRun(run.id);
    await cleanupRuns;
    expect(await states(run.store, run.id)).toMatchObject({ main: 'cancelled', next: 'cancelled', page: 'skipped', cleanup: 'running' });
    engine.cancelRun(run.id);
    expect(await run.result).toMatchObject({ state: 'cancelled', reason: 'cancelled; hooks cancelled: cleanup' });
    expect(await states(run.store, run.id)).toEqual({ main: 'cancelled', next: 'cancelled', page: 'skipped', cleanup: 'cancelled' });
  });
});
