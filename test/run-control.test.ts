/**
 * Operating runs on a real SQLite file with real shell steps: pause (across a restart of the
 * holder), re-run from a step, re-run of the failed steps, retry as a new run, priority of
 * queued runs, and the errors for requests that do not fit.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/index.js';
import type { NewEvent } from '../src/store/index.js';
import { RunNotFoundError, createEngine, workflowVersion } from '../src/index.js';
import { PriorityRangeError, RunStateError, pauseRun, rerunRun, retryAsNewRun, setRunPriority, submitRun, unpauseRun } from '../src/runtime/index.js';
import { RerunSelectionError } from '../src/core/index.js';
import { RunLoop } from '../src/modes/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

/** Resolves when `engine` commits `stepId -> to`. */
function committed(r: { engine: EngineRig['engine'] }, stepId: string, to: string): Promise<NewEvent> {
  return new Promise((resolve) => {
    const off = r.engine.onEvent((e) => {
      if (e.type === 'step' && e.stepId === stepId && e.to === to) {
        off();
        resolve(e);
      }
    });
  });
}

/** Lines of the `ran` file steps append to. */
const ran = (dir: string): string[] => readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n');

/** Waits a few heartbeats of the rig (100 ms each): long enough for a paused run to have wrongly started a step. */
const heartbeats = (n = 4): Promise<void> => new Promise((r) => setTimeout(r, n * 100));

async function attemptNumbers(store: Store, runId: string, stepId: string): Promise<number[]> {
  return (await store.getAttempts(runId, stepId)).map((a) => a.number);
}

describe('pause', () => {
  it('a paused run finishes its running step, starts nothing new across a restart of its holder, and finishes once unpaused', async () => {
    rig = await engineRig();
    const spec = await loadFixture('pause_gate.yaml');
    const firstRunning = committed(rig, 'first', 'running');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir } });
    await firstRunning;

    const paused = await pauseRun(rig.store, run.id, Date.now(), { by: 'test' });
    expect(paused).toMatchObject({ changed: true, run: { state: 'running', pausedAt: expect.any(Number) as number } });
    expect(await rig.engine.refresh(run.id)).toBe(true);
    expect(rig.engine.isPaused(run.id)).toBe(true);

    // The running step finishes and its result is applied; its dependent becomes ready and waits.
    const secondQueued = committed(rig, 'second', 'queued');
    writeFileSync(join(rig.dir, 'gate'), '');
    await secondQueued;
    await heartbeats();
    expect((await rig.store.getStepRuns(run.id)).map((s) => s.state)).toEqual(['succeeded', 'queued', 'pending']);
    expect(await rig.store.getAttempts(run.id, 'second')).toEqual([]);

    // Restart of the holder: a new engine takes the run over, still paused.
    await rig.engine.close();
    const engine2 = createEngine({ store: rig.store, dataDir: rig.dir, heartbeatMs: 100, graceMs: 200 });
    try {
      const again = await engine2.resumeRun(run.id);
      expect(engine2.isPaused(run.id)).toBe(true);
      await heartbeats();
      expect(await rig.store.getAttempts(run.id, 'second')).toEqual([]);
      expect((await rig.store.getRun(run.id))?.state).toBe('running');

      // Unpaused from "another process": the holder learns it within a heartbeat, no refresh.
      expect((await unpauseRun(rig.store, run.id, Date.now(), { by: 'test' })).changed).toBe(true);
      expect(await again.result).toEqual({ id: run.id, state: 'succeeded' });
      expect(ran(rig.dir)).toEqual(['first', 'second', 'third']);
    } finally {
      await engine2.close();
    }
    const events = (await rig.store.getEvents(run.id)).filter((e) => e.type === 'run-paused' || e.type === 'run-resumed');
    expect(events.map((e) => [e.type, e.data?.by])).toEqual([['run-paused', 'test'], ['run-resumed', 'test']]);
  });

  it('a holder learns of a pause at its heartbeat; pausing twice changes nothing', async () => {
    rig = await engineRig();
    const spec = await loadFixture('pause_gate.yaml');
    const firstRunning = committed(rig, 'first', 'running');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir } });
    await firstRunning;
    await pauseRun(rig.store, run.id, Date.now());
    expect((await pauseRun(rig.store, run.id, Date.now())).changed).toBe(false);
    await waitFor(() => rig!.engine.isPaused(run.id), 2_000, 'the engine to apply the pause');
    const seen: string[] = [];
    rig.engine.onEvent((e) => e.type.startsWith('run-') && seen.push(e.type));
    await unpauseRun(rig.store, run.id, Date.now());
    await rig.engine.refresh(run.id);
    expect(seen).toEqual(['run-resumed']);
    writeFileSync(join(rig.dir, 'gate'), '');
    expect((await run.result).state).toBe('succeeded');
  });

  it('a paused queued run is not started by the server until unpaused', async () => {
    rig = await engineRig();
    const spec = await loadFixture('pause_gate.yaml');
    writeFileSync(join(rig.dir, 'gate'), '');
    const runId = await submitRun(rig.store, spec, workflowVersion(spec), { params: { dir: rig.dir } }, Date.now());
    await pauseRun(rig.store, runId, Date.now());
    const finished: string[] = [];
    const server = new RunLoop({
      store: rig.store, engine: rig.engine, schedules: false, pollMs: 50,
      report: (r) => r.kind === 'finished' && finished.push(r.summary.state),
    });
    try {
      await server.start();
      await server.runIteration();
      expect(await rig.store.getRun(runId)).toMatchObject({ state: 'queued', pausedAt: expect.any(Number) as number });
      await unpauseRun(rig.store, runId, Date.now());
      await waitFor(() => finished.length === 1, 5_000, 'the run to finish');
      expect(finished).toEqual(['succeeded']);
    } finally {
      await server.stop();
    }
  });
});

describe('re-run within a run', () => {
  it('from a middle step: keeps the upstream outputs, re-executes the step and its downstream with attempt numbers going on', async () => {
    rig = await engineRig();
    const spec = await loadFixture('rerun_from_middle.yaml');
    const first = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir } });
    expect((await first.result).state).toBe('succeeded');
    expect(ran(rig.dir).sort()).toEqual(['a', 'b', 'c 1', 'd']);

    const { run, steps, reopened } = await rerunRun(rig.store, first.id, { from: 'b' }, Date.now(), { by: 'test' });
    expect(steps).toEqual(['b', 'c']);
    expect(reopened).toEqual([]);
    expect(run).toMatchObject({ state: 'queued', queuedAt: expect.any(Number) as number });
    expect(run.owner).toBeUndefined();
    expect(run.endedAt).toBeUndefined();
    expect((await rig.store.getStepRuns(first.id)).map((s) => s.state)).toEqual(['succeeded', 'pending', 'pending', 'succeeded']);

    const again = await rig.engine.startQueuedRun(first.id);
    expect(await again.result).toEqual({ id: first.id, state: 'succeeded' });
    // a and d did not run again; c was given a's stored output (n = 1) again.
    expect(ran(rig.dir).slice(4)).toEqual(['b', 'c 1']);
    expect(await attemptNumbers(rig.store, first.id, 'a')).toEqual([1]);
    expect(await attemptNumbers(rig.store, first.id, 'b')).toEqual([1, 2]);
    expect(await attemptNumbers(rig.store, first.id, 'c')).toEqual([1, 2]);
    expect(await attemptNumbers(rig.store, first.id, 'd')).toEqual([1]);
    const rerun = (await rig.store.getEvents(first.id)).find((e) => e.type === 'rerun');
    expect(rerun?.data).toEqual({ by: 'test', from: 'b', steps: ['b', 'c'], reopened: [] });
  });

  it('failed only: re-runs the failed step with a fresh retry budget and the step it skipped, not the steps that succeeded', async () => {
    rig = await engineRig();
    const spec = await loadFixture('retry_failed_only.yaml');
    const first = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir } });
    expect((await first.result).state).toBe('failed');
    expect((await rig.store.getStepRuns(first.id)).map((s) => [s.stepId, s.state])).toEqual([
      ['a', 'succeeded'], ['b', 'failed'], ['c', 'skipped'], ['d', 'succeeded'],
    ]);

    const { steps } = await rerunRun(rig.store, first.id, { failed: true }, Date.now());
    expect(steps).toEqual(['b', 'c']);
    const again = await rig.engine.startQueuedRun(first.id);
    expect(await again.result).toEqual({ id: first.id, state: 'succeeded' });
    expect(await attemptNumbers(rig.store, first.id, 'b')).toEqual([1, 2, 3, 4]);
    expect(await attemptNumbers(rig.store, first.id, 'c')).toEqual([1]);
    expect(ran(rig.dir).filter((l) => l !== 'b').sort()).toEqual(['a', 'c', 'd']);
    expect((await rig.store.getStepRuns(first.id))[1]).toMatchObject({ state: 'succeeded', attempts: 4, retryBase: 2 });
  });

  it('retry as a new run: same version and params, trigger retry, linked to the original', async () => {
    rig = await engineRig();
    const spec = await loadFixture('retry_failed_only.yaml');
    const first = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir }, priority: 2 });
    expect((await first.result).state).toBe('failed');
    const copy = await retryAsNewRun(rig.store, first.id, Date.now(), { by: 'test' });
    expect(copy).toMatchObject({ state: 'queued', trigger: 'retry', retryOf: first.id, version: workflowVersion(spec), params: { dir: rig.dir }, priority: 2 });
    expect(copy.id).not.toBe(first.id);
    expect((await rig.store.getEvents(first.id)).find((e) => e.type === 'retried')?.data).toEqual({ run: copy.id, by: 'test' });
    const handle = await rig.engine.startQueuedRun(copy.id);
    // b's counter file goes on from 2: try 3 fails, try 4 (its second) succeeds.
    expect((await handle.result).state).toBe('succeeded');
  });
});

describe('priority of queued runs', () => {
  it('a priority change reorders the queued runs the server starts', async () => {
    rig = await engineRig({ slots: 1 });
    const spec = await loadFixture('priority_runs.yaml');
    const file = join(rig.dir, 'order');
    const ids: Record<string, string> = {};
    for (const label of ['A', 'B', 'C']) {
      ids[label] = await submitRun(rig.store, spec, workflowVersion(spec), { params: { file, label } }, Date.now());
    }
    expect((await setRunPriority(rig.store, ids.C!, 5, Date.now(), { by: 'test' })).priority).toBe(5);
    await setRunPriority(rig.store, ids.A!, -5, Date.now());
    expect((await rig.store.listRuns({ state: ['queued'], order: 'queue' })).map((r) => r.id)).toEqual([ids.C, ids.B, ids.A]);
    const finished: string[] = [];
    const server = new RunLoop({ store: rig.store, engine: rig.engine, schedules: false, report: (r) => r.kind === 'finished' && finished.push(r.summary.id) });
    try {
      await server.start();
      await waitFor(() => finished.length === 3, 5_000, 'three runs to finish');
    } finally {
      await server.stop();
    }
    expect(readFileSync(file, 'utf8').trim().split('\n')).toEqual(['C', 'B', 'A']);
  });
});

describe('requests that do not fit', () => {
  it('are refused with typed errors carrying their fields', async () => {
    rig = await engineRig();
    const spec = await loadFixture('pause_gate.yaml');
    const firstRunning = committed(rig, 'first', 'running');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir } });
    await firstRunning;
    const now = Date.now();
    await expect(rerunRun(rig.store, run.id, { from: 'second' }, now)).rejects.toMatchObject({ name: 'RunStateError', runId: run.id, action: 'rerun', state: 'running' });
    await expect(setRunPriority(rig.store, run.id, 1, now)).rejects.toBeInstanceOf(RunStateError);
    await expect(setRunPriority(rig.store, run.id, 11, now)).rejects.toMatchObject({ name: 'PriorityRangeError', priority: 11 });
    await expect(setRunPriority(rig.store, run.id, 1.5, now)).rejects.toBeInstanceOf(PriorityRangeError);
    await expect(pauseRun(rig.store, 'nope', now)).rejects.toBeInstanceOf(RunNotFoundError);

    writeFileSync(join(rig.dir, 'gate'), '');
    expect((await run.result).state).toBe('succeeded');
    await expect(pauseRun(rig.store, run.id, Date.now())).rejects.toMatchObject({ action: 'pause', state: 'succeeded' });
    await expect(rerunRun(rig.store, run.id, { from: 'zz' }, Date.now())).rejects.toMatchObject({ name: 'RerunSelectionError', problem: 'unknown-step', stepId: 'zz' });
    await expect(rerunRun(rig.store, run.id, { failed: true }, Date.now())).rejects.toBeInstanceOf(RerunSelectionError);
    expect((await unpauseRun(rig.store, run.id, Date.now())).changed).toBe(false);
    // Nothing was written by the refused requests.
    expect((await rig.store.getEvents(run.id)).filter((e) => e.type !== 'run' && e.type !== 'step').map((e) => e.type)).toEqual([]);
    rmSync(join(rig.dir, 'gate'));
  });
});
