import { describe, expect, it } from 'vitest';
import type { StepInput, WorkflowInput } from '../workflow/index.js';
import { compileWorkflow } from '../workflow/index.js';
import type { Failure } from './failure.js';
import type { StepRunRecord, Transition } from './machine.js';
import { RunMachine } from './machine.js';
import { planRerun } from './rerun.js';

const T0 = 1_700_000_000_000;
const exitFailure: Failure = { type: 'exit-code', message: 'exited with code 1', retryable: false };

function machine(input: Omit<WorkflowInput, 'name'>, steps?: StepRunRecord[], state?: 'running'): RunMachine {
  const spec = compileWorkflow({ name: 't', ...input }, { baseDir: '/tmp' });
  return new RunMachine(spec, { runId: 'r1', params: {}, ...(steps ? { steps } : {}), ...(state ? { state } : {}) });
}

const moves = (ts: Transition[]): string[] => ts.map((t) => (t.kind === 'map' ? `${t.stepId}:map(${t.itemIds.length})` : `${t.kind === 'run' ? 'run' : t.stepId}:${t.from}>${t.to}${t.reason ? `(${t.reason})` : ''}`));
const states = (m: RunMachine): Record<string, string> => Object.fromEntries(m.steps().map((s) => [s.stepId, s.state]));

function succeed(m: RunMachine, stepId: string): Transition[] {
  m.apply({ type: 'attempt-started', stepId }, T0);
  return m.apply({ type: 'attempt-succeeded', stepId, output: null }, T0);
}
function fail(m: RunMachine, stepId: string): Transition[] {
  m.apply({ type: 'attempt-started', stepId }, T0);
  return m.apply({ type: 'attempt-failed', stepId, failure: exitFailure, reason: 'exit-code' }, T0);
}

const run = (id: string, more: Partial<StepInput> = {}): StepInput => ({ id, run: 'true', ...more });

describe('trigger rules', () => {
  it('always() runs after a failed upstream; the default and success() are skipped', () => {
    const m = machine({ steps: [run('a'), run('b', { needs: ['a'], if: '${{ always() }}' }), run('c', { needs: ['a'] }), run('d', { needs: ['a'], if: '${{ success() }}' })] });
    m.apply({ type: 'start' }, T0);
    expect(moves(fail(m, 'a'))).toEqual(['a:running>failed(exit-code)', 'b:pending>queued', 'c:pending>skipped(upstream-failed)', 'd:pending>skipped(condition-false)']);
  });

  it('failure() runs only when an upstream failed', () => {
    const ok = machine({ steps: [run('a'), run('f', { needs: ['a'], if: 'failure()' })] });
    ok.apply({ type: 'start' }, T0);
    expect(moves(succeed(ok, 'a'))).toEqual(['a:running>succeeded', 'f:pending>skipped(condition-false)', 'run:running>succeeded']);
    const bad = machine({ steps: [run('a'), run('f', { needs: ['a'], if: 'failure()' })] });
    bad.apply({ type: 'start' }, T0);
    expect(moves(fail(bad, 'a'))).toEqual(['a:running>failed(exit-code)', 'f:pending>queued']);
  });

  it('always() also runs after an upstream skipped, and combines with other conditions', () => {
    const m = machine({ params: { go: { type: 'boolean', default: false } }, steps: [
      run('a', { if: '${{ params.go }}' }), run('b', { needs: ['a'], if: '${{ always() }}' }), run('c', { needs: ['a'], if: '${{ always() && params.go }}' }),
    ] });
    expect(moves(m.apply({ type: 'start' }, T0))).toEqual(['run:queued>running', 'a:pending>skipped(condition-false)', 'b:pending>queued', 'c:pending>skipped(condition-false)']);
  });
});

describe('hooks', () => {
  const demo = {
    steps: [{ id: 'work', run: 'exit 3' }, run('after', { needs: ['work'], if: '${{ always() }}' })],
    onFailure: [run('page')],
    finally: [run('cleanup')],
  };

  it('onFailure then finally run after the main steps failed; the run fails naming them', () => {
    const m = machine(demo);
    expect(moves(m.apply({ type: 'start' }, T0))).toEqual(['run:queued>running', 'work:pending>queued']);
    expect(moves(fail(m, 'work'))).toEqual(['work:running>failed(exit-code)', 'after:pending>queued']);
    expect(m.scope.run.state).toBe('running');
    expect(moves(succeed(m, 'after'))).toEqual(['after:running>succeeded', 'page:pending>queued']);
    expect(m.scope.run).toMatchObject({ state: 'failed', failedSteps: ['work'] });
    expect(moves(succeed(m, 'page'))).toEqual(['page:running>succeeded', 'cleanup:pending>queued']);
    expect(moves(succeed(m, 'cleanup'))).toEqual(['cleanup:running>succeeded', 'run:running>failed(steps failed: work)']);
  });

  it('on success onFailure is skipped and finally runs; a failing finally fails the run', () => {
    const m = machine({ steps: [run('a')], onFailure: [run('page')], finally: [run('cleanup')] });
    m.apply({ type: 'start' }, T0);
    expect(moves(succeed(m, 'a'))).toEqual(['a:running>succeeded', 'page:pending>skipped(condition-false)', 'cleanup:pending>queued']);
    expect(m.scope.run.state).toBe('succeeded');
    expect(moves(fail(m, 'cleanup'))).toEqual(['cleanup:running>failed(exit-code)', 'run:running>failed(hooks failed: cleanup)']);
  });

  it('a failing hook does not hide the main failure', () => {
    const m = machine({ steps: [run('a')], finally: [run('cleanup')] });
    m.apply({ type: 'start' }, T0);
    fail(m, 'a');
    expect(moves(fail(m, 'cleanup'))).toEqual(['cleanup:running>failed(exit-code)', 'run:running>failed(steps failed: a; hooks failed: cleanup)']);
  });

  it('hooks may need each other, by the same rules', () => {
    const m = machine({ steps: [run('a')], finally: [run('x'), run('y', { needs: ['x'] }), run('z', { needs: ['x'], if: 'always()' })] });
    m.apply({ type: 'start' }, T0);
    expect(moves(succeed(m, 'a'))).toEqual(['a:running>succeeded', 'x:pending>queued']);
    expect(moves(fail(m, 'x'))).toEqual(['x:running>failed(exit-code)', 'y:pending>skipped(upstream-failed)', 'z:pending>queued']);
  });

  it('a cancel ends the main steps, then finally runs (onFailure does not); the run is cancelled', () => {
    const m = machine({ steps: [run('a'), run('b', { needs: ['a'] })], onFailure: [run('page')], finally: [run('cleanup')] });
    m.apply({ type: 'start' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    expect(moves(m.apply({ type: 'cancel', reason: 'cancelled' }, T0))).toEqual(['b:pending>cancelled(cancelled)']);
    expect(m.isStopping('a')).toBe(true);
    expect(m.isStopping('cleanup')).toBe(false);
    expect(moves(m.apply({ type: 'attempt-ended-by-cancel', stepId: 'a' }, T0))).toEqual([
      'a:running>cancelled(cancelled)', 'page:pending>skipped(condition-false)', 'cleanup:pending>queued',
    ]);
    expect(m.scope.run.state).toBe('cancelled');
    expect(moves(succeed(m, 'cleanup'))).toEqual(['cleanup:running>succeeded', 'run:running>cancelled(cancelled)']);
  });

  it('a second cancel stops the hooks too', () => {
    const m = machine({ steps: [run('a')], finally: [run('cleanup'), run('more', { needs: ['cleanup'] })] });
    m.apply({ type: 'start' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    m.apply({ type: 'cancel', reason: 'cancelled' }, T0);
    m.apply({ type: 'attempt-ended-by-cancel', stepId: 'a' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'cleanup' }, T0);
    expect(moves(m.apply({ type: 'cancel', reason: 'cancelled' }, T0))).toEqual(['more:pending>cancelled(cancelled)']);
    expect(m.isStopping('cleanup')).toBe(true);
    expect(moves(m.apply({ type: 'attempt-ended-by-cancel', stepId: 'cleanup' }, T0))).toEqual([
      'cleanup:running>cancelled(cancelled)', 'run:running>cancelled(cancelled; hooks cancelled: cleanup, more)',
    ]);
  });

  it('a cancel while only hooks run stops them; the main outcome stands, a success becomes cancelled', () => {
    for (const [mainFails, end] of [[true, 'run:running>failed(steps failed: a; hooks cancelled: cleanup)'], [false, 'run:running>cancelled(hooks cancelled: cleanup)']] as const) {
      const m = machine({ steps: [run('a')], finally: [run('cleanup')] });
      m.apply({ type: 'start' }, T0);
      if (mainFails) fail(m, 'a');
      else succeed(m, 'a');
      m.apply({ type: 'attempt-started', stepId: 'cleanup' }, T0);
      expect(moves(m.apply({ type: 'cancel', reason: 'cancelled' }, T0))).toEqual([]);
      expect(m.isStopping('cleanup')).toBe(true);
      expect(moves(m.apply({ type: 'attempt-ended-by-cancel', stepId: 'cleanup' }, T0))).toEqual(['cleanup:running>cancelled(cancelled)', end]);
    }
  });

  it('a run timeout fails the main steps, then onFailure and finally run; a timeout during hooks is ignored', () => {
    const m = machine({ timeout: '1m', steps: [run('a')], onFailure: [run('page')], finally: [run('cleanup')] });
    m.apply({ type: 'start' }, T0);
    m.apply({ type: 'attempt-started', stepId: 'a' }, T0);
    m.apply({ type: 'cancel', reason: 'run-timeout' }, T0);
    expect(moves(m.apply({ type: 'attempt-ended-by-cancel', stepId: 'a' }, T0))).toEqual(['a:running>failed(run-timeout)', 'page:pending>queued']);
    expect(m.scope.run).toMatchObject({ state: 'failed', failedSteps: ['a'] });
    expect(moves(succeed(m, 'page'))).toEqual(['page:running>succeeded', 'cleanup:pending>queued']);
    expect(moves(succeed(m, 'cleanup'))).toEqual(['cleanup:running>succeeded', 'run:running>failed(run-timeout)']);
  });

  it('restored mid-hooks, it goes on with the hooks not yet succeeded and keeps the cancel it ended by', () => {
    const rec = (stepId: string, state: StepRunRecord['state'], reason?: StepRunRecord['reason']): StepRunRecord => ({ stepId, state, attempts: state === 'pending' ? 0 : 1, lostAttempts: 0, ...(reason ? { reason } : {}) });
    const m = machine(
      { steps: [run('a')], finally: [run('one'), run('two')] },
      [rec('a', 'cancelled', 'cancelled'), rec('one', 'succeeded'), rec('two', 'queued')],
      'running',
    );
    expect(moves(m.apply({ type: 'resume' }, T0))).toEqual(['run:running>running']);
    expect(states(m)).toEqual({ a: 'cancelled', one: 'succeeded', two: 'queued' });
    expect(moves(succeed(m, 'two'))).toEqual(['two:running>succeeded', 'run:running>cancelled(cancelled)']);
  });
});

describe('re-running a run with hooks', () => {
  const withHooks = compileWorkflow({ name: 't', steps: [run('a'), run('b')], onFailure: [run('page')], finally: [run('cleanup')] }, { baseDir: '/tmp' });
  const rec = (stepId: string, state: StepRunRecord['state']): StepRunRecord => ({ stepId, state, attempts: state === 'skipped' ? 0 : 1, lostAttempts: 0 });

  it('re-running a failed main step re-runs every hook after it; a failed hook alone re-runs alone', () => {
    const failedMain = planRerun(withHooks, 'r1', [rec('a', 'succeeded'), rec('b', 'failed'), rec('page', 'succeeded'), rec('cleanup', 'succeeded')], { failed: true }, T0);
    expect(failedMain.selected).toEqual(['b', 'page', 'cleanup']);
    const m = new RunMachine(withHooks, { runId: 'r1', params: {}, steps: failedMain.steps, state: 'queued' });
    expect(moves(m.apply({ type: 'start' }, T0))).toEqual(['run:queued>running', 'b:pending>queued']);
    expect(moves(succeed(m, 'b'))).toEqual(['b:running>succeeded', 'page:pending>skipped(condition-false)', 'cleanup:pending>queued']);
    const failedHook = planRerun(withHooks, 'r1', [rec('a', 'succeeded'), rec('b', 'succeeded'), rec('page', 'skipped'), rec('cleanup', 'failed')], { failed: true }, T0);
    expect(failedHook.selected).toEqual(['cleanup']);
  });
});
