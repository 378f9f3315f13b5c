/**
 * A step's `cwd` computed from a param stays inside the workflow's folder when the step
 * runs (the value is only known then); a literal or `trusted` cwd may point elsewhere.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileWorkflow, workflowVersion } from '../src/index.js';
import { resolveParams } from '../src/workflow/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

const flow = (cwd: string | { value: string; trusted: true }) => ({
  name: 'cwd',
  params: { dir: { type: 'string' as const } },
  steps: [{ id: 'a', run: 'touch here', cwd }],
});

describe('step cwd from a param', () => {
  it('fails the step, without running it, when the param leads outside the workflow folder', async () => {
    rig = await engineRig();
    const base = join(rig.dir, 'flow');
    mkdirSync(base);
    const spec = compileWorkflow(flow('${{ params.dir }}'), { baseDir: base });
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: resolveParams(spec, { dir: '..' }) });
    expect((await run.result).state).toBe('failed');
    const [attempt] = await rig.store.getAttempts(run.id);
    expect(attempt?.error).toMatchObject({ type: 'expression', retryable: false });
    expect(attempt?.error?.message).toContain("outside the workflow's folder");
    expect(existsSync(join(rig.dir, 'here'))).toBe(false);
  });

  it('runs inside the folder when the param stays in it', async () => {
    rig = await engineRig();
    const base = join(rig.dir, 'flow');
    mkdirSync(join(base, 'sub'), { recursive: true });
    const spec = compileWorkflow(flow('${{ params.dir }}'), { baseDir: base });
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: resolveParams(spec, { dir: 'sub' }) });
    expect((await run.result).state).toBe('succeeded');
    expect(existsSync(join(base, 'sub', 'here'))).toBe(true);
  });

  it('lets a trusted cwd leave the folder', async () => {
    rig = await engineRig();
    const base = join(rig.dir, 'flow');
    mkdirSync(base);
    const spec = compileWorkflow(flow({ value: '${{ params.dir }}', trusted: true }), { baseDir: base });
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: resolveParams(spec, { dir: rig.dir }) });
    expect((await run.result).state).toBe('succeeded');
    expect(existsSync(join(rig.dir, 'here'))).toBe(true);
  });
});
