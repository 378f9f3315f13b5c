import { describe, expect, it } from 'vitest';
import type { StepInput } from '../workflow/index.js';
import { compileWorkflow } from '../workflow/index.js';
import type { StepRunRecord } from './machine.js';
import { RunMachine } from './machine.js';
import { RerunSelectionError, planRerun } from './rerun.js';
import { canMoveRun, canMoveStep, canRerunRun, canRerunStep } from './states.js';

const T0 = 1_700_000_000_000;

const spec = (steps: StepInput[]) => compileWorkflow({ name: 't', steps }, { baseDir: '/tmp' });

/** a -> b -> c, a -> d; e alone. */
const diamond = spec([
  { id: 'a', run: 'true' },
  { id: 'b', needs: ['a'], run: 'true', retry: { attempts: 2, backoff: 'fixed', delay: '1s' } },
  { id: 'c', needs: ['b'], run: 'true' },
  { id: 'd', needs: ['a'], run: 'true' },
  { id: 'e', run: 'true' },
]);

const rec = (stepId: string, state: StepRunRecord['state'], over: Partial<StepRunRecord> = {}): StepRunRecord => ({
  stepId, state, attempts: state === 'skipped' || state === 'pending' ? 0 : 1, lostAttempts: 0, ...over,
});

describe('planRerun', () => {
  it('from a middle step: that step and its downstream go back to pending, upstream and siblings keep their records', () => {
    const steps = [
      rec('a', 'succeeded', { output: { n: 1 }, endedAt: T0 }),
      rec('b', 'succeeded', { attempts: 2, lostAttempts: 1, output: 2, startedAt: T0, endedAt: T0 + 1 }),
      rec('c', 'failed', { reason: 'exit-code', error: { type: 'exit-code', message: 'x', retryable: true } }),
      rec('d', 'succeeded'),
      rec('e', 'succeeded'),
    ];
    const plan = planRerun(diamond, 'r1', steps, { from: 'b' }, T0 + 5);
    expect(plan.selected).toEqual(['b', 'c']);
    expect(plan.reopened).toEqual([]);
    expect(plan.steps[0]).toBe(steps[0]);
    expect(plan.steps[1]).toStrictEqual({ stepId: 'b', state: 'pending', attempts: 2, lostAttempts: 0, retryBase: 2 });
    expect(plan.steps[2]).toStrictEqual({ stepId: 'c', state: 'pending', attempts: 1, lostAttempts: 0, retryBase: 1 });
    expect(plan.transitions.map((t) => `${t.stepId}:${t.from}>${t.to}`)).toEqual(['b:succeeded>pending', 'c:failed>pending']);
  });

  it('puts the tags asked for (--on) on every step run it re-runs, and a later re-run without them clears them', () => {
    const steps = [rec('a', 'succeeded'), rec('b', 'failed'), rec('c', 'skipped'), rec('d', 'succeeded'), rec('e', 'succeeded', { runsOn: ['old'] })];
    const plan = planRerun(diamond, 'r1', steps, { failed: true, on: ['docker', 'docker'] }, T0);
    expect(plan.steps.filter((x) => x.runsOn).map((x) => [x.stepId, x.runsOn])).toEqual([['b', ['docker']], ['c', ['docker']], ['e', ['old']]]);
    const again = planRerun(diamond, 'r1', [rec('a', 'succeeded'), ...plan.steps.slice(1, 4).map((x) => ({ ...x, state: 'failed' as const })), rec('e', 'succeeded')], { from: 'b' }, T0);
    expect(again.steps.find((x) => x.stepId === 'b')).not.toHaveProperty('runsOn');
  });

  it('failed only: the failed steps and what they skipped, not a succeeded dependent of a continueOnError step', () => {
    const s = spec([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], run: 'false' },
      { id: 'c', needs: ['b'], run: 'true' },
      { id: 'd', needs: ['c'], run: 'true' },
      { id: 'e', run: 'false', continueOnError: true },
      { id: 'f', needs: ['e'], run: 'true' },
    ]);
    const steps = [
      rec('a', 'succeeded'), rec('b', 'failed'), rec('c', 'skipped', { reason: 'upstream-failed' }),
      rec('d', 'skipped', { reason: 'upstream-skipped' }), rec('e', 'failed'), rec('f', 'succeeded'),
    ];
    const plan = planRerun(s, 'r1', steps, { failed: true }, T0);
    expect(plan.selected).toEqual(['b', 'c', 'd', 'e']);
  });

  it('reopens cancelled steps outside the selection, keeping their budget', () => {
    const steps = [rec('a', 'succeeded'), rec('b', 'failed'), rec('c', 'skipped'), rec('d', 'cancelled', { attempts: 1, reason: 'cancelled', endedAt: T0 }), rec('e', 'succeeded')];
    const plan = planRerun(diamond, 'r1', steps, { failed: true }, T0);
    expect(plan.selected).toEqual(['b', 'c']);
    expect(plan.reopened).toEqual(['d']);
    expect(plan.steps[3]).toStrictEqual({ stepId: 'd', state: 'pending', attempts: 1, lostAttempts: 0 });
  });

  it('refuses an unknown step, a failed-only re-run without failures, and a step still active', () => {
    const ok = diamond.steps.map((s) => rec(s.id, 'succeeded'));
    const caught = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    expect(caught(() => planRerun(diamond, 'r1', ok, { from: 'zz' }, T0))).toMatchObject({ runId: 'r1', problem: 'unknown-step', stepId: 'zz' });
    expect(() => planRerun(diamond, 'r1', ok, { failed: true }, T0)).toThrow(RerunSelectionError);
    const active = [...ok.slice(0, 2), rec('c', 'running'), ...ok.slice(3)];
    expect(caught(() => planRerun(diamond, 'r1', active, { from: 'b' }, T0))).toMatchObject({ problem: 'step-active', stepId: 'c', stepState: 'running' });
  });

  it('a machine built from the plan runs the selected steps with attempt numbers going on and a fresh retry budget', () => {
    const steps = [rec('a', 'succeeded', { output: 1 }), rec('b', 'failed', { attempts: 2 }), rec('c', 'skipped'), rec('d', 'succeeded'), rec('e', 'succeeded')];
    const plan = planRerun(diamond, 'r1', steps, { failed: true }, T0);
    const m = new RunMachine(diamond, { runId: 'r1', params: {}, state: 'queued', steps: plan.steps });
    expect(m.apply({ type: 'start' }, T0).map((t) => (t.kind === 'run' ? `run>${t.to}` : t.kind === 'map' ? `${t.stepId}>map` : `${t.stepId}>${t.to}`))).toEqual(['run>running', 'b>queued']);
    expect(m.scope.steps.a).toEqual({ output: 1 });
    m.apply({ type: 'attempt-started', stepId: 'b' }, T0);
    expect(m.step('b').attempts).toBe(3);
    // Budget of 2 tries: the first failure after the re-run is retried, although b had 2 tries before.
    const t = m.apply({ type: 'attempt-failed', stepId: 'b', failure: { type: 'exit-code', message: 'x', retryable: true }, reason: 'exit-code' }, T0);
    expect(t[0]).toMatchObject({ stepId: 'b', to: 'retrying' });
  });
});

describe('state tables and re-run', () => {
  it('nothing automatic moves a succeeded step run or a finished run; only the re-run tables do', () => {
    for (const to of ['pending', 'queued', 'running'] as const) expect(canMoveStep('succeeded', to)).toBe(false);
    expect(canMoveStep('failed', 'queued')).toBe(false);
    expect(canMoveRun('succeeded', 'queued')).toBe(false);
    expect(canRerunStep('succeeded')).toBe(true);
    expect(canRerunStep('running')).toBe(false);
    expect(canRerunStep('retrying')).toBe(false);
    expect(canRerunRun('failed')).toBe(true);
    expect(canRerunRun('running')).toBe(false);
  });
});
