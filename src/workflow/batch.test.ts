/** Validation and compilation of `batch:` steps. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileWorkflow, validateWorkflowFile, WorkflowValidationError } from './index.js';
import type { SpecError } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));
const where = (e: SpecError) => ({ code: e.code, path: e.path, line: e.line, column: e.column });

describe('batch steps in the spec', () => {
  it('batch_invalid.yaml reports every batch problem with its position, and suggests the known field', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('batch_invalid.yaml'));
    expect(spec).toBeUndefined();
    expect(errors.map(where)).toEqual([
      { code: 'bad-expression', path: 'steps[1].batch.items', line: 10, column: 14 },
      { code: 'out-of-range', path: 'steps[1].batch.groupSize', line: 11, column: 18 },
      { code: 'invalid-value', path: 'steps[1].batch.maxFailures', line: 12, column: 20 },
      { code: 'invalid-value', path: 'steps[1].batch.maxFailures', line: 12, column: 20 },
      { code: 'unknown-field', path: 'steps[1].batch.groupsize', line: 13, column: 7 },
      { code: 'no-action', path: 'steps[2]', line: 14, column: 5 },
      { code: 'invalid-value', path: 'steps[2].batch.maxFailures', line: 17, column: 20 },
      { code: 'run-and-uses', path: 'steps[2].batch.validate.uses', line: 18, column: 57 },
      { code: 'with-without-uses', path: 'steps[2].batch.consolidate.with', line: 19, column: 63 },
      { code: 'invalid-value', path: 'steps[2].batch.onInvalid', line: 20, column: 18 },
      { code: 'bad-expression', path: 'steps[3].batch.validate.with.min', line: 28, column: 63 },
    ]);
    const byPath = (p: string) => errors.filter((e) => e.path === p).map((e) => e.message);
    expect(errors[0]?.suggestion).toBe('list');
    expect(errors.find((e) => e.code === 'unknown-field')?.suggestion).toBe('groupSize');
    expect(byPath('steps[1].batch.maxFailures')).toEqual([
      'maxFailures must be an integer >= 0 or a percentage such as "10%"',
      'maxFailures applies only with failurePolicy: continue (fail-fast stops at the first failed group)',
    ]);
    expect(byPath('steps[2]')[0]).toContain('a batch step needs either run');
  });

  it('compiles defaults, counts and percentages; items must read upstream steps', () => {
    const spec = compileWorkflow({
      name: 'b',
      params: { files: { type: 'array', default: ['x'] } },
      steps: [
        { id: 'list', run: 'echo' },
        { id: 'a', needs: ['list'], run: 'cat "$BATON_ITEMS_FILE"', batch: { items: '${{ steps.list.output.files }}' } },
        {
          id: 'b', uses: './h.ts#g', with: { k: 1 },
          batch: {
            items: 'data/*.csv', groupSize: 2, concurrency: 3, onInvalid: 'skip', failurePolicy: 'continue', maxFailures: '12.5%',
            validate: { run: 'test -s "$BATON_ITEM"' }, consolidate: { uses: './h.ts#c', with: { name: '${{ params.files }}' } },
          },
        },
        { id: 'c', uses: './h.ts#g', batch: { items: '${{ params.files }}', failurePolicy: 'continue', maxFailures: 0 } },
      ],
    }, { baseDir: '/tmp' });
    expect(spec.steps[1]?.batch).toEqual({ items: '${{ steps.list.output.files }}', groupSize: 5, concurrency: 1, onInvalid: 'fail', failurePolicy: 'fail-fast' });
    expect(spec.steps[2]?.batch).toEqual({
      items: 'data/*.csv', groupSize: 2, concurrency: 3, onInvalid: 'skip', failurePolicy: 'continue', maxFailures: { percent: 12.5 },
      validate: { kind: 'run', command: { default: 'test -s "$BATON_ITEM"' } },
      consolidate: { kind: 'uses', handler: './h.ts#c', with: { name: '${{ params.files }}' } },
    });
    expect(spec.steps[3]?.batch?.maxFailures).toEqual({ count: 0 });

    const bad = (() => {
      try {
        compileWorkflow({ name: 'b', steps: [{ id: 'list', run: 'echo' }, { id: 'a', run: 'echo', batch: { items: '${{ steps.list.output }}', groupSize: 1.5 } }] }, { baseDir: '/tmp' });
      } catch (e) {
        return e as WorkflowValidationError;
      }
    })();
    expect(bad).toBeInstanceOf(WorkflowValidationError);
    expect(bad?.errors.map((e) => [e.code, e.path])).toEqual([
      ['invalid-type', 'steps[1].batch.groupSize'],
      ['step-not-upstream', 'steps[1].batch.items'],
    ]);
  });
});
