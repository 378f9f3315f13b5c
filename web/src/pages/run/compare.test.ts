import { describe, expect, it } from 'vitest';
import type { Run, RunDetail, StepRun } from '../../api/types.js';
import { compareCandidates, compareRuns, deltaText, diffParams, inOrder, pairSteps, previousRun, sortPairs } from './compare.js';

const step = (stepId: string, position: number, o: Partial<StepRun> = {}): StepRun => ({ stepId, position, state: 'succeeded', attempts: 1, lostAttempts: 0, ...o });
const run = (id: string, createdAt: number, o: Partial<Run> = {}): Run => ({
  id, workflow: 'nightly', version: 'v1', state: 'succeeded', trigger: 'api', params: {}, priority: 0, stepCount: 0, createdAt, ...o,
});
const detail = (r: Run, steps: StepRun[] = []): RunDetail => ({ run: r, traceId: '0'.repeat(32), steps, attempts: [] });

describe('the params of two runs, key by key', () => {
  it('marks keys added, removed, changed and unchanged, in key order, values as JSON text', () => {
    expect(diffParams({ region: 'eu', days: 7, tags: ['a'], old: true }, { region: 'eu', days: 8, tags: ['a'], label: 'x' })).toEqual([
      { key: 'days', change: 'changed', before: '7', after: '8' },
      { key: 'label', change: 'added', after: '"x"' },
      { key: 'old', change: 'removed', before: 'true' },
      { key: 'region', change: 'same', before: '"eu"', after: '"eu"' },
      { key: 'tags', change: 'same', before: '["a"]', after: '["a"]' },
    ]);
  });

  it('tells a string from a number, and ignores object key order', () => {
    expect(diffParams({ n: '1', o: { a: 1, b: 2 } }, { n: 1, o: { b: 2, a: 1 } })).toEqual([
      { key: 'n', change: 'changed', before: '"1"', after: '1' },
      { key: 'o', change: 'same', before: '{"a":1,"b":2}', after: '{"a":1,"b":2}' },
    ]);
  });

  it('keeps markup in values as plain text and a null as null', () => {
    expect(diffParams({}, { x: '<img src=x onerror=alert(1)>', y: null })).toEqual([
      { key: 'x', change: 'added', after: '"<img src=x onerror=alert(1)>"' },
      { key: 'y', change: 'added', after: 'null' },
    ]);
  });
});

describe('the steps of two runs, paired', () => {
  it('pairs by step id in the earlier run’s order, then the later run’s own steps, with the change in duration', () => {
    const pairs = pairSteps(
      [step('b', 1, { startedAt: 1_000, endedAt: 3_000 }), step('a', 0, { startedAt: 0, endedAt: 1_000 }), step('old', 2, { state: 'skipped', attempts: 0 })],
      [step('a', 0, { startedAt: 0, endedAt: 1_500 }), step('b', 1, { state: 'failed', attempts: 3, startedAt: 1_500, endedAt: 2_500 }), step('new', 2, { startedAt: 2_500, endedAt: 2_600 })],
      9_999,
    );
    expect(pairs.map((p) => p.stepId)).toEqual(['a', 'b', 'old', 'new']);
    expect(pairs[0]).toEqual({
      stepId: 'a', deltaMs: 500, deltaPct: 50,
      before: { state: 'succeeded', durationMs: 1_000, ongoing: false, attempts: 1 },
      after: { state: 'succeeded', durationMs: 1_500, ongoing: false, attempts: 1 },
    });
    expect(pairs[1]).toMatchObject({ deltaMs: -1_000, deltaPct: -50, after: { state: 'failed', attempts: 3 } });
    expect(pairs[2]).toEqual({ stepId: 'old', before: { state: 'skipped', ongoing: false, attempts: 0 } });
    expect(pairs[3]).toEqual({ stepId: 'new', after: { state: 'succeeded', durationMs: 100, ongoing: false, attempts: 1 } });
  });

  it('runs a step that has not ended to now, and has no percentage over a zero duration', () => {
    const [p, q] = pairSteps([step('a', 0, { startedAt: 0, endedAt: 0 }), step('b', 1, { startedAt: 0, endedAt: 100 })], [step('a', 0, { startedAt: 0, endedAt: 40 }), step('b', 1, { state: 'running', startedAt: 1_000 })], 1_250);
    expect(p).toMatchObject({ deltaMs: 40 });
    expect(p!.deltaPct).toBeUndefined();
    expect(q).toMatchObject({ deltaMs: 150, deltaPct: 150, after: { state: 'running', durationMs: 250, ongoing: true } });
  });
});

describe('sorting the steps', () => {
  const pairs = pairSteps(
    [step('a', 0, { startedAt: 0, endedAt: 1_000 }), step('b', 1, { startedAt: 0, endedAt: 5_000 }), step('c', 2, { startedAt: 0, endedAt: 100 }), step('only-before', 3, { startedAt: 0, endedAt: 9_000 })],
    [step('a', 0, { startedAt: 0, endedAt: 1_100 }), step('b', 1, { startedAt: 0, endedAt: 2_000 }), step('c', 2, { startedAt: 0, endedAt: 2_100 })],
    0,
  );

  it('puts the biggest change first, slower or faster, and steps of one run only last', () => {
    expect(sortPairs(pairs, 'change', 'desc').map((p) => p.stepId)).toEqual(['b', 'c', 'a', 'only-before']);
    expect(sortPairs(pairs, 'change', 'asc').map((p) => p.stepId)).toEqual(['a', 'c', 'b', 'only-before']);
  });

  it('sorts by name or by either run’s duration, missing values last', () => {
    expect(sortPairs(pairs, 'step', 'desc').map((p) => p.stepId)).toEqual(['only-before', 'c', 'b', 'a']);
    expect(sortPairs(pairs, 'before', 'desc').map((p) => p.stepId)).toEqual(['only-before', 'b', 'a', 'c']);
    expect(sortPairs(pairs, 'after', 'asc').map((p) => p.stepId)).toEqual(['a', 'b', 'c', 'only-before']);
  });
});

describe('which runs to compare', () => {
  it('takes the earlier run as the baseline whichever comes first', () => {
    const x = detail(run('r2', 2_000));
    const y = detail(run('r1', 1_000));
    expect(inOrder(x, y)).toEqual([y, x]);
    expect(inOrder(y, x)).toEqual([y, x]);
    expect(inOrder(detail(run('b', 5)), detail(run('a', 5))).map((d) => d.run.id)).toEqual(['a', 'b']);
  });

  it('offers the run created last before this one, and the others newest first', () => {
    const self = run('r3', 3_000);
    const recent = [run('r5', 5_000), run('r4', 4_000), self];
    const earlier = [run('r2', 2_000), run('r1', 1_000)];
    const offered = compareCandidates(recent, earlier, self);
    expect(offered.map((r) => r.id)).toEqual(['r5', 'r4', 'r2', 'r1']);
    expect(previousRun(offered, self)).toBe('r2');
    expect(previousRun([run('r4', 4_000)], self)).toBeUndefined();
  });

  it('compares the whole runs: params, steps, duration, version and workflow', () => {
    const c = compareRuns(
      detail(run('late', 2_000, { version: 'v2', params: { n: 2 }, startedAt: 2_000, endedAt: 2_600 }), [step('a', 0, { startedAt: 2_000, endedAt: 2_600 })]),
      detail(run('early', 1_000, { params: { n: 1 }, startedAt: 1_000, endedAt: 1_200 }), [step('a', 0, { startedAt: 1_000, endedAt: 1_200 })]),
      9_000,
    );
    expect(c.before.run.id).toBe('early');
    expect([c.deltaMs, c.deltaPct]).toEqual([400, 200]);
    expect(c.params).toEqual([{ key: 'n', change: 'changed', before: '1', after: '2' }]);
    expect(c.steps[0]).toMatchObject({ deltaMs: 400, deltaPct: 200 });
    expect([c.sameVersion, c.sameWorkflow]).toEqual([false, true]);
  });
});

describe('a change in duration as text', () => {
  it('has its sign and percentage', () => {
    expect(deltaText(1_200, 35.2)).toBe('+1.2s (+35%)');
    expect(deltaText(-850, -12.4)).toBe('\u2212850ms (\u221212%)');
    expect(deltaText(30, 0.5)).toBe('+30ms (+0.5%)');
    expect(deltaText(0, 0)).toBe('0ms');
    expect(deltaText(500)).toBe('+500ms');
    expect(deltaText(undefined)).toBe('—');
  });
});
