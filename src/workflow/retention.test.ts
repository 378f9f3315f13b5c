import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileWorkflow, decodeDefinition, validateWorkflowFile, workflowVersion } from './index.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../test/fixtures/workflow/${name}`, import.meta.url));

describe('workflow retention', () => {
  it('retention_valid.yaml compiles to ms, and a stored definition reads it back', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('retention_valid.yaml'));
    expect(errors).toEqual([]);
    expect(spec?.retention).toEqual({ runsMs: 90 * 86_400_000, eventsMs: 7 * 86_400_000, logsMs: 36 * 3_600_000 });
    const decoded = decodeDefinition({ version: 'v', definition: JSON.parse(JSON.stringify(spec)) as never });
    expect(decoded.retention).toEqual(spec?.retention);
  });

  it('retention_invalid.yaml: every problem at its position, with a did-you-mean', async () => {
    const { spec, errors } = await validateWorkflowFile(fixture('retention_invalid.yaml'));
    expect(spec).toBeUndefined();
    expect(errors.map((e) => ({ code: e.code, path: e.path, line: e.line, column: e.column, suggestion: e.suggestion }))).toEqual([
      { code: 'bad-duration', path: 'retention.runs', line: 3, column: 9, suggestion: undefined },
      { code: 'unknown-field', path: 'retention.event', line: 4, column: 3, suggestion: 'events' },
      { code: 'bad-duration', path: 'retention.logs', line: 5, column: 9, suggestion: undefined },
    ]);
  });

  it('a workflow without retention keeps its version hash: the field is absent, not empty', () => {
    const spec = compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'true' }] }, { baseDir: '/tmp' });
    expect('retention' in spec).toBe(false);
    const withIt = compileWorkflow({ name: 'w', retention: { runs: '1d' }, steps: [{ id: 'a', run: 'true' }] }, { baseDir: '/tmp' });
    expect(withIt.retention).toEqual({ runsMs: 86_400_000 });
    expect(workflowVersion(withIt)).not.toBe(workflowVersion(spec));
  });
});
