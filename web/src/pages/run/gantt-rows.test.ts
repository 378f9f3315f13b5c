import { describe, expect, it } from 'vitest';
import type { Attempt, StepRun } from '../../api/types.js';
import { ganttRows } from './gantt-rows.js';

const step = (stepId: string, o: Partial<StepRun> = {}): StepRun => ({ stepId, position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, ...o });
const attempt = (stepId: string, number: number, startedAt: number, endedAt?: number, state = 'succeeded'): Attempt =>
  ({ id: `r.${stepId}.${number}`, runId: 'r', stepId, number, state, startedAt, ...(endedAt !== undefined ? { endedAt } : {}) });

describe('the Gantt rows of a run', () => {
  it('shows the queue wait, each attempt and the retry waits between them, in step order', () => {
    const { rows, start, end } = ganttRows(
      [step('a', { queuedAt: 1_000 }), step('b', { queuedAt: 1_500, state: 'failed', attempts: 2 }), step('c', { state: 'pending', attempts: 0 })],
      [attempt('b', 2, 3_000, 3_500, 'failed'), attempt('a', 1, 1_200, 2_000), attempt('b', 1, 2_000, 2_400, 'failed')],
      { startedAt: 1_000, endedAt: 3_600 }, 9_999,
    );
    expect(rows.map((r) => r.stepId)).toEqual(['a', 'b', 'c']);
    expect(rows[0]!.bars).toEqual([{ kind: 'queued', from: 1_000, to: 1_200 }, { kind: 'attempt', attempt: 1, state: 'succeeded', from: 1_200, to: 2_000 }]);
    expect(rows[1]!.bars).toEqual([
      { kind: 'queued', from: 1_500, to: 2_000 },
      { kind: 'attempt', attempt: 1, state: 'failed', from: 2_000, to: 2_400 },
      { kind: 'retry', from: 2_400, to: 3_000 },
      { kind: 'attempt', attempt: 2, state: 'failed', from: 3_000, to: 3_500 },
    ]);
    expect(rows[2]!.bars).toEqual([]);
    expect([start, end]).toEqual([1_000, 3_600]);
  });

  it('runs a running attempt and a retry wait to now while the run goes on', () => {
    const { rows, end } = ganttRows(
      [step('a', { state: 'running' }), step('b', { state: 'retrying', dueAt: 10_000 })],
      [attempt('a', 1, 1_000, undefined, 'running'), attempt('b', 1, 1_000, 2_000, 'failed')],
      { startedAt: 1_000 }, 5_000,
    );
    expect(rows[0]!.bars).toEqual([{ kind: 'attempt', attempt: 1, state: 'running', from: 1_000, to: 5_000 }]);
    expect(rows[1]!.bars.at(-1)).toEqual({ kind: 'retry', from: 2_000, to: 5_000 });
    expect(end).toBe(5_000);
  });
});
