import { describe, expect, it } from 'vitest';
import type { StepInput, WorkflowInput } from '../workflow/index.js';
import { compileWorkflow } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import type { Failure } from './failure.js';
import type { StepRunRecord, Transition } from './machine.js';
import { RunMachine } from './machine.js';
import { mapItemId, parseMapItemId } from './map.js';
import { planRerun } from './rerun.js';

const T0 = 1_700_000_000_000;
const exitFailure: Failure = { type: 'exit-code', message: 'exited with code 1', retryable: false };

function machine(input: Omit<WorkflowInput, 'name'>, steps?: StepRunRecord[], state?: 'running' | 'cancelled'): RunMachine {
  const spec = compileWorkflow({ name: 't', ...input }, { baseDir: '/tmp' });
  return new RunMachine(spec, { runId: 'r1', params: {}, ...(steps ? { steps } : {}), ...(state ? { state } : {}) });
}

const moves = (ts: Transition[]): string[] =>
  ts.map((t) => (t.kind === 'map' ? `${t.stepId}:map(${t.itemIds.length})` : `${t.kind === 'run' ? 'run' : t.stepId}:${t.from}>${t.to}${t.reason ? `(${t.reason})` : ''}`));
const states = (m: RunMachine): Record<string, string> => Object.fromEntries(m.steps().map((s) => [s.stepId, s.state]));

function succeed(m: RunMachine, stepId: string, output: JsonValue = null): Transition[] {
  m.apply({ type: 'attempt-started', stepId }, T0);
  return m.apply({ type: 'attempt-succeeded', stepId, output }, T0);
}
function fail(m: RunMachine, stepId: string): Transition[] {
  m.apply({ type: 'attempt-started', stepId }, T0);
  return m.apply({ type: 'attempt-failed', stepId, failure: exitFailure, reason: 'exit-code' }, T0);
}

const run = (id: string, more: Partial<StepInput> = {}): StepInput => ({ id, run: 'true', ...more });
const squares = (map: Record<string, unknown> = {}): Omit<WorkflowInput, 'name'> => ({
  steps: [
    run('list'),
    run('square', { needs: ['list'], map: { items: '${{ steps.list.output.items }}', concurrency: 2, ...map }, env: { N: '${{ item }}' } }),
    run('total', { needs: ['square'], env: { ALL: '${{ steps.square.output }}' } }),
  ],
});

/** Starts the squares workflow and expands `square` over `items`. */
function expanded(items: JsonValue[], map: Record<string, unknown> = {}): { m: RunMachine; expansion: string[] } {
  const m = machine(squares(map));
  m.apply({ type: 'start' }, T0);
  succeed(m, 'list', { items });
  expect(m.needsExpansion('square')).toBe(true);
  return { m, expansion: moves(m.apply({ type: 'map-expanded', stepId: 'square', items }, T0)) };
}

describe('map items', () => {
  it('names items <step>[<index>] and reads the names back', () => {
    expect(mapItemId('square', 12)).toBe('square[12]');
    expect(parseMapItemId('square[12]')).toEqual({ stepId: 'square', index: 12 });
    expect(parseMapItemId('square')).toBeUndefined();
  });

  it('expands into one step run per item, queued no more than concurrency at once', () => {
    const { m, expansion } = expanded([1, 2, 3, 4, 5]);
    expect(expansion).toEqual(['square:map(5)', 'square:queued>running', 'square[0]:pending>queued', 'square[1]:pending>queued']);
    expect(m.mapItems('square')).toEqual(['square[0]', 'square[1]', 'square[2]', 'square[3]', 'square[4]']);
    expect(m.scopeFor('square[3]')).toMatchObject({ item: 4, map: { index: 3 } });
    expect(m.isMapped('square')).toBe(true);
    expect(m.isMapped('square[0]')).toBe(false);
    // One ends: exactly one more is queued.
    expect(moves(succeed(m, 'square[1]', { sq: 4 }))).toEqual(['square[1]:running>succeeded', 'square[2]:pending>queued']);
  });

  it('gives downstream the ordered outputs of the items', () => {
    const { m } = expanded([1, 2, 3]);
    succeed(m, 'square[1]', { sq: 4 });
    succeed(m, 'square[0]', { sq: 1 });
    const last = moves(succeed(m, 'square[2]', { sq: 9 }));
    expect(last).toEqual(['square[2]:running>succeeded', 'square:running>succeeded', 'total:pending>queued']);
    expect(m.step('square').output).toEqual([{ sq: 1 }, { sq: 4 }, { sq: 9 }]);
    expect(m.scope.steps.square).toEqual({ output: [{ sq: 1 }, { sq: 4 }, { sq: 9 }] });
    succeed(m, 'total');
    expect(m.state).toBe('succeeded');
  });

  it('an empty array succeeds at once with an empty output', () => {
    const { m, expansion } = expanded([]);
    expect(expansion).toEqual(['square:map(0)', 'square:queued>running', 'square:running>succeeded', 'total:pending>queued']);
    expect(m.step('square').output).toEqual([]);
  });

  it('fail-fast: the first failed item skips the items not started and fails the step', () => {
    const { m } = expanded([1, 2, 3, 4]);
    const t = moves(fail(m, 'square[0]'));
    expect(t).toEqual(['square[0]:running>failed(exit-code)', 'square[1]:queued>skipped(upstream-failed)', 'square[2]:pending>skipped(upstream-failed)',
      'square[3]:pending>skipped(upstream-failed)', 'square:running>failed(error)', 'total:pending>skipped(upstream-failed)', 'run:running>failed']);
    expect(m.step('square').error).toMatchObject({ type: 'map-items-failed', message: '1 of 4 items failed: square[0] (exited with code 1)' });
  });

  it('continue with maxFailures: tolerated failures give null outputs; one more fails the step', () => {
    const ok = expanded([1, 2, 3], { failurePolicy: 'continue', maxFailures: 1 }).m;
    fail(ok, 'square[0]');
    succeed(ok, 'square[1]', 4);
    succeed(ok, 'square[2]', 9);
    expect(ok.step('square')).toMatchObject({ state: 'succeeded', output: [null, 4, 9] });

    const bad = expanded([1, 2, 3], { failurePolicy: 'continue', maxFailures: '34%' }).m;
    fail(bad, 'square[0]');
    fail(bad, 'square[1]');
    succeed(bad, 'square[2]', 9);
    expect(bad.step('square')).toMatchObject({ state: 'failed', error: { type: 'map-items-failed' } });
  });

  it('more items than maxItems fail the step before any runs', () => {
    const { m, expansion } = expanded([1, 2, 3], { maxItems: 2 });
    expect(expansion[0]).toBe('square:queued>failed(error)');
    expect(m.step('square').error?.message).toContain('at most 2');
    expect(m.mapItems('square')).toEqual([]);
  });

  it('a cancel ends the waiting items and the step once the running ones end', () => {
    const { m } = expanded([1, 2, 3]);
    m.apply({ type: 'attempt-started', stepId: 'square[0]' }, T0);
    const t = moves(m.apply({ type: 'cancel', reason: 'cancelled' }, T0));
    expect(t).toContain('square[1]:queued>cancelled(cancelled)');
    expect(t).toContain('square[2]:pending>cancelled(cancelled)');
    expect(m.step('square').state).toBe('running');
    const end = moves(m.apply({ type: 'attempt-ended-by-cancel', stepId: 'square[0]' }, T0));
    expect(t).toContain('total:pending>cancelled(cancelled)');
    expect(end).toEqual(['square[0]:running>cancelled(cancelled)', 'square:running>cancelled(cancelled)', 'run:running>cancelled(cancelled)']);
  });

  it('a late expansion after a cancel changes nothing', () => {
    const m = machine(squares());
    m.apply({ type: 'start' }, T0);
    succeed(m, 'list', { items: [1] });
    m.apply({ type: 'cancel', reason: 'cancelled' }, T0);
    expect(m.apply({ type: 'map-expanded', stepId: 'square', items: [1] }, T0)).toEqual([]);
    expect(m.state).toBe('cancelled');
  });

  it('restores the expansion from records: succeeded items stay, queueing goes on, nothing expands again', () => {
    const { m } = expanded([1, 2, 3, 4]);
    succeed(m, 'square[0]', 1);
    m.apply({ type: 'attempt-started', stepId: 'square[1]' }, T0);
    const records = m.steps().map((s) => ({ ...s }));
    // After a crash the running item's attempt is lost; the rest is as recorded.
    const again = machine(squares(), records, 'running');
    expect(again.needsExpansion('square')).toBe(false);
    expect(again.scopeFor('square[3]')).toMatchObject({ item: 4, map: { index: 3 } });
    expect(moves(again.apply({ type: 'attempt-lost', stepId: 'square[1]' }, T0))).toEqual(['square[1]:running>queued(lost)']);
    again.apply({ type: 'resume' }, T0);
    expect(states(again)).toMatchObject({ 'square[0]': 'succeeded', 'square[1]': 'queued', 'square[2]': 'queued', 'square[3]': 'pending' });
    succeed(again, 'square[1]', 4);
    succeed(again, 'square[2]', 9);
    succeed(again, 'square[3]', 16);
    expect(again.step('square').output).toEqual([1, 4, 9, 16]);
  });

  it('resuming a cancelled run goes on with the recorded items, without a new expansion', () => {
    const { m } = expanded([1, 2]);
    succeed(m, 'square[0]', 1);
    m.apply({ type: 'cancel', reason: 'cancelled' }, T0);
    expect(m.state).toBe('cancelled');
    const again = machine(squares(), m.steps().map((s) => ({ ...s })), 'cancelled');
    const t = moves(again.apply({ type: 'resume' }, T0));
    expect(t).toContain('square:queued>running');
    expect(t).toContain('square[1]:pending>queued');
    expect(t.some((x) => x.includes('map('))).toBe(false);
    succeed(again, 'square[1]', 4);
    expect(again.step('square')).toMatchObject({ state: 'succeeded', output: [1, 4] });
  });

  it('retry --failed re-runs only the items that did not succeed', () => {
    const { m } = expanded([1, 2, 3], { failurePolicy: 'continue', maxFailures: 0 });
    succeed(m, 'square[0]', 1);
    fail(m, 'square[1]');
    succeed(m, 'square[2]', 9);
    expect(m.state).toBe('failed');
    const plan = planRerun(m.spec, 'r1', m.steps(), { failed: true }, T0);
    expect(plan.selected).toEqual(['square', 'total', 'square[1]']);
    const again = machine(squares(), plan.steps);
    again.apply({ type: 'start' }, T0);
    expect(states(again)).toMatchObject({ square: 'running', 'square[0]': 'succeeded', 'square[1]': 'queued', 'square[2]': 'succeeded' });
    succeed(again, 'square[1]', 4);
    expect(again.step('square')).toMatchObject({ state: 'succeeded', output: [1, 4, 9] });
  });
});
