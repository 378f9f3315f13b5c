import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileWorkflow, validateWorkflowFile } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));

describe('step kind', () => {
  it('kind_invalid.yaml: a kind other than cpu or io is an error at the field, with file and line', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('kind_invalid.yaml'));
    expect(spec).toBeUndefined();
    expect(errors.map((e) => ({ path: e.path, line: e.line, file: e.file }))).toEqual([{ path: 'steps[0].kind', line: 5, file: fixture('kind_invalid.yaml') }]);
    expect(errors[0]?.message).toContain('kind must be "cpu" (CPU-bound) or "io" (I/O-bound)');
  });

  it('compiles to the step\'s workload; absent, the step has none', () => {
    const spec = compileWorkflow({ name: 'k', steps: [{ id: 'a', kind: 'cpu', run: 'true' }, { id: 'b', kind: 'io', run: 'true' }, { id: 'c', run: 'true' }] }, { baseDir: '.' });
    expect(spec.steps.map((s) => s.workload)).toEqual(['cpu', 'io', undefined]);
  });
});
