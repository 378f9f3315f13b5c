/**
 * Circuit breakers in the embedded engine, on a virtual clock: failures of steps behind a
 * breaker open it; ready steps behind it then wait `queued` with reason `circuit-open` (no
 * attempt, nothing failed); at the cool-down's end one trial runs while the others still
 * wait; its success closes the breaker and they run. Shell steps run in real time; only the
 * engine's timers are virtual.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, compileWorkflow, workflowVersion } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, nextEvent, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

const breaker = { key: 'dep', failures: 2, cooldown: '60s' };
const failing = compileWorkflow({
  name: 'calls-dep', retry: { attempts: 1 },
  steps: [{ id: 'a', run: 'exit 3', breaker }, { id: 'b', run: 'exit 4', breaker }],
}, { baseDir: '/tmp' });
const later = compileWorkflow({
  name: 'calls-dep-later', concurrency: 4,
  steps: [{ id: 'c', run: 'echo c', breaker }, { id: 'd', run: 'echo d', breaker }, { id: 'free', run: 'echo free' }],
}, { baseDir: '/tmp' });

describe('circuit breaker in the embedded engine', () => {
  it('failures open it; later ready steps wait queued (circuit-open); after the cool-down one trial runs, then the rest', async () => {
    const clock = new VirtualClock(1_800_000_000_000);
    rig = await engineRig({ clock });
    const { engine, store } = rig;

    const first = await engine.startRun(failing, workflowVersion(failing));
    expect((await first.result).state).toBe('failed');
    const [opened] = await waitFor(async () => {
      const b = await store.breakers.list(['dep']);
      return b[0]?.state === 'open' ? b : undefined;
    }, 5_000, 'the breaker to open');
    expect(opened).toMatchObject({ key: 'dep', state: 'open', consecutiveFailures: 2, nextTrialAt: opened!.openedAt! + 60_000 });
    const t0 = clock.now();

    const second = await engine.startRun(later, workflowVersion(later));
    // The step without a breaker runs; those behind it wait, queued, saying why.
    await waitFor(async () => (await store.getStepRun(second.id, 'free'))?.state === 'succeeded', 5_000, 'the free step');
    const waiting = await waitFor(async () => {
      const steps = await store.getStepRuns(second.id);
      const held = steps.filter((s) => s.circuit !== undefined);
      return held.length === 2 ? held : undefined;
    }, 5_000, 'c and d to wait behind the breaker');
    for (const s of waiting) {
      expect(s.state).toBe('queued');
      expect(s.circuit).toEqual({ reason: 'circuit-open', breaker: 'dep', until: opened!.nextTrialAt });
    }
    expect((await store.getAttempts(second.id)).map((a) => a.stepId)).toEqual(['free']);
    expect((await store.getEvents(second.id)).filter((e) => e.type === 'circuit-open').map((e) => e.stepId).sort()).toEqual(['c', 'd']);

    // 1 ms short of the cool-down: still nothing.
    clock.advance(opened!.nextTrialAt! - t0 - 1);
    // What an early wake-up would have started is committed within a few turns.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect((await store.getAttempts(second.id)).map((a) => a.stepId)).toEqual(['free']);

    // The cool-down ends: exactly one trial starts while the other still waits.
    const trialStarted = nextEvent(engine, (e) => e.type === 'step' && e.to === 'running' && (e.stepId === 'c' || e.stepId === 'd'));
    clock.advance(1);
    const trial = await trialStarted;
    const other = trial.stepId === 'c' ? 'd' : 'c';
    const half = (await store.breakers.list(['dep']))[0];
    expect(half).toMatchObject({ state: 'half-open', trialAttempt: `${second.id}.${trial.stepId!}.1` });
    expect((await store.getStepRun(second.id, other))?.state).toBe('queued');

    // The trial succeeds: the breaker closes and the other step runs.
    expect((await second.result).state).toBe('succeeded');
    expect((await store.breakers.list(['dep']))[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    const attempts = await store.getAttempts(second.id);
    const trialAttempt = attempts.find((a) => a.stepId === trial.stepId)!;
    const otherAttempt = attempts.find((a) => a.stepId === other)!;
    expect(otherAttempt.startedAt).toBeGreaterThanOrEqual(trialAttempt.endedAt!);
    // Started, it no longer says it waits.
    expect((await store.getStepRun(second.id, other))?.circuit).toBeUndefined();
    // Every change of state is an event of the runs whose attempts caused it.
    const changes = [...await store.getEvents(first.id), ...await store.getEvents(second.id)].filter((e) => e.type === 'breaker').map((e) => `${e.from}->${e.to}`);
    expect(changes).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('a failed trial opens it again for another cool-down; the waiting step does not fail', async () => {
    const clock = new VirtualClock(1_800_000_000_000);
    rig = await engineRig({ clock });
    const { engine, store } = rig;
    expect((await (await engine.startRun(failing, workflowVersion(failing))).result).state).toBe('failed');
    await waitFor(async () => (await store.breakers.list(['dep']))[0]?.state === 'open', 5_000, 'open');
    const flaky = compileWorkflow({ name: 'trial-fails', retry: { attempts: 1 }, steps: [{ id: 'x', run: 'exit 1', breaker }, { id: 'y', run: 'exit 1', breaker }] }, { baseDir: '/tmp' });
    const run = await engine.startRun(flaky, workflowVersion(flaky));
    await waitFor(async () => (await store.getStepRuns(run.id)).every((s) => s.circuit !== undefined), 5_000, 'both to wait');
    const reopened = nextEvent(engine, (e) => e.type === 'step' && e.to === 'failed');
    clock.advance(60_000);
    const failed = await reopened;
    await waitFor(async () => (await store.breakers.list(['dep']))[0]?.state === 'open', 5_000, 're-opened');
    const b = (await store.breakers.list(['dep']))[0]!;
    expect(b.reason).toBe('trial failed');
    expect(b.nextTrialAt).toBe(b.openedAt! + 60_000);
    const waitingStep = failed.stepId === 'x' ? 'y' : 'x';
    expect((await store.getStepRun(run.id, waitingStep))?.state).toBe('queued');
    engine.cancelRun(run.id);
    await run.result;
  });

  it('a step cancelled while it waits does not take the trial: the next waiting step does', async () => {
    const clock = new VirtualClock(1_800_000_000_000);
    rig = await engineRig({ clock });
    const { engine, store } = rig;
    expect((await (await engine.startRun(failing, workflowVersion(failing))).result).state).toBe('failed');
    await waitFor(async () => (await store.breakers.list(['dep']))[0]?.state === 'open', 5_000, 'open');
    const one = compileWorkflow({ name: 'one-call', steps: [{ id: 'z', run: 'echo z', breaker }] }, { baseDir: '/tmp' });
    const gone = await engine.startRun(one, workflowVersion(one));
    await waitFor(async () => (await store.getStepRun(gone.id, 'z'))?.circuit !== undefined, 5_000, 'z to wait');
    engine.cancelRun(gone.id);
    expect((await gone.result).state).toBe('cancelled');
    const kept = await engine.startRun(one, workflowVersion(one));
    await waitFor(async () => (await store.getStepRun(kept.id, 'z'))?.circuit !== undefined, 5_000, 'the second z to wait');
    clock.advance(60_000);
    expect((await kept.result).state).toBe('succeeded');
    expect(await store.getAttempts(gone.id)).toEqual([]);
    const trials = (await store.getEvents(kept.id)).filter((e) => e.type === 'breaker').map((e) => `${e.from}->${e.to}`);
    expect(trials).toEqual(['open->half-open', 'half-open->closed']);
  });
});
