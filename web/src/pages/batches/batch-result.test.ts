import { describe, expect, it } from 'vitest';
import type { StepRun } from '../../api/types.js';
import { itemText, readCounts, stepFailures } from './batch-result.js';
import { relativeToFolder } from './upload.js';

const step = (extra: Partial<StepRun>): StepRun => ({ stepId: 'check', position: 0, state: 'failed', attempts: 1, lostAttempts: 0, ...extra });

describe('a batch step as the batches page reads it', () => {
  it('lists the invalid items of a validation failure, each file by its path inside the upload', () => {
    const s = step({ error: { type: 'batch-invalid', message: '1 of 3 items are invalid', retryable: false, details: [{ item: '/data/uploads/abc123/files/sub/broken.csv', reason: 'a corrupt row' }] } });
    expect(stepFailures(s)).toEqual([{ item: '/data/uploads/abc123/files/sub/broken.csv', error: 'a corrupt row' }]);
    expect(itemText(stepFailures(s)[0]!.item)).toBe('sub/broken.csv');
    expect(itemText({ id: 1 })).toBe('{\n  "id": 1\n}');
  });

  it('reads counts and failures from a failed batch or from its output', () => {
    const failed = step({ error: { type: 'batch-failed', message: 'x', retryable: false, details: { counts: { total: 4, succeeded: 2, failed: 1, skipped: 1 }, failures: [{ item: 'a', error: { type: 'Error', message: 'boom' } }] } } });
    expect(readCounts(failed.error?.details)).toEqual({ total: 4, succeeded: 2, failed: 1, invalid: 0, skipped: 1 });
    expect(stepFailures(failed)).toEqual([{ item: 'a', error: 'boom' }]);
    const ok = step({ state: 'succeeded', output: { items: [], counts: { total: 2, succeeded: 2, failed: 0, invalid: 0, skipped: 0 }, failures: [] } });
    expect(readCounts(ok.output)?.succeeded).toBe(2);
    expect(stepFailures(ok)).toEqual([]);
    expect(readCounts('consolidated text')).toBeUndefined();
  });

  it('names the files of one dropped folder relative to it', () => {
    const f = (path: string): { path: string; file: File } => ({ path, file: new File([], path) });
    expect(relativeToFolder([f('day/a.csv'), f('day/sub/b.csv')], true).map((x) => x.path)).toEqual(['a.csv', 'sub/b.csv']);
    expect(relativeToFolder([f('day/a.csv'), f('night/b.csv')], true).map((x) => x.path)).toEqual(['day/a.csv', 'night/b.csv']);
    expect(relativeToFolder([f('day/a.csv')], false).map((x) => x.path)).toEqual(['day/a.csv']);
  });
});
