import { describe, expect, it } from 'vitest';
import type { StepInput, WorkflowInput } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import { compileWorkflow } from '../workflow/index.js';
import type { Failure } from './failure.js';
import type { MachineOptions, StepRunRecord, Transition } from './machine.js';
import { RunMachine } from './machine.js';
import { IllegalTransitionError } from './states.js';

const T0 = 1_700_000_000_000;

function spec(steps: StepInput[], extra: Partial<WorkflowInput> = {}) {
  return compileWorkflow({ name: 't', steps, ...extra }, { baseDir: '/tmp' });
}

function machine(steps: StepInput[], opts: MachineOptions = {}, extra: Partial<WorkflowInput> = {}): RunMachine {
  return new RunMachine(spec(steps, extra), { runId: 'r1', params: {} }, opts);
}

/** Transitions as short strings: `a:pending>queued`, `run:running>failed`, with the reason when there is one. */
function moves(ts: Transition[]): string[] {
  return ts.map((t) => (t.kind === 'map' ? `${t.stepId}:map(${t.itemIds.length})` : `${t.kind === 'run' ? 'run' : t.stepId}:${t.from}>${t.to}${t.reason ? `(${t.reason})` : ''}`));
}

const states = (m: RunMachine): Record<string, string> => Object.fromEntries(m.steps().map((s) => [s.stepId, s.state]));

const exitFailure: Failure = { type: 'exit-code', message: 'exited with code 1', retryable: true };

/** Starts and succeeds one attempt of a queued step; returns the success's transitions. */
function succeed(m: RunMachine, stepId: string, output: JsonValue = null, now = T0): Transition[] {
  m.apply({ type: 'attempt-started', stepId }, now);
  return m.apply({ type: 'attempt-succeeded', stepId, output }, now);
}

/** Starts and fails one attempt of a queued step; returns the failure's transitions. */
function failOnce(m: RunMachine, stepId: string, now = T0, random = 0, failure = exitFailure): Transition[] {
  m.apply({ type: 'attempt-started', stepId }, now);
  return m.apply({ type: 'attempt-failed', stepId, failure, reason: 'exit-code' }, now, random);
}

describe('RunMachine: readiness', () => {
  it('start runs the run and queues the roots only', () => {
    const m = machine([{ id: 'a', run: 'true' }, { id: 'b', needs: ['a'], run: 'true' }, { id: 'c', run: 'true' }]);
    expect(m.state).toBe('queued');
    expect(moves(m.apply({ type: 'start' }, T0))).toEqual(['run:queued>running', 'a:pending>queued', 'c:pending>queued']);
    expect(m.state).toBe('running');
    expect(states(m)).toEqual({ a: 'queued', b: 'pending', c: 'queued' });
    expect(m.step('a').queuedAt).toBe(T0);
    expect(m.queuedSteps()).toEqual(['a', 'c']);
  });

  it('a success makes its dependent ready, and the last success ends the run', () => {
    const m = machine([{ id: 'a', run: 'true' }, { id: 'b', needs: ['a'], run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    expect(moves(m.apply({ type: 'attempt-started', stepId: 'a' }, T0 + 1))).toEqual(['a:queued>running']);
    expect(m.step('a')).toMatchObject({ attempts: 1, startedAt: T0 + 1 });
    expect(m.runningSteps()).toEqual(['a']);
    const t = m.apply({ type: 'attempt-succeeded', stepId: 'a', output: { n: 1 } }, T0 + 2);
    expect(moves(t)).toEqual(['a:running>succeeded', 'b:pending>queued']);
    expect(t[0]).toMatchObject({ output: { n: 1 }, at: T0 + 2 });
    expect(m.step('a')).toMatchObject({ state: 'succeeded', endedAt: T0 + 2, output: { n: 1 } });
    expect(moves(succeed(m, 'b', null, T0 + 3))).toEqual(['b:running>succeeded', 'run:running>succeeded']);
    expect(m.state).toBe('succeeded');
  });

  it('diamond: the join waits for all of its needs', () => {
    const m = machine([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], run: 'true' },
      { id: 'c', needs: ['a'], run: 'true' },
      { id: 'd', needs: ['b', 'c'], run: 'true' },
    ]);
    m.apply({ type: 'start' }, T0);
    expect(moves(succeed(m, 'a'))).toEqual(['a:running>succeeded', 'b:pending>queued', 'c:pending>queued']);
    expect(moves(succeed(m, 'c'))).toEqual(['c:running>succeeded']);
    expect(m.step('d').state).toBe('pending');
    expect(moves(succeed(m, 'b'))).toEqual(['b:running>succeeded', 'd:pending>queued']);
    expect(moves(succeed(m, 'd'))).toEqual(['d:running>succeeded', 'run:running>succeeded']);
  });

  it('a failure skips dependents transitively and the run ends failed once the rest is done', () => {
    const m = machine([
      { id: 'a', run: 'false' },
      { id: 'b', needs: ['a'], run: 'true' },
      { id: 'c', needs: ['b'], run: 'true' },
      { id: 'x', run: 'true' },
    ]);
    m.apply({ type: 'start' }, T0);
    const t = failOnce(m, 'a');
    expect(moves(t)).toEqual(['a:running>failed(exit-code)', 'b:pending>skipped(upstream-failed)', 'c:pending>skipped(upstream-skipped)']);
    expect(t[0]).toMatchObject({ error: exitFailure });
    expect(m.step('a')).toMatchObject({ reason: 'exit-code', error: exitFailure });
    expect(m.step('b').reason).toBe('upstream-failed');
    expect(m.state).toBe('running'); // x has not run yet
    expect(moves(succeed(m, 'x'))).toEqual(['x:running>succeeded', 'run:running>failed']);
    expect(m.state).toBe('failed');
  });

  it('a join with one failed and one skipped need is skipped as upstream-failed', () => {
    const m = machine([
      { id: 'a', run: 'false' },
      { id: 'b', if: 'false', run: 'true' },
      { id: 'c', needs: ['b', 'a'], run: 'true' },
    ]);
    expect(moves(m.apply({ type: 'start' }, T0))).toEqual(['run:queued>running', 'a:pending>queued', 'b:pending>skipped(condition-false)']);
    expect(moves(failOnce(m, 'a'))).toEqual(['a:running>failed(exit-code)', 'c:pending>skipped(upstream-failed)', 'run:running>failed']);
  });

  it('continueOnError lets dependents run and the run succeed', () => {
    const m = machine([{ id: 'a', run: 'false', continueOnError: true }, { id: 'b', needs: ['a'], run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    expect(moves(failOnce(m, 'a'))).toEqual(['a:running>failed(exit-code)', 'b:pending>queued']);
    expect(moves(succeed(m, 'b'))).toEqual(['b:running>succeeded', 'run:running>succeeded']);
  });

  it('if false skips the step (condition-false) and its dependents (upstream-skipped); the run succeeds', () => {
    const m = machine([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], if: '${{ steps.a.output.go }}', run: 'true' },
      { id: 'c', needs: ['b'], run: 'true' },
    ]);
    m.apply({ type: 'start' }, T0);
    expect(moves(succeed(m, 'a', { go: false }))).toEqual([
      'a:running>succeeded', 'b:pending>skipped(condition-false)', 'c:pending>skipped(upstream-skipped)', 'run:running>succeeded',
    ]);
  });

  it('if true (reading an upstream output and a param) queues the step', () => {
    const s = spec([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], if: 'steps.a.output.n > 1 && params.on', run: 'true' },
    ], { params: { on: { type: 'boolean', default: true } } });
    const m = new RunMachine(s, { runId: 'r1', params: { on: true } });
    m.apply({ type: 'start' }, T0);
    expect(moves(succeed(m, 'a', { n: 2 }))).toEqual(['a:running>succeeded', 'b:pending>queued']);
  });

  // BUG (src/core/machine.ts decide(), ~line 379): when evaluating `if` throws, decide()
  // calls fail(), i.e. pending -> failed, which STEP_MOVES (src/core/states.ts) forbids, so
  // apply() throws IllegalTransitionError instead of failing the step with reason `error`.
  // In the engine this throw escapes an attempt's completion callback: `baton run` dies with an
  // uncaught IllegalTransitionError and the run stays `running` (for a root step, startRun throws).
  it('an if that fails to evaluate fails the step (type expression) instead of throwing', () => {
    const m = machine([{ id: 'a', run: 'true' }, { id: 'b', needs: ['a'], if: '-steps.a.output.s > 0', run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    const t = succeed(m, 'a', { s: 'text' });
    expect(moves(t)).toEqual(['a:running>succeeded', 'b:pending>failed(error)', 'run:running>failed']);
    expect(m.step('b').error?.type).toBe('expression');
  });
});

describe('RunMachine: retries', () => {
  const retrying = (retry: StepInput['retry']): RunMachine => {
    const m = machine([{ id: 'a', run: 'false', retry }]);
    m.apply({ type: 'start' }, T0);
    return m;
  };

  it('a failure with tries left waits out the backoff (dueAt = now + delay, jitter from random)', () => {
    const m = retrying({ attempts: 3, backoff: 'fixed', delay: '1s', jitter: 0.5 });
    const t = failOnce(m, 'a', T0, 0);
    expect(moves(t)).toEqual(['a:running>retrying(exit-code)']);
    // jitter 0.5 with random 0: 1000 * (1 - 0.5) = 500
    expect(t[0]).toMatchObject({ kind: 'step', dueAt: T0 + 500, error: exitFailure });
    expect(m.retryingSteps()).toEqual([{ stepId: 'a', dueAt: T0 + 500 }]);
    expect(m.state).toBe('running');

    expect(moves(m.apply({ type: 'backoff-elapsed', stepId: 'a' }, T0 + 500))).toEqual(['a:retrying>queued']);
    expect(m.step('a').queuedAt).toBe(T0 + 500);
    expect(m.step('a').dueAt).toBeUndefined();

    // random 0.5: 1000 * (0.5 + 0.5 * 0.5) = 750
    const t2 = failOnce(m, 'a', T0 + 1000, 0.5);
    expect(t2[0]).toMatchObject({ to: 'retrying', dueAt: T0 + 1000 + 750 });
    expect(m.step('a').attempts).toBe(2);
  });

  it('a success after a failed try leaves the step without the earlier failure (its attempt keeps it)', () => {
    const m = retrying({ attempts: 2, backoff: 'fixed', delay: '1s' });
    failOnce(m, 'a', T0);
    expect(m.step('a').error).toEqual(exitFailure);
    m.apply({ type: 'backoff-elapsed', stepId: 'a' }, T0 + 1000);
    succeed(m, 'a', { ok: true }, T0 + 1001);
    expect(m.step('a')).toMatchObject({ state: 'succeeded', output: { ok: true } });
    expect(m.step('a').error).toBeUndefined();
    expect(m.step('a').reason).toBeUndefined();
  });

  it('exponential backoff grows by factor per failed try', () => {
    const m = retrying({ attempts: 4, backoff: 'exponential', delay: '100ms', factor: 3 });
    const due: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = failOnce(m, 'a', T0);
      due.push((t[0] as { dueAt: number }).dueAt - T0);
      m.apply({ type: 'backoff-elapsed', stepId: 'a' }, T0);
    }
    expect(due).toEqual([100, 300, 900]);
  });

  it('the last try failing fails the step and the run', () => {
    const m = retrying({ attempts: 2, backoff: 'fixed', delay: '10ms' });
    failOnce(m, 'a');
    m.apply({ type: 'backoff-elapsed', stepId: 'a' }, T0 + 10);
    expect(moves(failOnce(m, 'a', T0 + 20))).toEqual(['a:running>failed(exit-code)', 'run:running>failed']);
    expect(m.step('a')).toMatchObject({ attempts: 2, state: 'failed', endedAt: T0 + 20 });
  });

  it('a non-retryable failure fails at once, whatever tries are left', () => {
    const m = retrying({ attempts: 5 });
    const failure: Failure = { type: 'validation', message: 'bad input', retryable: false };
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    expect(moves(m.apply({ type: 'attempt-failed', stepId: 'a', failure, reason: 'error' }, T0))).toEqual(['a:running>failed(error)', 'run:running>failed']);
    expect(m.step('a').error).toEqual(failure);
  });

  it('a timeout is a failure with reason timeout, retried by policy', () => {
    const m = retrying({ attempts: 2, backoff: 'fixed', delay: '10ms' });
    const failure: Failure = { type: 'timeout', message: 'timed out after 1s', retryable: true };
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    expect(moves(m.apply({ type: 'attempt-failed', stepId: 'a', failure, reason: 'timeout' }, T0))).toEqual(['a:running>retrying(timeout)']);
    m.apply({ type: 'backoff-elapsed', stepId: 'a' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    expect(moves(m.apply({ type: 'attempt-failed', stepId: 'a', failure, reason: 'timeout' }, T0))).toEqual(['a:running>failed(timeout)', 'run:running>failed']);
  });

  it('a lost attempt is queued again without spending the retry budget', () => {
    const m = retrying({ attempts: 2, backoff: 'fixed', delay: '10ms' });
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    const lost = m.apply({ type: 'attempt-lost', stepId: 'a' }, T0 + 5);
    expect(moves(lost)).toEqual(['a:running>queued(lost)']);
    expect(m.step('a')).toMatchObject({ attempts: 1, lostAttempts: 1, queuedAt: T0 + 5 });
    // Two tries started, one lost: one spent of two, so a failure still retries.
    expect(moves(failOnce(m, 'a', T0 + 10))).toEqual(['a:running>retrying(exit-code)']);
    m.apply({ type: 'backoff-elapsed', stepId: 'a' }, T0 + 20);
    expect(moves(failOnce(m, 'a', T0 + 30))).toEqual(['a:running>failed(exit-code)', 'run:running>failed']);
  });

  it('after maxLostAttempts + 1 losses the step fails with reason lost', () => {
    const m = machine([{ id: 'a', run: 'true' }], { maxLostAttempts: 2 });
    m.apply({ type: 'start' }, T0);
    for (let i = 0; i < 2; i++) {
      m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
      expect(moves(m.apply({ type: 'attempt-lost', stepId: 'a' }, T0))).toEqual(['a:running>queued(lost)']);
    }
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    expect(moves(m.apply({ type: 'attempt-lost', stepId: 'a' }, T0))).toEqual(['a:running>failed(lost)', 'run:running>failed']);
    expect(m.step('a')).toMatchObject({ lostAttempts: 3, error: { type: 'lost', retryable: false } });
  });

  it('maxLostAttempts defaults to 3', () => {
    const m = machine([{ id: 'a', run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    const last: string[][] = [];
    for (let i = 0; i < 4; i++) {
      m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
      last.push(moves(m.apply({ type: 'attempt-lost', stepId: 'a' }, T0)));
    }
    expect(last.map((x) => x[0])).toEqual(['a:running>queued(lost)', 'a:running>queued(lost)', 'a:running>queued(lost)', 'a:running>failed(lost)']);
  });
});

describe('RunMachine: cancellation and run timeout', () => {
  /** Roots a (running), b (queued), d (retrying); c needs a (pending). */
  function busy(): RunMachine {
    const m = machine([
      { id: 'a', run: 'sleep 9' },
      { id: 'b', run: 'true' },
      { id: 'c', needs: ['a'], run: 'true' },
      { id: 'd', run: 'false', retry: { attempts: 3, backoff: 'fixed', delay: '1s' } },
    ]);
    m.apply({ type: 'start' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    failOnce(m, 'd', T0);
    expect(states(m)).toEqual({ a: 'running', b: 'queued', c: 'pending', d: 'retrying' });
    return m;
  }

  it('cancel ends pending, queued and retrying steps; running ones end when their attempt does', () => {
    const m = busy();
    const t = m.apply({ type: 'cancel', reason: 'cancelled' }, T0 + 1);
    expect(moves(t)).toEqual(['b:queued>cancelled(cancelled)', 'c:pending>cancelled(cancelled)', 'd:retrying>cancelled(cancelled)']);
    expect(m.isEnding).toBe(true);
    expect(m.state).toBe('running');
    expect(m.runningSteps()).toEqual(['a']);
    // A backoff timer that fires late changes nothing; a second cancel neither.
    expect(m.apply({ type: 'backoff-elapsed', stepId: 'd' }, T0 + 2)).toEqual([]);
    expect(m.apply({ type: 'cancel', reason: 'cancelled' }, T0 + 2)).toEqual([]);
    expect(moves(m.apply({ type: 'attempt-ended-by-cancel', stepId: 'a' }, T0 + 3))).toEqual(['a:running>cancelled(cancelled)', 'run:running>cancelled(cancelled)']);
    expect(m.state).toBe('cancelled');
  });

  it('a failure while cancelling does not retry', () => {
    const m = machine([{ id: 'a', run: 'false', retry: { attempts: 3 } }, { id: 'b', run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    m.apply({ type: 'cancel', reason: 'cancelled' }, T0);
    expect(moves(m.apply({ type: 'attempt-failed', stepId: 'a', failure: exitFailure, reason: 'exit-code' }, T0))).toEqual([
      'a:running>failed(exit-code)', 'run:running>cancelled(cancelled)',
    ]);
  });

  it('a lost attempt while cancelling is cancelled', () => {
    const m = machine([{ id: 'a', run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    m.apply({ type: 'cancel', reason: 'cancelled' }, T0);
    expect(moves(m.apply({ type: 'attempt-lost', stepId: 'a' }, T0))).toEqual(['a:running>cancelled(cancelled)', 'run:running>cancelled(cancelled)']);
  });

  it('cancel with reason run-timeout fails running steps (run-timeout) and the run', () => {
    const m = busy();
    expect(moves(m.apply({ type: 'cancel', reason: 'run-timeout' }, T0 + 1))).toEqual([
      'b:queued>cancelled(cancelled)', 'c:pending>cancelled(cancelled)', 'd:retrying>cancelled(cancelled)',
    ]);
    const t = m.apply({ type: 'attempt-ended-by-cancel', stepId: 'a' }, T0 + 2);
    expect(moves(t)).toEqual(['a:running>failed(run-timeout)', 'run:running>failed(run-timeout)']);
    expect(m.step('a').error).toMatchObject({ type: 'timeout', retryable: false });
  });

  it('cancel of a run with nothing running ends it at once; cancel before start does nothing', () => {
    const m = machine([{ id: 'a', run: 'true' }, { id: 'b', needs: ['a'], run: 'true' }]);
    expect(m.apply({ type: 'cancel', reason: 'cancelled' }, T0)).toEqual([]);
    m.apply({ type: 'start' }, T0);
    expect(moves(m.apply({ type: 'cancel', reason: 'cancelled' }, T0))).toEqual([
      'a:queued>cancelled(cancelled)', 'b:pending>cancelled(cancelled)', 'run:running>cancelled(cancelled)',
    ]);
  });

  it('resume re-opens cancelled steps and the run goes on', () => {
    const m = busy();
    m.apply({ type: 'cancel', reason: 'cancelled' }, T0 + 1);
    m.apply({ type: 'attempt-ended-by-cancel', stepId: 'a' }, T0 + 2);
    expect(m.state).toBe('cancelled');
    const t = m.apply({ type: 'resume' }, T0 + 3);
    expect(moves(t)).toEqual([
      'a:cancelled>pending', 'b:cancelled>pending', 'c:cancelled>pending', 'd:cancelled>pending',
      'run:cancelled>running', 'a:pending>queued', 'b:pending>queued', 'd:pending>queued',
    ]);
    expect(m.isEnding).toBe(false);
    expect(m.step('a').reason).toBeUndefined();
    expect(m.step('a').endedAt).toBeUndefined();
    succeed(m, 'a');
    expect(m.step('c').state).toBe('queued');
    succeed(m, 'b');
    succeed(m, 'c');
    expect(moves(succeed(m, 'd'))).toEqual(['d:running>succeeded', 'run:running>succeeded']);
  });
});

describe('RunMachine: illegal moves and outputs', () => {
  it('an event that does not fit the state throws IllegalTransitionError', () => {
    const m = machine([{ id: 'a', run: 'true' }, { id: 'b', needs: ['a'], run: 'true' }]);
    m.apply({ type: 'start' }, T0);
    let err: unknown;
    try {
      m.apply({ type: 'attempt-succeeded', stepId: 'b', output: null }, T0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IllegalTransitionError);
    expect(err).toMatchObject({ subject: 'step b', from: 'pending', to: 'succeeded' });
    succeed(m, 'a');
    succeed(m, 'b');
    expect(() => m.apply({ type: 'attempt-started', stepId: 'a' }, T0)).toThrow(IllegalTransitionError);
    expect(() => m.apply({ type: 'resume' }, T0)).toThrow(/illegal transition of run r1: succeeded -> running/);
    expect(() => m.apply({ type: 'attempt-started', stepId: 'nope' }, T0)).toThrow(/unknown step nope/);
  });

  it('upstreamOutputs holds every succeeded ancestor, once, and nothing else', () => {
    const m = machine([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], run: 'true' },
      { id: 'c', needs: ['a'], run: 'false', continueOnError: true },
      { id: 'd', needs: ['b', 'c'], run: 'true' },
      { id: 'x', run: 'true' },
    ]);
    m.apply({ type: 'start' }, T0);
    succeed(m, 'x', 'unrelated');
    succeed(m, 'a', { n: 1 });
    succeed(m, 'b', [1, 2]);
    failOnce(m, 'c');
    expect(m.upstreamOutputs('d')).toEqual({ a: { n: 1 }, b: [1, 2] });
    expect(m.upstreamOutputs('b')).toEqual({ a: { n: 1 } });
    expect(m.upstreamOutputs('a')).toEqual({});
    expect(m.scope.steps).toEqual({ x: { output: 'unrelated' }, a: { output: { n: 1 } }, b: { output: [1, 2] } });
  });

  it('a restored machine keeps succeeded outputs in scope and goes on from the records', () => {
    const s = spec([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], run: 'true' },
      { id: 'c', needs: ['b'], if: '${{ steps.a.output.n == 7 }}', run: 'true' },
    ]);
    const records: StepRunRecord[] = [
      { stepId: 'a', state: 'succeeded', attempts: 1, lostAttempts: 0, output: { n: 7 }, endedAt: T0 },
      { stepId: 'b', state: 'running', attempts: 1, lostAttempts: 0, startedAt: T0 },
      { stepId: 'c', state: 'pending', attempts: 0, lostAttempts: 0 },
    ];
    const m = new RunMachine(s, { runId: 'r1', params: {}, state: 'running', steps: records });
    expect(m.scope.steps).toEqual({ a: { output: { n: 7 } } });
    expect(m.upstreamOutputs('c')).toEqual({ a: { n: 7 } });
    expect(moves(m.apply({ type: 'attempt-lost', stepId: 'b' }, T0 + 1))).toEqual(['b:running>queued(lost)']);
    expect(moves(m.apply({ type: 'resume' }, T0 + 1))).toEqual(['run:running>running']);
    m.apply({ type: 'attempt-started', stepId: 'b' }, T0 + 2);
    expect(m.step('b').attempts).toBe(2);
    expect(moves(m.apply({ type: 'attempt-succeeded', stepId: 'b', output: null }, T0 + 3))).toEqual(['b:running>succeeded', 'c:pending>queued']);
    expect(moves(succeed(m, 'c'))).toEqual(['c:running>succeeded', 'run:running>succeeded']);
  });

  it('a restored failed step (without continueOnError) still fails the run', () => {
    const s = spec([{ id: 'a', run: 'false', continueOnError: false }, { id: 'b', run: 'true' }, { id: 'c', needs: ['a'], run: 'true' }]);
    const m = new RunMachine(s, {
      runId: 'r1', params: {}, state: 'cancelled',
      steps: [
        { stepId: 'a', state: 'failed', attempts: 1, lostAttempts: 0, reason: 'exit-code' },
        { stepId: 'b', state: 'cancelled', attempts: 0, lostAttempts: 0, reason: 'cancelled' },
        { stepId: 'c', state: 'skipped', attempts: 0, lostAttempts: 0, reason: 'upstream-failed' },
      ],
    });
    expect(moves(m.apply({ type: 'resume' }, T0))).toEqual(['b:cancelled>pending', 'run:cancelled>running', 'b:pending>queued']);
    expect(moves(succeed(m, 'b'))).toEqual(['b:running>succeeded', 'run:running>failed']);
  });
});
