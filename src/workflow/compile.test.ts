import { describe, expect, it } from 'vitest';
import { compileWorkflow, defineWorkflow, toMermaid, WorkflowValidationError, workflowVersion } from './index.js';
import type { SpecError, WorkflowInput } from './index.js';

const errorsOf = (input: unknown): SpecError[] => {
  try {
    compileWorkflow(input, { baseDir: '/flows', sourcePath: '/flows/x.yaml' });
  } catch (e) {
    expect(e).toBeInstanceOf(WorkflowValidationError);
    return (e as WorkflowValidationError).errors;
  }
  throw new Error('expected a WorkflowValidationError');
};
const brief = (errors: SpecError[]): string[] => errors.map((e) => `${e.path} ${e.code}${e.suggestion ? ` ~${e.suggestion}` : ''}`);

const diamond = defineWorkflow({
  name: 'diamond',
  steps: [
    { id: 'a', run: 'echo a' },
    { id: 'b', needs: 'a', uses: () => ({ ok: true }) },
    { id: 'c', needs: ['a'], run: { linux: 'echo c' } },
    { id: 'end', needs: ['b', 'c'], run: 'echo end' },
  ],
});

describe('compileWorkflow', () => {
  it('compiles SDK input with inline handlers and fills defaults', () => {
    const spec = compileWorkflow(diamond, { baseDir: '/flows' });
    expect(spec.baseDir).toBe('/flows');
    expect(spec.sourcePath).toBeUndefined();
    const b = spec.steps[1];
    expect(b?.action.kind).toBe('uses');
    expect(b?.action.kind === 'uses' && typeof b.action.handler).toBe('function');
    expect(b?.action.kind === 'uses' && b.action.with).toEqual({});
    expect(b?.needs).toEqual(['a']);
    expect(spec.steps[0]).toEqual({
      id: 'a', needs: [], action: { kind: 'run', command: { default: 'echo a' } }, env: {}, priority: 0, continueOnError: false,
      retry: { attempts: 1, backoff: 'exponential', delayMs: 1000, factor: 2, maxDelayMs: 300_000, jitter: 0 },
    });
  });

  it('stringifies scalar env values, dedupes needs and keeps if as text', () => {
    const spec = compileWorkflow({
      name: 'w', env: { PORT: 8080, DEBUG: true }, timeout: '1h', concurrency: 2,
      steps: [{ id: 'a', run: 'x' }, { id: 'b', needs: ['a', 'a'], run: 'y', if: false, timeout: 1.5 }],
    }, { baseDir: '.' });
    expect(spec.env).toEqual({ PORT: '8080', DEBUG: 'true' });
    expect(spec.steps[1]?.needs).toEqual(['a']);
    expect(spec.steps[1]?.if).toBe('false');
    expect(spec.steps[1]?.timeoutMs).toBe(1500);
    expect(spec.timeoutMs).toBe(3_600_000);
    expect(spec.concurrency).toBe(2);
  });

  it('collects every error, with the file but no position', () => {
    const errors = errorsOf({ name: 'bad name', steps: [{ id: 'A', run: 'x', retry: { attempts: 0, jitter: 2, backof: 'fixed' } }] });
    expect(brief(errors)).toEqual([
      'name invalid-value',
      'steps[0].id invalid-value',
      'steps[0].retry.attempts out-of-range',
      'steps[0].retry.jitter out-of-range',
      'steps[0].retry.backof unknown-field ~backoff',
    ]);
    expect(errors.every((e) => e.file === '/flows/x.yaml' && e.line === undefined)).toBe(true);
  });

  it('rejects a non-object, and an empty step list', () => {
    expect(brief(errorsOf(['x']))).toEqual([' invalid-type']);
    expect(errorsOf(['x'])[0]?.message).toBe('expected object, got a list');
    expect(brief(errorsOf({ name: 'w', steps: [] }))).toEqual(['steps out-of-range']);
    expect(brief(errorsOf({ steps: [{ id: 'a', run: 'x' }] }))).toEqual(['name missing-field']);
  });

  it('finds self-loops and separate cycles', () => {
    const errors = errorsOf({ name: 'w', steps: [
      { id: 'a', needs: 'a', run: 'x' },
      { id: 'b', needs: ['c'], run: 'x' },
      { id: 'c', needs: ['b'], run: 'x' },
    ] });
    expect(errors.map((e) => `${e.path} ${e.message}`)).toEqual([
      'steps[0].needs steps form a cycle: a -> a (each step needs the one before it)',
      'steps[1].needs[0] steps form a cycle: b -> c -> b (each step needs the one before it)',
    ]);
  });

  it('checks expressions against params, steps and upstream', () => {
    const errors = errorsOf({
      name: 'w',
      params: { region: { type: 'string' } },
      env: { A: '${{ params.regoin }}', B: '${{ steps.a.output }}' },
      steps: [
        { id: 'a', run: 'x', env: { SELF: '${{ steps.a.output }}' } },
        { id: 'b', needs: 'a', uses: './h.ts#f', with: { deep: ['${{ steps.a.outptu }}', { k: '${{ run.idd }}' }] } },
        { id: 'c', needs: 'b', run: 'x', cwd: '${{ steps.a.output.dir }}', if: 'steps.zz.output' },
        { id: 'd', run: 'x', with: { a: 1 } },
      ],
    });
    expect(brief(errors)).toEqual([
      'env.A bad-expression ~params.region',
      'env.B bad-expression',
      'steps[0].env.SELF bad-expression',
      'steps[1].with.deep[0] bad-expression',
      'steps[1].with.deep[1].k bad-expression',
      'steps[2].if bad-expression',
      'steps[3].with with-without-uses',
    ]);
    expect(errors[1]?.message).toContain('workflow-level values cannot read step outputs');
    expect(errors[2]?.message).toContain('cannot read its own output');
    expect(errors[5]?.message).toContain('unknown step "zz"');
    // steps[2].cwd reads a transitive need (a via b), which is allowed.
  });

  it('rejects ${{ }} in every platform command of run', () => {
    expect(brief(errorsOf({ name: 'w', steps: [{ id: 'a', run: { linux: 'ok', darwin: 'echo ${{ run.id }}' } }] }))).toEqual(['steps[0].run.darwin expression-in-run']);
    expect(brief(errorsOf({ name: 'w', steps: [{ id: 'a', run: { windows: 'x' } }] }))).toEqual(['steps[0].run.windows unknown-field ~win32']);
  });

  it('rejects a run map with no platform', () => {
    expect(brief(errorsOf({ name: 'w', steps: [{ id: 'a', run: {} }] }))).toEqual(['steps[0].run invalid-value']);
  });

  it('type-checks WorkflowInput, including function handlers', () => {
    const input: WorkflowInput = { name: 'typed', steps: [{ id: 'a', uses: (ctx) => ctx.attempt }] };
    expect(compileWorkflow(input, { baseDir: '.' }).steps[0]?.action.kind).toBe('uses');
  });
});

describe('workflowVersion', () => {
  it('is a stable 16-hex hash independent of baseDir, sourcePath and key order', () => {
    const one = compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'x', env: { A: '1', B: '2' } }] }, { baseDir: '/a' });
    const two = compileWorkflow({ steps: [{ env: { B: '2', A: '1' }, run: 'x', id: 'a' }], name: 'w' }, { baseDir: '/b', sourcePath: '/b/w.yaml' });
    expect(workflowVersion(one)).toMatch(/^[0-9a-f]{16}$/);
    expect(workflowVersion(one)).toBe(workflowVersion(two));
  });

  it('changes when content or an inline handler changes', () => {
    const base = compileWorkflow(diamond, { baseDir: '.' });
    const changedRun = compileWorkflow({ ...diamond, steps: diamond.steps.map((s) => (s.id === 'a' ? { ...s, run: 'echo A' } : s)) }, { baseDir: '.' });
    const changedFn = compileWorkflow({ ...diamond, steps: diamond.steps.map((s) => (s.id === 'b' ? { ...s, uses: () => ({ ok: false }) } : s)) }, { baseDir: '.' });
    expect(workflowVersion(changedRun)).not.toBe(workflowVersion(base));
    expect(workflowVersion(changedFn)).not.toBe(workflowVersion(base));
  });
});

describe('toMermaid', () => {
  it('draws one node per step and an edge per need', () => {
    expect(toMermaid(compileWorkflow(diamond, { baseDir: '.' }))).toBe([
      'flowchart TD',
      '  s0["a (run)"]',
      '  s1["b (uses)"]',
      '  s2["c (run)"]',
      '  s3["end (run)"]',
      '  s0 --> s1',
      '  s0 --> s2',
      '  s1 --> s3',
      '  s2 --> s3',
      '',
    ].join('\n'));
  });
});
