/**
 * Waiting steps on an engine with a virtual clock: `approval:` ends with a person's answer,
 * `wait: { signal }` with the signal's payload as its output; an answer may come before the
 * step waits, the first one counts, a rejection and a timeout fail the step without a retry,
 * and a waiting step takes no engine slot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { answerApproval, compileWorkflow, sendSignal, SignalError, VirtualClock, workflowVersion } from '../src/index.js';
import type { RunSummary, WorkflowInput, WorkflowSpec } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, tempDir, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

const dir = tempDir('baton-signals-');

async function start(input: WorkflowInput, slots?: number): Promise<{ id: string; result: Promise<RunSummary>; clock: VirtualClock }> {
  const clock = new VirtualClock();
  rig = await engineRig({ clock, ...(slots !== undefined ? { slots } : {}) });
  const spec = compileWorkflow(input, { baseDir: dir });
  started = spec;
  const run = await rig.engine.startRun(spec, workflowVersion(spec));
  return { ...run, clock };
}

/** Waits (real time) until a step run is in `state`; the store is written in real time. */
async function stepIs(runId: string, stepId: string, state: string): Promise<void> {
  await waitFor(async () => (await rig!.store.getStepRun(runId, stepId))?.state === state, 10_000, `${stepId} ${state}`);
}

/** Advances the clock past a poll and lets the engine commit, until `done`. */
async function until(clock: VirtualClock, done: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor(async () => {
    clock.advance(1_000);
    return done();
  }, 10_000, what);
}

let started: WorkflowSpec | undefined;
/** The definition of the run started last, as the CLI and API read it from the store. */
const spec = (_runId?: string): Promise<WorkflowSpec> => Promise.resolve(started!);

const FLOW: WorkflowInput = {
  name: 'release',
  steps: [
    { id: 'build', run: 'echo built' },
    { id: 'ship', needs: ['build'], approval: { message: 'Ship the nightly build?', timeout: '1h' } },
    { id: 'deployed', needs: ['ship'], wait: { signal: 'deploy-done' } },
    { id: 'report', needs: ['deployed'], env: { V: '${{ steps.deployed.output.version }}', BY: '${{ steps.ship.output.by }}' }, run: 'echo "$V by $BY" > "$BATON_OUTPUT.txt"; echo "{\\"v\\": \\"$V\\", \\"by\\": \\"$BY\\"}" > "$BATON_OUTPUT"' },
  ],
};

describe('waiting steps', () => {
  it('an approval, then a signal sent before its step waits: the outputs flow downstream, the first answer counts', async () => {
    const run = await start(FLOW);
    const { store } = rig!;
    await stepIs(run.id, 'ship', 'running');
    const record = (await store.getRun(run.id))!;
    const s = await spec(run.id);
    // The signal comes early: `deployed` has not started, it takes it when it does.
    expect(await sendSignal(store, record, s, 'deploy-done', { version: '1.4.2' }, 'cli:ops', Date.now())).toEqual(['deployed']);
    await expect(sendSignal(store, record, s, 'deploy-done', { version: 'other' }, 'cli:ops', Date.now())).rejects.toMatchObject({ problem: 'already-answered' });
    await expect(sendSignal(store, record, s, 'deploy-dne', null, undefined, Date.now())).rejects.toThrow(/no step of release waits for signal "deploy-dne": it waits for "deploy-done"/);
    await expect(answerApproval(store, record, s, 'build', { approved: true }, undefined, Date.now())).rejects.toMatchObject({ problem: 'not-an-approval' });
    // Nothing moves without the answer, however long the clock runs (under the timeout).
    run.clock.advance(30 * 60_000);
    expect((await store.getStepRun(run.id, 'ship'))?.state).toBe('running');
    await answerApproval(store, record, s, 'ship', { approved: true, note: 'numbers look right' }, 'cli:ana', Date.now());
    await until(run.clock, async () => (await store.getRun(run.id))?.state === 'succeeded', 'the run to succeed');
    expect(await run.result).toMatchObject({ state: 'succeeded' });
    const steps = new Map((await store.getStepRuns(run.id)).map((x) => [x.stepId, x]));
    expect(steps.get('ship')?.output).toMatchObject({ approved: true, by: 'cli:ana', note: 'numbers look right' });
    expect(steps.get('deployed')?.output).toEqual({ version: '1.4.2' });
    expect(steps.get('report')?.output).toEqual({ v: '1.4.2', by: 'cli:ana' });
    expect((await store.getAttempts(run.id, 'ship'))).toHaveLength(1);
    const events = (await store.getEvents(run.id)).filter((e) => e.type === 'signal').map((e) => [e.stepId, e.data]);
    expect(events).toEqual([['deployed', { name: 'deploy-done', by: 'cli:ops' }], ['ship', { name: 'approval', by: 'cli:ana', approved: true }]]);
    await expect(sendSignal(store, (await store.getRun(run.id))!, s, 'deploy-done', null, undefined, Date.now())).rejects.toMatchObject({ problem: 'run-ended' });
  });

  it('a rejection fails the step with the note, not retried, and skips what follows', async () => {
    const run = await start({ ...FLOW, retry: { attempts: 3, delay: '1s' } });
    const { store } = rig!;
    await stepIs(run.id, 'ship', 'running');
    await answerApproval(store, (await store.getRun(run.id))!, await spec(run.id), 'ship', { approved: false, note: 'store 12 is off' }, 'cli:ana', Date.now());
    await until(run.clock, async () => (await store.getRun(run.id))?.state === 'failed', 'the run to fail');
    const ship = await store.getStepRun(run.id, 'ship');
    expect(ship?.error).toMatchObject({ type: 'rejected', message: 'rejected by cli:ana: store 12 is off', retryable: false });
    expect(await store.getAttempts(run.id, 'ship')).toHaveLength(1);
    expect((await store.getStepRun(run.id, 'report'))?.state).toBe('skipped');
  });

  it('the timeout counts from when the step started waiting and fails it as wait-timeout', async () => {
    const run = await start(FLOW);
    const { store } = rig!;
    await stepIs(run.id, 'ship', 'running');
    run.clock.advance(59 * 60_000);
    expect((await store.getStepRun(run.id, 'ship'))?.state).toBe('running');
    await until(run.clock, async () => (await store.getRun(run.id))?.state === 'failed', 'the run to fail');
    expect((await store.getStepRun(run.id, 'ship'))?.error).toMatchObject({ type: 'wait-timeout', message: 'no approval within 1h', retryable: false });
  });

  it('a waiting step takes no engine slot: with one slot, the other branch runs while it waits', async () => {
    const run = await start({
      name: 'side',
      steps: [
        { id: 'gate', approval: {} },
        { id: 'a', run: 'echo a' },
        { id: 'b', needs: ['a'], run: 'echo b' },
      ],
    }, 1);
    const { store } = rig!;
    await stepIs(run.id, 'b', 'succeeded');
    expect((await store.getStepRun(run.id, 'gate'))?.state).toBe('running');
    await answerApproval(store, (await store.getRun(run.id))!, await spec(run.id), 'gate', { approved: true }, undefined, Date.now(), 'operator');
    await until(run.clock, async () => (await store.getRun(run.id))?.state === 'succeeded', 'the run to succeed');
  });

  it('an admin approval refuses an operator', async () => {
    const run = await start({ name: 'admin-gate', steps: [{ id: 'gate', approval: { role: 'admin' } }] });
    const { store } = rig!;
    await stepIs(run.id, 'gate', 'running');
    const r = (await store.getRun(run.id))!;
    const s = await spec(run.id);
    const refused = await answerApproval(store, r, s, 'gate', { approved: true }, 'api:op', Date.now(), 'operator').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SignalError);
    expect(refused).toMatchObject({ problem: 'role', message: 'step gate needs the admin role to answer it; this token has operator' });
    await answerApproval(store, r, s, 'gate', { approved: true }, 'api:admin', Date.now(), 'admin');
    await until(run.clock, async () => (await store.getRun(run.id))?.state === 'succeeded', 'the run to succeed');
  });
});
