/**
 * I/O failures of one attempt fail that attempt, never the engine: a full disk under its
 * log (ENOSPC), a step id too long for a file name (ENAMETOOLONG), a path through a
 * regular file (ENOTDIR, standing in for EACCES: these tests run as root, which ignores
 * mode bits), too many open files (EMFILE). In each case the other steps and runs carry on.
 */
import { basename, dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compileWorkflow, openSqliteStore, workflowVersion } from '../src/index.js';
import type { WorkflowSpec } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { BATON, engineRig, tempDir } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

/** A workflow of shell steps, compiled with the rig's dir as its base. */
function flow(r: EngineRig, name: string, steps: { id: string; run: string }[]): WorkflowSpec {
  return compileWorkflow({ name, steps: steps.map((s) => ({ ...s, env: { D: r.dir } })) }, { baseDir: r.dir });
}

/** Runs `spec` and, beside it, a plain run that must succeed all the same. */
async function runBeside(r: EngineRig, spec: WorkflowSpec): Promise<{ id: string; state: string }> {
  const plain = flow(r, 'plain', [{ id: 'p', run: 'echo fine' }]);
  const [broken, other] = await Promise.all([r.engine.startRun(spec, workflowVersion(spec)), r.engine.startRun(plain, workflowVersion(plain))]);
  expect(await other.result).toEqual({ id: other.id, state: 'succeeded' });
  const { state } = await broken.result;
  // The engine lives on: a new run after the failure succeeds.
  const after = await r.engine.startRun(plain, workflowVersion(plain));
  expect(await after.result).toEqual({ id: after.id, state: 'succeeded' });
  return { id: broken.id, state };
}

describe('an I/O failure fails its attempt only', () => {
  it('ENOSPC: a log that cannot be written (a symlink to /dev/full) fails the attempt as disk-full, naming the path', async () => {
    rig = await engineRig();
    // The step points its own log at /dev/full before printing its first byte.
    const spec = flow(rig, 'full_disk', [
      { id: 'full', run: 'mkdir -p "$D/logs/$BATON_RUN_ID" && ln -s /dev/full "$D/logs/$BATON_RUN_ID/$BATON_STEP_ID.$BATON_ATTEMPT.log" && echo hello' },
      { id: 'fine', run: 'true' },
    ]);
    const { id, state } = await runBeside(rig, spec);
    expect(state).toBe('failed');
    const [attempt] = await rig.store.getAttempts(id, 'full');
    expect(attempt).toMatchObject({
      state: 'failed',
      error: { type: 'disk-full', retryable: true, details: { code: 'ENOSPC', path: attempt!.logPath! } },
    });
    expect(attempt!.error!.message).toContain(attempt!.logPath!);
    expect((await rig.store.getStepRuns(id)).map((s) => [s.stepId, s.state])).toEqual([['full', 'failed'], ['fine', 'succeeded']]);
  });

  it('ENAMETOOLONG: a 300-character step id gets a bounded log name and its log is kept', async () => {
    rig = await engineRig();
    const long = 'x'.repeat(300);
    // Built as a compiled workflow: validation may bound ids, the file names must not rely on it.
    const spec = flow(rig, 'long_id', [{ id: 'short', run: 'echo short' }]);
    spec.steps.push({ ...spec.steps[0]!, id: long, action: { kind: 'run', command: { default: 'echo long' } } });
    spec.steps.push({ ...spec.steps[0]!, id: '../../escape', action: { kind: 'run', command: { default: 'echo escape' } } });
    const { id, state } = await runBeside(rig, spec);
    expect(state).toBe('succeeded');
    const attempts = await rig.store.getAttempts(id);
    const path = (step: string): string => attempts.find((a) => a.stepId === step)!.logPath!;
    // Short plain ids keep the names baton always gave them: old logs are found where they were.
    expect(path('short')).toBe(join(rig.dir, 'logs', id, 'short.1.log'));
    expect(basename(path(long)).length).toBeLessThanOrEqual(120);
    expect(basename(path(long))).toMatch(/^x+-[0-9a-f]{12}\.1\.log$/);
    expect(readFileSync(path(long), 'utf8')).toBe('long\n');
    // Characters outside [A-Za-z0-9._-] never reach a path: the log stays in its run's folder.
    expect(dirname(path('../../escape'))).toBe(join(rig.dir, 'logs', id));
    expect(readFileSync(path('../../escape'), 'utf8')).toBe('escape\n');
  });

  it('ENOTDIR (for EACCES): a log folder that is a regular file fails the attempt as io-error, naming the path', async () => {
    rig = await engineRig();
    const spec = flow(rig, 'not_a_dir', [
      // The run's log folder becomes a regular file before the step prints.
      { id: 'blocked', run: 'mkdir -p "$D/logs" && : > "$D/logs/$BATON_RUN_ID" && echo hello' },
    ]);
    const { id, state } = await runBeside(rig, spec);
    expect(state).toBe('failed');
    const [attempt] = await rig.store.getAttempts(id, 'blocked');
    expect(attempt).toMatchObject({ state: 'failed', error: { type: 'io-error', retryable: false, details: { path: attempt!.logPath! } } });
    expect(['ENOTDIR', 'EEXIST']).toContain((attempt!.error!.details as { code: string }).code);
    expect(attempt!.error!.message).toContain(attempt!.logPath!);
  });

  it('ENOTDIR: an output folder that cannot be made fails the attempt, and later runs still get theirs', async () => {
    rig = await engineRig();
    const spec = flow(rig, 'no_outputs', [{ id: 'out', run: 'echo \'{"a": 1}\' > "$BATON_OUTPUT"' }]);
    writeFileSync(join(rig.dir, 'outputs'), 'not a folder');
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect((await run.result).state).toBe('failed');
    const [attempt] = await rig.store.getAttempts(run.id);
    expect(attempt).toMatchObject({ state: 'failed', error: { type: 'io-error', details: { path: join(rig.dir, 'outputs', run.id) } } });
    expect(attempt!.error!.message).toMatch(/output folder/);
  });

  // Needs `npm run build`: the CLI runs dist/.
  it('EMFILE: under ulimit -n 160, `baton run` of 100 parallel steps fails the steps it cannot start and lives to end the run', async () => {
    const dir = tempDir();
    try {
      const steps = Array.from({ length: 100 }, (_, i) => `  - id: s${i}\n    run: echo hi; sleep 0.5\n`).join('');
      writeFileSync(join(dir, 'flow.yaml'), `name: many\nconcurrency: 100\nsteps:\n${steps}`);
      const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
      delete env.BATON_DB; // ./.baton in the temp dir
      const child = spawn('bash', ['-c', `ulimit -n 160 && exec "${process.execPath}" "${BATON}" run flow.yaml`], {
        cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.stdout.resume();
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      // A failed run, reported: not an uncaught exception.
      expect(err).not.toMatch(/node:internal|Uncaught|at .+\.js:\d+/);
      expect(code).toBe(1);
      const store = openSqliteStore(join(dir, '.baton', 'baton.db'));
      try {
        const [run] = await store.listRuns({ workflow: 'many' });
        expect(run).toMatchObject({ state: 'failed' });
        const attempts = await store.getAttempts(run!.id);
        expect(attempts).toHaveLength(100);
        const failed = attempts.filter((a) => a.state === 'failed');
        expect(attempts.filter((a) => a.state === 'succeeded').length).toBeGreaterThan(0);
        expect(failed.length).toBeGreaterThan(0);
        for (const a of failed) {
          expect(a.error).toMatchObject({ type: 'io-error', retryable: true, details: { code: expect.stringMatching(/^E[MN]FILE$/) as string } });
          expect(a.error!.message).toMatch(/too many open files/);
        }
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
