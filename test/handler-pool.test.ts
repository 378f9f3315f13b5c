/**
 * Path handlers run in the engine's pool of worker threads: real handler files
 * (test/fixtures/pool/handlers.ts, loaded through tsx in the thread), a real engine on a
 * SQLite store, real threads. These tests use real time on purpose: they measure what the
 * threads do to the engine's event loop, which a virtual clock cannot show.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StepInput } from '../src/index.js';
import { compileWorkflow, loadWorkflowFile, WorkflowValidationError, workflowVersion } from '../src/index.js';
import { HandlerPool } from '../src/executors/index.js';
import type { StepSpec } from '../src/workflow/index.js';
import { runClaimed } from '../src/runtime/worker-attempt.js';
import type { WorkerAttempt } from '../src/runtime/worker-attempt.js';
import type { EngineRig } from './helpers.js';
import { engineRig, ROOT, tempDir, waitFor } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'pool');
const H = './handlers.ts';

let rig: EngineRig | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `steps` on the rig's engine; resolves with the summary, the attempts and the step runs. */
async function run(steps: StepInput[], extra: { secrets?: string[] } = {}) {
  const spec = compileWorkflow({ name: 'pool', steps, ...extra }, { baseDir: FIXTURES });
  const r = await rig!.engine.startRun(spec, workflowVersion(spec));
  const summary = await r.result;
  return { id: r.id, summary, attempts: await rig!.store.getAttempts(r.id), stepRuns: await rig!.store.getStepRuns(r.id) };
}

/** The output a step run recorded (its last attempt's). */
const output = (_attempts: unknown, stepRuns: Awaited<ReturnType<typeof run>>['stepRuns'], id: string): unknown =>
  stepRuns.find((s) => s.stepId === id)?.output;

describe('handlers in worker threads', () => {
  it('two CPU-bound handlers with 2 slots run at the same time, each with its own CPU time', async () => {
    rig = await engineRig({ slots: 2 });
    // Warm-up: both threads started and the module loaded, so what follows times the handlers
    // alone. The pool starts a second thread once a task waited behind one that ran 25 ms.
    await run([{ id: 'w1', uses: `${H}#busy`, with: { ms: 1_500 } }, { id: 'w2', uses: `${H}#busy`, with: { ms: 50 } }]);
    const { summary, stepRuns, attempts } = await run([
      { id: 'a', uses: `${H}#busy`, with: { ms: 500 } },
      { id: 'b', uses: `${H}#busy`, with: { ms: 500 } },
    ]);
    expect(summary.state).toBe('succeeded');
    const a = output(attempts, stepRuns, 'a') as { start: number; end: number; threadId: number };
    const b = output(attempts, stepRuns, 'b') as { start: number; end: number; threadId: number };
    // Overlap: each started before the other ended, on two different threads.
    expect(a.threadId).not.toBe(b.threadId);
    expect(a.start).toBeLessThan(b.end);
    expect(b.start).toBeLessThan(a.end);
    for (const at of attempts) {
      // Its own thread's CPU time: some of the 500 ms on a shared machine, never more than its wall time.
      expect(at.cpuMs).toBeGreaterThan(20);
      expect(at.cpuMs).toBeLessThanOrEqual(at.endedAt! - at.startedAt + 50);
      expect(at.peakRssBytes).toBeGreaterThan(1024 * 1024);
    }
  }, 30_000);

  it('a while(true) handler is stopped by its timeout (its thread terminated) and the pool goes on', async () => {
    rig = await engineRig({ slots: 2, graceMs: 200 });
    const dir = tempDir();
    dirs.push(dir);
    // The thread started first, so the 1 s timeout falls inside the loop, not in the thread's start.
    await run([{ id: 'warm', uses: `${H}#where` }]);
    let ticks = 0;
    const tick = setInterval(() => ticks++, 50);
    const t0 = performance.now();
    const { summary, attempts, stepRuns } = await run([{ id: 'spin', uses: `${H}#spinForever`, with: { marker: join(dir, 'started') }, timeout: '1s', retry: { attempts: 1 } }]);
    const ms = performance.now() - t0;
    clearInterval(tick);
    expect(summary.state).toBe('failed');
    expect(attempts[0]).toMatchObject({ state: 'failed', error: { type: 'timeout', message: 'timed out after 1s' } });
    expect(stepRuns[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(existsSync(join(dir, 'started'))).toBe(true);
    expect(ms).toBeLessThan(10_000);
    // The engine's own timers kept running while the thread spun.
    expect(ticks).toBeGreaterThanOrEqual(10);
    const after = await run([{ id: 'next', uses: `${H}#where` }]);
    expect(after.summary.state).toBe('succeeded');
    expect(output(after.attempts, after.stepRuns, 'next')).toEqual({ isMainThread: false });
  }, 30_000);

  it('cancelling a run stops a handler in the middle of a tight loop', async () => {
    rig = await engineRig({ slots: 2, graceMs: 200 });
    const dir = tempDir();
    dirs.push(dir);
    const spec = compileWorkflow({ name: 'pool', steps: [{ id: 'spin', uses: `${H}#spinForever`, with: { marker: join(dir, 'started') } }] }, { baseDir: FIXTURES });
    const r = await rig.engine.startRun(spec, workflowVersion(spec));
    await waitFor(() => existsSync(join(dir, 'started')), 20_000, 'the handler to start spinning');
    expect(rig.engine.cancelRun(r.id)).toBe(true);
    expect((await r.result).state).toBe('cancelled');
    expect((await rig.store.getAttempts(r.id))[0]).toMatchObject({ state: 'cancelled' });
  }, 30_000);

  it('ctx.signal aborts in the thread: a cooperative handler sees reason timeout and returns', async () => {
    rig = await engineRig({ graceMs: 5_000 });
    const dir = tempDir();
    dirs.push(dir);
    const marker = join(dir, 'reason');
    // A signal that aborts while the thread still starts ends the attempt before the handler is called.
    await run([{ id: 'warm', uses: `${H}#where` }]);
    const t0 = performance.now();
    const { attempts } = await run([{ id: 'coop', uses: `${H}#cooperative`, with: { marker }, timeout: '500ms', retry: { attempts: 1 } }]);
    expect(attempts[0]).toMatchObject({ state: 'failed', error: { type: 'timeout' } });
    expect(readFileSync(marker, 'utf8')).toBe('timeout');
    // It returned by itself: well before the 5 s grace period would have terminated it.
    expect(performance.now() - t0).toBeLessThan(4_500);
  }, 30_000);

  it('a handler past its memory limit fails with memory-limit, not retried, and the next one runs', async () => {
    rig = await engineRig({ slots: 2 });
    const { summary, attempts } = await run([{ id: 'hog', uses: `${H}#hog`, memory: '64MiB', retry: { attempts: 3, delay: 0 } }]);
    expect(summary.state).toBe('failed');
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ state: 'failed', error: { type: 'memory-limit', retryable: false, details: { limitBytes: 64 * 1024 * 1024 } } });
    expect(attempts[0]!.error!.message).toContain('64 MiB');
    const after = await run([{ id: 'next', uses: `${H}#where`, memory: '64MiB' }]);
    expect(after.summary.state).toBe('succeeded');
  }, 60_000);

  it('output, upstream outputs, params, log lines and console output (masked) come back from the thread', async () => {
    process.env.POOL_TOKEN = 'pool-secret-value-123';
    try {
      rig = await engineRig();
      const { summary, attempts, stepRuns } = await run([
        { id: 'first', uses: `${H}#where` },
        { id: 'echo', needs: ['first'], uses: `${H}#echo`, with: { n: 7 } },
        { id: 'bad', uses: `${H}#fails`, retry: { attempts: 1 } },
      ], { secrets: ['POOL_TOKEN'] });
      expect(summary.state).toBe('failed');
      const echo = attempts.find((a) => a.stepId === 'echo')!;
      expect(output(attempts, stepRuns, 'echo')).toEqual({ inputs: { n: 7 }, params: {}, outputs: { first: { isMainThread: false } }, attemptId: echo.id });
      const log = readFileSync(echo.logPath!, 'utf8');
      expect(log).toMatch(/ info from ctx\.log \{"token":"\*\*\*","err":\{"name":"Error","message":"boom"/);
      expect(log).toContain('from console.log ***\n');
      expect(log).toContain('from console.error\n');
      expect(log).toContain('from stdout ***\n');
      expect(log).not.toContain('pool-secret-value-123');
      const bad = attempts.find((a) => a.stepId === 'bad')!;
      expect(bad.error).toMatchObject({ type: 'TypeError', message: 'bad input', retryable: true });
      expect((bad.error!.details as { stack: string[] }).stack[0]).toContain('handlers.ts');
    } finally {
      delete process.env.POOL_TOKEN;
    }
  }, 30_000);

  it('inline: true keeps a path handler on the main thread; inline functions stay there too', async () => {
    rig = await engineRig();
    const { stepRuns, attempts } = await run([
      { id: 'thread', uses: `${H}#where` },
      { id: 'inline', uses: `${H}#where`, inline: true },
      { id: 'fn', uses: () => ({ fn: true }) },
    ]);
    expect(output(attempts, stepRuns, 'thread')).toEqual({ isMainThread: false });
    expect(output(attempts, stepRuns, 'inline')).toEqual({ isMainThread: true });
    expect(output(attempts, stepRuns, 'fn')).toEqual({ fn: true });
  }, 30_000);

  it('a 2 s synchronous CPU loop in a handler does not delay a 50 ms timer on the main thread', async () => {
    rig = await engineRig();
    // Thread started and module loaded first: the busy loop is what is measured.
    await run([{ id: 'warm', uses: `${H}#busy`, with: { ms: 1 } }]);
    let ticks = 0;
    let maxGap = 0;
    let last = performance.now();
    const tick = setInterval(() => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
      ticks++;
    }, 50);
    const spec = compileWorkflow({ name: 'pool', steps: [{ id: 'busy', uses: `${H}#busy`, with: { ms: 2_000 } }] }, { baseDir: FIXTURES });
    const r = await rig.engine.startRun(spec, workflowVersion(spec));
    const summary = await r.result;
    clearInterval(tick);
    expect(summary.state).toBe('succeeded');
    expect(ticks).toBeGreaterThanOrEqual(20);
    expect(maxGap).toBeLessThan(1_000);
  }, 30_000);
});

describe('a fleet worker runs handlers in the pool it is given', () => {
  const pool = new HandlerPool({ maxThreads: 1 });
  afterAll(() => pool.close());

  it('runClaimed with a pool runs the handler off the main thread, and a timeout terminates a spinning one', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const claimed = (handler: string, inputs: Record<string, string>, timeoutMs?: number): WorkerAttempt => {
      const step: StepSpec = {
        id: 's', needs: [], action: { kind: 'uses', handler, with: {} }, env: {}, priority: 0, continueOnError: false,
        retry: { attempts: 1, backoff: 'fixed', delayMs: 0, factor: 1, maxDelayMs: 0, jitter: 0 },
      };
      return {
        claim: { id: 'r.s.1', runId: 'r', stepId: 's', number: 1, fence: 1, leaseExpiresAt: 0, priorityKey: 0, task: {} },
        task: {
          workflow: 'w', version: 'v', baseDir: FIXTURES, step, runId: 'r', stepId: 's', attemptId: 'r.s.1', attempt: 1, cwd: dir,
          env: {}, params: {}, inputs, outputs: {}, logPath: join(dir, 's.1.log'), ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        },
        graceful: new AbortController(), force: new AbortController(), claimedAt: 0, ended: false, done: Promise.resolve(),
      };
    };
    const limits = { graceMs: 200, maxOutputBytes: 1024, handlerPool: pool };
    const where = await runClaimed(claimed(`${H}#where`, {}), { outputDir: dir, logCapBytes: undefined, limits });
    expect(where).toMatchObject({ state: 'succeeded', output: { isMainThread: false } });
    const spin = await runClaimed(claimed(`${H}#spinForever`, { marker: join(dir, 'started') }, 500), { outputDir: dir, logCapBytes: undefined, limits });
    expect(spin).toMatchObject({ state: 'failed', error: { type: 'timeout' } });
  }, 30_000);
});

describe('inline and memory in the workflow file', () => {
  const issues = (steps: StepInput[]): string[] => {
    try {
      compileWorkflow({ name: 'pool', steps }, { baseDir: FIXTURES });
      return [];
    } catch (e) {
      if (!(e instanceof WorkflowValidationError)) throw e;
      return e.errors.map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('accepts them on a path handler and compiles memory to bytes', () => {
    const spec = compileWorkflow({ name: 'pool', steps: [{ id: 'a', uses: `${H}#where`, memory: '256MiB' }, { id: 'b', uses: `${H}#where`, inline: true }] }, { baseDir: FIXTURES });
    expect(spec.steps[0]).toMatchObject({ memoryBytes: 256 * 1024 * 1024 });
    expect(spec.steps[0]!.inline).toBeUndefined();
    expect(spec.steps[1]).toMatchObject({ inline: true });
  });

  it('refuses them where they would do nothing, and sizes that cannot work', () => {
    expect(issues([{ id: 'a', run: 'true', inline: true }])).toEqual([expect.stringMatching(/^steps\[0\]\.inline: inline applies to uses steps/)]);
    expect(issues([{ id: 'a', http: { url: 'http://x' }, memory: '1GiB' }])).toEqual([expect.stringMatching(/^steps\[0\]\.memory: memory applies to shell steps \(their processes\) and uses steps/)]);
    expect(issues([{ id: 'a', uses: () => 1, memory: '1GiB' }])).toEqual([expect.stringMatching(/an inline function always runs on the engine's thread/)]);
    expect(issues([{ id: 'a', uses: `${H}#where`, memory: 'lots' }])).toEqual([expect.stringMatching(/memory must be a size such as 256MiB/)]);
    expect(issues([{ id: 'a', uses: `${H}#where`, memory: '1MiB' }])).toEqual([expect.stringMatching(/memory is at least 16MiB/)]);
    expect(issues([{ id: 'a', uses: `${H}#where`, inline: true, memory: '64MiB' }])).toEqual([expect.stringMatching(/drop one of them/)]);
    expect(issues([{ id: 'a', uses: `${H}#where`, inline: 'yes' as unknown as boolean }])).toEqual([expect.stringMatching(/inline must be true or false/)]);
  });

  it('names the file, line and field of a bad value in YAML', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const file = join(dir, 'flow.yaml');
    writeFileSync(file, 'name: pool\nsteps:\n  - id: a\n    http: { url: "http://127.0.0.1:9/x" }\n    memory: 256MiB\n');
    const err = await loadWorkflowFile(file).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowValidationError);
    expect((err as WorkflowValidationError).errors[0]).toMatchObject({ file, line: 5, path: 'steps[0].memory' });
  });
});
