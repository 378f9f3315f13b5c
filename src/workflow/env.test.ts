import { describe, expect, it } from 'vitest';
import { isProgramChangingEnv, PROGRAM_CHANGING_ENV, resolveStepCwd, StepCwdError } from './index.js';
import { compileWorkflow, WorkflowValidationError } from './index.js';

const codes = (input: unknown): string[] => {
  try {
    compileWorkflow(input, { baseDir: '/w' });
    return [];
  } catch (e) {
    if (!(e instanceof WorkflowValidationError)) throw e;
    return e.errors.map((x) => `${x.code} ${x.path}`);
  }
};

describe('isProgramChangingEnv', () => {
  it('covers the documented list and the LD_/DYLD_/BASH_FUNC_ families, case-sensitively', () => {
    for (const name of ['PATH', 'LD_PRELOAD', 'NODE_OPTIONS', 'BASH_ENV', 'GIT_SSH_COMMAND', '_JAVA_OPTIONS', 'LD_BIND_NOW', 'DYLD_FRAMEWORK_PATH', 'BASH_FUNC_ls%%']) {
      expect(isProgramChangingEnv(name), name).toBe(true);
    }
    for (const name of ['HOME', 'REGION', 'path', 'MY_PATH']) expect(isProgramChangingEnv(name), name).toBe(false);
    expect(PROGRAM_CHANGING_ENV).toContain('PYTHONPATH');
  });
});

describe('env validation', () => {
  const params = { p: { type: 'string' } };

  it('refuses ${{ }} in a program-changing variable unless the entry is trusted', () => {
    expect(codes({ name: 'w', params, steps: [{ id: 'a', run: 'ls', env: { PATH: '${{ params.p }}' } }] })).toEqual(['expression-in-run steps[0].env.PATH']);
    expect(codes({ name: 'w', params, env: { NODE_OPTIONS: 'x ${{ params.p }}' }, steps: [{ id: 'a', run: 'ls' }] })).toEqual(['expression-in-run env.NODE_OPTIONS']);
    expect(codes({ name: 'w', params, steps: [{ id: 'a', run: 'ls', env: { PATH: { value: '${{ params.p }}', trusted: true } } }] })).toEqual([]);
    // Marked, but not trusted: still refused, at the value.
    expect(codes({ name: 'w', params, steps: [{ id: 'a', run: 'ls', env: { PATH: { value: '${{ params.p }}' } } }] })).toEqual(['expression-in-run steps[0].env.PATH.value']);
  });

  it('still checks the expressions of a trusted entry', () => {
    expect(codes({ name: 'w', params, steps: [{ id: 'a', run: 'ls', env: { PATH: { value: '${{ params.nope }}', trusted: true } } }] })).toEqual(['bad-expression steps[0].env.PATH.value']);
  });

  it('refuses BATON_* names, even set literally', () => {
    expect(codes({ name: 'w', steps: [{ id: 'a', run: 'ls', env: { BATON_OUTPUT: '/tmp/x' } }] })).toEqual(['invalid-value steps[0].env.BATON_OUTPUT']);
    expect(codes({ name: 'w', env: { BATON_RUN_ID: 'r' }, steps: [{ id: 'a', run: 'ls' }] })).toEqual(['invalid-value env.BATON_RUN_ID']);
  });

  it('refuses ${{ }} in shell', () => {
    expect(codes({ name: 'w', params, steps: [{ id: 'a', run: 'ls', shell: '${{ params.p }}' }] })).toEqual(['expression-in-run steps[0].shell']);
  });

  it('compiles the object form to its text', () => {
    const spec = compileWorkflow({ name: 'w', steps: [{ id: 'a', run: 'ls', env: { PORT: { value: 8080 }, PATH: { value: '/opt/bin', trusted: true } } }] }, { baseDir: '/w' });
    expect(spec.steps[0]?.env).toEqual({ PORT: '8080', PATH: '/opt/bin' });
  });
});

describe('resolveStepCwd', () => {
  const fromParam = { cwd: '${{ params.dir }}' };

  it('resolves relative to the workflow folder', () => {
    expect(resolveStepCwd('/w/flow', fromParam, 'sub/dir')).toBe('/w/flow/sub/dir');
    expect(resolveStepCwd('/w/flow', fromParam, '.')).toBe('/w/flow');
    expect(resolveStepCwd('/w/flow', {}, '/w/flow')).toBe('/w/flow');
  });

  it('keeps a cwd computed from an expression inside the workflow folder', () => {
    expect(() => resolveStepCwd('/w/flow', fromParam, '../../etc')).toThrow(StepCwdError);
    expect(() => resolveStepCwd('/w/flow', fromParam, '/etc')).toThrow(/outside the workflow's folder/);
    expect(() => resolveStepCwd('/w/flow', fromParam, 'a/../../flow2')).toThrow(StepCwdError);
    expect(resolveStepCwd('/w/flow', fromParam, 'a/../b')).toBe('/w/flow/b');
  });

  it('lets a literal cwd (the author\'s choice) or a trusted one point anywhere', () => {
    expect(resolveStepCwd('/w/flow', { cwd: '/srv/data' }, '/srv/data')).toBe('/srv/data');
    expect(resolveStepCwd('/w/flow', { cwd: '../shared' }, '../shared')).toBe('/w/shared');
    expect(resolveStepCwd('/w/flow', { ...fromParam, cwdTrusted: true }, '/tmp/x')).toBe('/tmp/x');
  });

  it('has the stable code cwd-outside-workflow', () => {
    try {
      resolveStepCwd('/w', fromParam, '/etc');
    } catch (e) {
      expect(e).toMatchObject({ code: 'cwd-outside-workflow', baseDir: '/w', cwd: '/etc' });
    }
    expect.assertions(1);
  });

  it('compiles cwd { value, trusted } and checks its expressions', () => {
    const spec = compileWorkflow({ name: 'w', params: { dir: { type: 'string' } }, steps: [{ id: 'a', run: 'ls', cwd: { value: '${{ params.dir }}', trusted: true } }] }, { baseDir: '/w' });
    expect(spec.steps[0]).toMatchObject({ cwd: '${{ params.dir }}', cwdTrusted: true });
    expect(codes({ name: 'w', steps: [{ id: 'a', run: 'ls', cwd: { value: '${{ params.nope }}', trusted: true } }] })).toEqual(['bad-expression steps[0].cwd.value']);
  });
});
