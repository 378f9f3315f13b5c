import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compileWorkflow, workflowVersion } from '../src/index.js';
import type { StepContext } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture } from './helpers.js';
import { FIVE, forbidden } from './secrets-helpers.js';

const TOKEN = 'tok-5ecret-a1b2c3d4e5';

const KEY = 'key-0f9e8d7c6b5a'; // test/fixtures/engine/secrets_masked.key, newline trimmed

let rig: EngineRig | undefined;
beforeEach(() => {
  process.env.SECRETS_TEST_TOKEN = TOKEN;
});
afterEach(async () => {
  delete process.env.SECRETS_TEST_TOKEN;
  await rig?.cleanup();
  rig = undefined;
});

const dbBytes = (dir: string): string =>
  ['baton.db', 'baton.db-wal'].filter((f) => existsSync(`${dir}/${f}`)).map((f) => readFileSync(`${dir}/${f}`, 'latin1')).join('');

describe('workflow secrets on a real engine and SQLite store', () => {
  it('secrets_masked: steps get the values; logs, outputs, errors and events hold *** only', async () => {
    rig = await engineRig();
    const spec = await loadFixture('secrets_masked.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect((await run.result).state).toBe('failed');

    const steps = Object.fromEntries((await rig.store.getStepRuns(run.id)).map((s) => [s.stepId, s]));
    // The values reached the steps (their lengths prove it), and were masked on the way out.
    expect(steps.shell?.state).toBe('succeeded');
    expect(steps.shell?.output).toEqual({ t: '***', len: TOKEN.length });
    expect(steps.output?.output).toEqual({ token: '***', nested: { list: ['ok', 'Bearer ***'] }, keyLength: KEY.length });

    const attempts = await rig.store.getAttempts(run.id);
    const shellLog = readFileSync(attempts.find((a) => a.stepId === 'shell')!.logPath!, 'utf8');
    expect(shellLog).toContain('token is ***\n');
    expect(shellLog).toContain('key: ***\n');
    // Written in two pieces 100 ms apart, so the masker saw it split across chunks.
    expect(shellLog).toContain('split *** done\n');
    const handlerLog = readFileSync(attempts.find((a) => a.stepId === 'output')!.logPath!, 'utf8');
    expect(handlerLog).toMatch(/info calling the API with \*\*\* \{"key":"\*\*\*"\}\n$/);

    const failed = attempts.find((a) => a.stepId === 'error');
    expect(failed?.error).toMatchObject({ type: 'Error', message: 'the API refused token ***', retryable: true });
    expect(steps.error?.state).toBe('failed');

    const stored = JSON.stringify({ steps, attempts, events: await rig.store.getEvents(run.id), run: await rig.store.getRun(run.id) });
    expect(stored).toContain('***');
    for (const value of [TOKEN, KEY]) {
      expect(stored).not.toContain(value);
      expect(shellLog + handlerLog).not.toContain(value);
      expect(dbBytes(rig.dir)).not.toContain(value);
    }
  });

  it('a missing secret fails the step, not the engine, with one non-retryable attempt naming it', async () => {
    rig = await engineRig();
    const spec = compileWorkflow({
      name: 'secret_missing',
      secrets: ['SECRETS_TEST_ABSENT'],
      retry: { attempts: 3, delay: '10ms' },
      steps: [{ id: 'a', run: 'echo never' }],
    }, { baseDir: rig.dir });
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect((await run.result).state).toBe('failed');
    const attempts = await rig.store.getAttempts(run.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.error).toMatchObject({ type: 'secret-missing', retryable: false, details: { secrets: ['SECRETS_TEST_ABSENT'] } });
    expect(attempts[0]?.error?.message).toMatch(/^secret "SECRETS_TEST_ABSENT" is not set: set the environment variable SECRETS_TEST_ABSENT in the process that runs the step/);

    // The engine is still fine: the next run, with the variable set, succeeds.
    process.env.SECRETS_TEST_ABSENT = 'now-it-is-set';
    try {
      const again = await rig.engine.startRun(spec, workflowVersion(spec));
      expect((await again.result).state).toBe('succeeded');
    } finally {
      delete process.env.SECRETS_TEST_ABSENT;
    }
  });
});

describe('five secrets and every way a handler or step printed them', () => {
  beforeEach(() => Object.assign(process.env, FIVE.env));
  afterEach(() => {
    for (const k of Object.keys(FIVE.env)) delete process.env[k];
  });

  it('secrets_five: console and stream writes land masked in the attempt log; escaped forms and invalid outputs are masked', async () => {
    rig = await engineRig();
    const spec = await loadFixture('secrets_five.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    await run.result;
    const attempts = await rig.store.getAttempts(run.id);
    const logOf = (id: string): string => readFileSync(attempts.find((a) => a.stepId === id)!.logPath!, 'utf8');

    const print = logOf('print');
    for (const line of ['console.log ***\n', 'console.error ***\n', 'stdout.write ***\n', 'stderr.write ***\n', 'later ***\n']) expect(print).toContain(line);
    expect(print).toMatch(/ error request failed \{"err":\{"name":"Error","message":"refused \*\*\*","stack":"Error: refused \*\*\*\\n\s+at /);

    const steps = Object.fromEntries((await rig.store.getStepRuns(run.id)).map((s) => [s.stepId, s]));
    expect(steps.json?.output).toEqual({ doc: '{"key":"***","pw":"***"}' });
    expect(logOf('json')).toContain('sending {"key":"***","pw":"***"}\n');
    expect(logOf('echo')).toBe('downstream {"key":"***","pw":"***"}\n{"pem": "***\\n"}\n');
    const invalid = attempts.find((a) => a.stepId === 'invalid');
    expect(invalid?.error?.message).toContain('it begins "***, not JSON"');

    const everything = JSON.stringify({ steps, attempts, events: await rig.store.getEvents(run.id) })
      + ['print', 'json', 'echo'].map(logOf).join('') + dbBytes(rig.dir);
    for (const f of forbidden()) expect(everything, f).not.toContain(f);
  });

  it('handlers running at once each print into their own attempt log, nothing of the others', async () => {
    rig = await engineRig();
    const chatty = async (ctx: StepContext): Promise<null> => {
      for (let i = 0; i < 5; i++) {
        console.log(`${ctx.step.id} ${i}`);
        process.stdout.write(`${ctx.step.id} raw ${i}\n`);
        await new Promise((r) => setTimeout(r, 1));
      }
      return null;
    };
    const spec = compileWorkflow({ name: 'chatty', steps: [{ id: 'a', uses: chatty }, { id: 'b', uses: chatty }, { id: 'c', uses: chatty }] }, { baseDir: rig.dir });
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect((await run.result).state).toBe('succeeded');
    for (const a of await rig.store.getAttempts(run.id)) {
      const expected = [0, 1, 2, 3, 4].flatMap((i) => [`${a.stepId} ${i}`, `${a.stepId} raw ${i}`]).join('\n') + '\n';
      expect(readFileSync(a.logPath!, 'utf8')).toBe(expected);
    }
  });
});
