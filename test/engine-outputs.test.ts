import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workflowVersion } from '../src/index.js';
import { resolveParams } from '../src/workflow/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

describe('outputs between steps', () => {
  it('diamond_outputs: $BATON_OUTPUT, `with` expressions and ctx.outputs reach the last step', async () => {
    rig = await engineRig();
    const spec = await loadFixture('diamond_outputs.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect(await run.result).toEqual({ id: run.id, state: 'succeeded' });

    const steps = await rig.store.getStepRuns(run.id);
    expect(steps.map((s) => [s.stepId, s.state])).toEqual([['a', 'succeeded'], ['b', 'succeeded'], ['c', 'succeeded'], ['d', 'succeeded']]);
    const out = Object.fromEntries(steps.map((s) => [s.stepId, s.output]));
    expect(out.a).toEqual({ n: 5, label: 'five' });
    expect(out.b).toEqual({ doubled: 10, nType: 'number' });
    expect(out.c).toEqual({ m: 5, label: 'five' });
    // ctx.outputs is transitive: d sees a through b and c.
    expect(out.d).toEqual({ seen: { a: { n: 5, label: 'five' }, b: { doubled: 10, nType: 'number' }, c: { m: 5, label: 'five' } }, keys: ['a', 'b', 'c'] });

    // The output files are read and removed: nothing is left behind.
    expect(readdirSync(join(rig.dir, 'outputs', run.id))).toEqual([]);
    const run0 = await rig.store.getRun(run.id);
    expect(run0).toMatchObject({ state: 'succeeded', workflow: 'diamond_outputs' });
    expect(run0?.owner).toBeUndefined(); // released when it ended
  });
});

describe('untrusted params', () => {
  it('param_metacharacters: shell syntax in a param reaches the command as inert text', async () => {
    rig = await engineRig();
    const spec = await loadFixture('param_metacharacters.yaml');
    const text = "$(touch PWNED); rm -rf x; `touch PWNED2` \"quoted\" 'single' ${HOME} ${{ params.dir }} \\n\nline two; echo done";
    writeFileSync(join(rig.dir, 'x'), 'keep me');
    const params = resolveParams(spec, { text, dir: rig.dir });
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params });
    expect((await run.result).state).toBe('succeeded');
    expect(readFileSync(join(rig.dir, 'out.txt'), 'utf8')).toBe(text);
    expect(existsSync(join(rig.dir, 'PWNED'))).toBe(false);
    expect(existsSync(join(rig.dir, 'PWNED2'))).toBe(false);
    expect(readFileSync(join(rig.dir, 'x'), 'utf8')).toBe('keep me');
    expect((await rig.store.getRun(run.id))?.params).toEqual({ text, dir: rig.dir });
  });
});
