import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workflowVersion } from '../src/index.js';
import { cancelStoredRun } from '../src/runtime/index.js';
import type { NewEvent } from '../src/store/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, processAlive, readPid, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

/** Resolves when the engine commits `stepId -> to` (each rig runs one run at a time). */
function committed(r: EngineRig, stepId: string, to: string): Promise<NewEvent> {
  return new Promise((resolve) => {
    const off = r.engine.onEvent((e) => {
      if (e.type === 'step' && e.stepId === stepId && e.to === to) {
        off();
        resolve(e);
      }
    });
  });
}

describe('cancellation', () => {
  it('cancel_sleep: cancelRun ends the running step and its process, and cancels the pending dependents', async () => {
    rig = await engineRig({ graceMs: 200 });
    const pidfile = join(rig.dir, 'sleep.pid');
    const spec = await loadFixture('cancel_sleep.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { pidfile } });
    const sleeper = await readPid(pidfile);
    expect(processAlive(sleeper)).toBe(true);
    expect(rig.engine.activeRunIds()).toEqual([run.id]);

    const began = Date.now();
    expect(rig.engine.cancelRun(run.id)).toBe(true);
    expect(await run.result).toEqual({ id: run.id, state: 'cancelled', reason: 'cancelled' });
    expect(Date.now() - began).toBeLessThan(2_000);

    const steps = await rig.store.getStepRuns(run.id);
    expect(steps.map((s) => [s.stepId, s.state, s.reason])).toEqual([
      ['slow', 'cancelled', 'cancelled'], ['after', 'cancelled', 'cancelled'], ['last', 'cancelled', 'cancelled'],
    ]);
    const attempts = await rig.store.getAttempts(run.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ stepId: 'slow', state: 'cancelled', error: { type: 'cancelled' } });
    expect(await rig.store.getRun(run.id)).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
    await waitFor(() => !processAlive(sleeper), 2_000, `sleep ${sleeper} to end`);
    expect(rig.engine.activeRunIds()).toEqual([]);
    expect(rig.engine.cancelRun(run.id)).toBe(false); // no longer held
  });

  it('handler_abort: a handler receives the AbortSignal with reason cancelled', async () => {
    rig = await engineRig();
    const marker = join(rig.dir, 'reason.txt');
    const spec = await loadFixture('handler_abort.yaml');
    const running = committed(rig, 'wait', 'running');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { marker } });
    expect((await running).runId).toBe(run.id);
    // The attempt is committed before the handler module loads; wait until it really runs.
    await waitFor(() => existsSync(`${marker}.started`), 5_000, 'the handler to start');
    rig.engine.cancelRun(run.id);
    expect((await run.result).state).toBe('cancelled');
    expect(readFileSync(marker, 'utf8')).toBe('cancelled');
    const [attempt] = await rig.store.getAttempts(run.id);
    expect(attempt).toMatchObject({ state: 'cancelled' });
    // The handler's late return value is discarded.
    expect((await rig.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'cancelled' });
    expect((await rig.store.getStepRuns(run.id))[0]?.output).toBeUndefined();
  });

  it('cancelStoredRun on a held run records a request the holder acts on at its next heartbeat', async () => {
    rig = await engineRig({ graceMs: 200, heartbeatMs: 50 });
    const pidfile = join(rig.dir, 'sleep.pid');
    const spec = await loadFixture('cancel_sleep.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { pidfile } });
    const sleeper = await readPid(pidfile);
    expect(await cancelStoredRun(rig.store, run.id, Date.now())).toBe('requested');
    expect((await run.result).state).toBe('cancelled');
    const events = await rig.store.getEvents(run.id);
    expect(events.some((e) => e.type === 'cancel-requested')).toBe(true);
    await waitFor(() => !processAlive(sleeper), 2_000, `sleep ${sleeper} to end`);
    expect(await cancelStoredRun(rig.store, run.id, Date.now())).toBe('finished');
  });

  it('a cancelled run resumes: cancelled steps run again and the run succeeds', async () => {
    rig = await engineRig({ graceMs: 200 });
    const pidfile = join(rig.dir, 'sleep.pid');
    const spec = await loadFixture('cancel_sleep.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { pidfile } });
    await readPid(pidfile);
    rig.engine.cancelRun(run.id, { force: true });
    expect((await run.result).state).toBe('cancelled');
    // Resume with a definition whose slow step is quick: the stored one would sleep again.
    const quick = { ...spec, steps: spec.steps.map((s) => (s.id === 'slow' ? { ...s, action: { kind: 'run' as const, command: { default: 'true' } } } : s)) };
    const again = await rig.engine.resumeRun(run.id, quick);
    expect(await again.result).toEqual({ id: run.id, state: 'succeeded' });
    const steps = await rig.store.getStepRuns(run.id);
    expect(steps.map((s) => [s.stepId, s.state])).toEqual([['slow', 'succeeded'], ['after', 'succeeded'], ['last', 'succeeded']]);
    expect((await rig.store.getAttempts(run.id, 'slow')).map((a) => [a.number, a.state])).toEqual([[1, 'cancelled'], [2, 'succeeded']]);
  });
});
