import { describe, expect, it } from 'vitest';
import { validateWorkflowText } from './index.js';
import type { SpecError } from './index.js';

const where = (e: SpecError) => ({ code: e.code, path: e.path, line: e.line, message: e.message, ...(e.suggestion ? { suggestion: e.suggestion } : {}) });
const check = (text: string) => validateWorkflowText(text, { label: 'flow.yaml', baseDir: '/tmp' });

describe('waiting steps in validation', () => {
  it('compiles wait and approval with their defaults and durations in ms', async () => {
    const { spec, errors } = await check(`name: w
steps:
  - id: ship
    approval: { message: "Ship it?", timeout: 2h }
  - id: deployed
    needs: [ship]
    wait: { signal: deploy.done-1 }
  - id: boss
    approval: { role: admin }
`);
    expect(errors).toEqual([]);
    expect(spec?.steps.map((s) => s.action)).toEqual([
      { kind: 'approval', role: 'operator', message: 'Ship it?', timeoutMs: 7_200_000 },
      { kind: 'wait', signal: 'deploy.done-1' },
      { kind: 'approval', role: 'admin' },
    ]);
  });

  it('names the file, line and field of what does not fit a waiting step', async () => {
    const { spec, errors } = await check(`name: w
steps:
  - id: a
    wait: { signal: "has space" }
  - id: b
    approval: { role: viewer, timout: 1h }
  - id: c
    wait: { signal: x }
    run: echo
  - id: d
    wait: { signal: y }
    timeout: 1h
    retry: { attempts: 3 }
  - id: e
    approval: {}
    map: { items: "\${{ params.x }}" }
`);
    expect(spec).toBeUndefined();
    expect(errors.map(where)).toEqual(expect.arrayContaining([
      expect.objectContaining({ path: 'steps[0].wait.signal', line: 4, message: expect.stringContaining('signal names use letters, digits') as unknown }),
      expect.objectContaining({ path: 'steps[1].approval.role', line: 6, message: expect.stringContaining('role must be "operator" or "admin"') as unknown }),
      expect.objectContaining({ code: 'unknown-field', path: 'steps[1].approval.timout', line: 6, suggestion: 'timeout' }),
      expect.objectContaining({ code: 'run-and-uses', path: 'steps[2].wait', line: 8, message: expect.stringContaining('not run and wait') as unknown }),
      expect.objectContaining({ path: 'steps[3].timeout', line: 12, message: 'timeout does not apply to a wait step: put it in wait: { timeout }, which counts from when the step started waiting, across restarts' }),
      expect.objectContaining({ path: 'steps[3].retry', line: 13, message: expect.stringContaining('an answer is not retried') as unknown }),
      expect.objectContaining({ path: 'steps[4].map', line: 16, message: 'map does not apply to an approval step: one step waits for one answer' }),
    ]));
    expect(errors.every((e) => e.file === 'flow.yaml' || e.file === undefined)).toBe(true);
  });
});
