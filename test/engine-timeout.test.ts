import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, compileWorkflow, workflowVersion } from '../src/index.js';
import type { JsonObject, RunSummary } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, nextEvent, processAlive, readPid, stepTo, tempDir, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
const strays: number[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const pgid of strays.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Starts a fixture on an engine with a virtual clock: its timeouts fire when the test advances it. */
async function start(name: string, params: JsonObject = {}): Promise<{ id: string; result: Promise<RunSummary>; clock: VirtualClock }> {
  const clock = new VirtualClock();
  rig = await engineRig({ graceMs: 200, clock });
  const spec = await loadFixture(name);
  const run = await rig.engine.startRun(spec, workflowVersion(spec), { params });
  return { ...run, clock };
}

/** Whether a promise has settled, after letting pending callbacks run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true), () => (done = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

/** Process group id of a live process (Linux /proc). */
function pgidOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

describe('step timeout', () => {
  it('timeout_kills_tree: the timeout fails the step (reason timeout) and ends its grandchild', async () => {
    const pidfile = join(tempPidDir(), 'grandchild.pid');
    const run = await start('timeout_kills_tree.yaml', { pidfile });
    const grandchild = await readPid(pidfile);
    run.clock.advance(499);
    expect(await settled(run.result)).toBe(false);
    run.clock.advance(1);
    expect(await run.result).toEqual({ id: run.id, state: 'failed' });
    const [step] = await rig!.store.getStepRuns(run.id);
    expect(step).toMatchObject({ state: 'failed', reason: 'timeout', error: { type: 'timeout', message: 'timed out after 500ms' } });
    const [attempt] = await rig!.store.getAttempts(run.id);
    expect(attempt).toMatchObject({ state: 'failed', error: { type: 'timeout' } });
    expect(attempt!.endedAt! - attempt!.startedAt).toBe(500);
    await waitFor(() => !processAlive(grandchild), 2_000, `grandchild ${grandchild} to end`);
  });

  // The shell dies on SIGTERM but its grandchild ignores it and holds the log pipe open;
  // the group must still end (fixed in 7ad7aef: the group is killed when the main process exits).
  it('timeout_term_ignored_by_grandchild: a TERM-proof grandchild does not keep the step alive', async () => {
    const pidfile = join(tempPidDir(), 'stubborn.pid');
    const run = await start('timeout_term_ignored_by_grandchild.yaml', { pidfile });
    const stubborn = await readPid(pidfile);
    const pgid = pgidOf(stubborn);
    if (pgid !== undefined) strays.push(pgid);
    let summary: RunSummary | undefined;
    void run.result.then((s) => (summary = s));
    try {
      run.clock.advance(300);
      // The grace period (200 ms) is the shell executor's own, in real time.
      await waitFor(() => summary, 1_500, 'the run to end');
      expect(summary?.state).toBe('failed');
      expect((await rig!.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
      await waitFor(() => !processAlive(stubborn), 1_000, 'the TERM-proof grandchild to end');
    } finally {
      if (pgid !== undefined && processAlive(stubborn)) process.kill(-pgid, 'SIGKILL');
      await run.result;
    }
  });

  // DESIGN.md: "A timeout is a failure with reason `timeout`", even when the step exits 0 on SIGTERM.
  it('timeout_trap_term: a step that traps TERM and exits 0 within the grace period still fails with reason timeout', async () => {
    const run = await start('timeout_trap_term.yaml');
    const [first] = await waitFor(async () => {
      const as = await rig!.store.getAttempts(run.id);
      return as.length && as[0]!.logPath && readLog(as[0]!.logPath) === 'started\n' ? as : undefined;
    }, 5_000, 'the step to start');
    run.clock.advance(300);
    const summary = await run.result;
    const [attempt] = await rig!.store.getAttempts(run.id);
    expect(attempt!.id).toBe(first!.id);
    // It stopped on SIGTERM by itself (exit 0, no SIGKILL after the grace period) and said so.
    expect(attempt).toMatchObject({ state: 'failed', exitCode: 0, error: { type: 'timeout', message: 'timed out after 300ms' } });
    expect(attempt!.endedAt! - attempt!.startedAt).toBe(300);
    expect(readFileSync(attempt!.logPath!, 'utf8')).toBe('started\ngot TERM\n');
    expect(summary.state).toBe('failed');
    expect((await rig!.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
  });

  it('handler_timeout: a handler gets its AbortSignal with reason timeout and the step fails (timeout)', async () => {
    const marker = join(tempPidDir(), 'reason.txt');
    const run = await start('handler_timeout.yaml', { marker });
    await waitFor(() => existsSync(`${marker}.started`), 5_000, 'the handler to start');
    run.clock.advance(300);
    expect((await run.result).state).toBe('failed');
    expect(readFileSync(marker, 'utf8')).toBe('timeout');
    expect((await rig!.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'failed', reason: 'timeout', error: { type: 'timeout', message: 'timed out after 300ms' } });
  });

  // setTimeout takes at most 2^31-1 ms: a longer delay used to fire after 1 ms.
  it('a timeout of 25 days does not fire at once (real clock)', async () => {
    rig = await engineRig();
    const spec = compileWorkflow(
      { name: 'long_timeouts', timeout: '30d', steps: [{ id: 'a', run: 'sleep 0.2', timeout: '25d' }, { id: 'b', needs: ['a'], uses: () => 'ok', timeout: '40d' }] },
      { baseDir: rig.dir },
    );
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    expect(await run.result).toEqual({ id: run.id, state: 'succeeded' });
  });
});

describe('timeouts beside a handler that blocks the event loop', () => {
  const busyUntil = (ms: number): string => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      // CPU-bound on purpose: nothing else in this process runs meanwhile
    }
    return 'finished';
  };
  const after = (ms: number): Promise<string> => new Promise((r) => setTimeout(() => r('ok'), ms));

  // Each timeout is measured against its own attempt's start: the busy handler's result
  // comes 1.5 s into a 500 ms timeout, before its timer could run, and is discarded; the
  // steps launched after it (1.5 s after their rows were written) are not charged for it.
  it('the busy handler fails (timeout), the async handlers beside it succeed', async () => {
    rig = await engineRig();
    const spec = compileWorkflow(
      {
        name: 'busy_beside_calm',
        steps: [
          // Highest priority: launched first, so the others start after its loop.
          { id: 'busy', uses: () => busyUntil(1_500), timeout: '500ms', priority: 10 },
          { id: 'calm', uses: () => after(100), timeout: '3s' },
          { id: 'short', uses: () => after(100), timeout: '1s' },
        ],
      },
      { baseDir: rig.dir },
    );
    const run = await rig.engine.startRun(spec, workflowVersion(spec));
    await run.result;
    const steps = Object.fromEntries((await rig.store.getStepRuns(run.id)).map((s) => [s.stepId, s]));
    expect(steps.busy).toMatchObject({ state: 'failed', reason: 'timeout', error: { type: 'timeout', message: 'timed out after 500ms' } });
    expect(steps.busy?.output).toBeUndefined();
    expect(steps.calm).toMatchObject({ state: 'succeeded', output: 'ok' });
    expect(steps.short).toMatchObject({ state: 'succeeded', output: 'ok' });
  });
});

describe('run timeout', () => {
  it('run_timeout: the running step fails (run-timeout), the next is cancelled, the run fails (run-timeout)', async () => {
    const clock = new VirtualClock();
    rig = await engineRig({ graceMs: 200, clock });
    const spec = await loadFixture('run_timeout.yaml');
    const running = nextEvent(rig.engine, stepTo('running', 'slow'));
    const run = { ...(await rig.engine.startRun(spec, workflowVersion(spec))), clock };
    // The step is launched (one turn after the commit that made it running) before the run's 400 ms pass.
    await running;
    await new Promise((r) => setImmediate(r));
    run.clock.advance(399);
    expect(await settled(run.result)).toBe(false);
    run.clock.advance(1);
    expect(await run.result).toEqual({ id: run.id, state: 'failed', reason: 'run-timeout' });
    const steps = await rig.store.getStepRuns(run.id);
    expect(steps.map((s) => [s.stepId, s.state, s.reason])).toEqual([['slow', 'failed', 'run-timeout'], ['after', 'cancelled', 'cancelled']]);
    const [attempt] = await rig.store.getAttempts(run.id);
    expect(attempt).toMatchObject({ state: 'failed', error: { type: 'timeout', message: 'the run timed out' } });
    expect(attempt!.endedAt! - attempt!.startedAt).toBe(400);
    expect(await rig.store.getRun(run.id)).toMatchObject({ state: 'failed', reason: 'run-timeout' });
  });
});

/** A temp dir for files a step writes, removed after the test. */
function tempPidDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

function readLog(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
