import { describe, expect, it } from 'vitest';
import { validateWorkflowText } from './index.js';

const check = (text: string) => validateWorkflowText(text, { label: 'flow.yaml', baseDir: '/tmp' });

describe('limits: { memory, cpu }', () => {
  it('is the step fields grouped: the same compiled limits', async () => {
    const grouped = await check('name: w\nsteps:\n  - id: a\n    run: echo\n    limits: { memory: 1GB, cpu: 1.5 }\n');
    const flat = await check('name: w\nsteps:\n  - id: a\n    run: echo\n    memory: 1GB\n    cpu: 1.5\n');
    expect(grouped.errors).toEqual([]);
    expect(grouped.spec?.steps[0]).toMatchObject({ memoryBytes: 1_000_000_000, cpuCores: 1.5 });
    expect(flat.spec?.steps[0]).toMatchObject({ memoryBytes: 1_000_000_000, cpuCores: 1.5 });
  });

  it('names the line and field of a limit written twice, or on a step it does not apply to', async () => {
    const { errors } = await check(`name: w
steps:
  - id: a
    run: echo
    memory: 1GB
    limits: { memory: 2GB, cpu: 0.01 }
  - id: b
    http: { url: "https://example.com" }
    limits:
      cpu: 2
`);
    expect(errors.map((e) => [e.path, e.line, e.message])).toEqual([
      ['steps[0].limits.memory', 6, 'memory is set twice: write it once, on the step or in limits'],
      ['steps[0].limits.cpu', 6, expect.stringContaining('cpu must be a number of cores') as unknown],
      ['steps[1].limits.cpu', 10, expect.stringContaining('cpu limits the processes of a shell step') as unknown],
    ]);
  });
});
