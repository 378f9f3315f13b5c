import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workflowVersion } from '../src/index.js';
import type { JsonObject, RunSummary } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, processAlive, readPid, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
const strays: number[] = [];
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
});

async function start(name: string, params: JsonObject = {}): Promise<{ id: string; result: Promise<RunSummary> }> {
  rig = await engineRig({ graceMs: 200 });
  const spec = await loadFixture(name);
  return rig.engine.startRun(spec, workflowVersion(spec), { params });
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
    const pidfile = join((rig = await engineRig({ graceMs: 200 })).dir, 'grandchild.pid');
    const spec = await loadFixture('timeout_kills_tree.yaml');
    const began = Date.now();
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { pidfile } });
    const grandchild = await readPid(pidfile);
    expect(await run.result).toEqual({ id: run.id, state: 'failed' });
    expect(Date.now() - began).toBeLessThan(3_000);
    const [step] = await rig.store.getStepRuns(run.id);
    expect(step).toMatchObject({ state: 'failed', reason: 'timeout', error: { type: 'timeout', message: 'timed out after 500ms' } });
    const [attempt] = await rig.store.getAttempts(run.id);
    expect(attempt).toMatchObject({ state: 'failed', error: { type: 'timeout' } });
    expect(attempt!.endedAt! - attempt!.startedAt).toBeGreaterThanOrEqual(500);
    await waitFor(() => !processAlive(grandchild), 2_000, `grandchild ${grandchild} to end`);
  });

  // The shell dies on SIGTERM but its grandchild ignores it and holds the log pipe open;
  // the group must still end (fixed in 7ad7aef: the group is killed when the main process exits).
  it('timeout_term_ignored_by_grandchild: a TERM-proof grandchild does not keep the step alive', async () => {
    const pidfile = join((rig = await engineRig({ graceMs: 200 })).dir, 'stubborn.pid');
    const spec = await loadFixture('timeout_term_ignored_by_grandchild.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { pidfile } });
    const stubborn = await readPid(pidfile);
    const pgid = pgidOf(stubborn);
    if (pgid !== undefined) strays.push(pgid);
    let summary: RunSummary | undefined;
    void run.result.then((s) => (summary = s));
    try {
      // 300 ms timeout + 200 ms grace at most.
      await waitFor(() => summary, 1_500, 'the run to end');
      expect(summary?.state).toBe('failed');
      expect((await rig.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
      await waitFor(() => !processAlive(stubborn), 1_000, 'the TERM-proof grandchild to end');
    } finally {
      if (pgid !== undefined && processAlive(stubborn)) process.kill(-pgid, 'SIGKILL');
      await run.result;
    }
  });

  // DESIGN.md: "A timeout is a failure with reason `timeout`", even when the step exits 0 on SIGTERM.
  it('timeout_trap_term: a step that traps TERM and exits 0 within the grace period still fails with reason timeout', async () => {
    const run = await start('timeout_trap_term.yaml');
    const summary = await run.result;
    const [attempt] = await rig!.store.getAttempts(run.id);
    // It stopped on SIGTERM, within the grace period, and said so in its log.
    expect(attempt!.endedAt! - attempt!.startedAt).toBeLessThan(300 + 200);
    expect(readFileSync(attempt!.logPath!, 'utf8')).toBe('started\ngot TERM\n');
    expect(summary.state).toBe('failed');
    expect((await rig!.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'failed', reason: 'timeout' });
  });

  it('timeout_trap_term: the TERM trap runs and the step ends within the grace period', async () => {
    const run = await start('timeout_trap_term.yaml');
    await run.result;
    const [attempt] = await rig!.store.getAttempts(run.id);
    expect(attempt!.endedAt! - attempt!.startedAt).toBeGreaterThanOrEqual(300);
    expect(attempt!.endedAt! - attempt!.startedAt).toBeLessThan(300 + 200);
    expect(readFileSync(attempt!.logPath!, 'utf8')).toBe('started\ngot TERM\n');
  });

  it('handler_timeout: a handler gets its AbortSignal with reason timeout and the step fails (timeout)', async () => {
    rig = await engineRig();
    const marker = join(rig.dir, 'reason.txt');
    const spec = await loadFixture('handler_timeout.yaml');
    const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { marker } });
    expect((await run.result).state).toBe('failed');
    expect(readFileSync(marker, 'utf8')).toBe('timeout');
    expect((await rig.store.getStepRuns(run.id))[0]).toMatchObject({ state: 'failed', reason: 'timeout', error: { type: 'timeout', message: 'timed out after 300ms' } });
  });
});

describe('run timeout', () => {
  it('run_timeout: the running step fails (run-timeout), the next is cancelled, the run fails (run-timeout)', async () => {
    const began = Date.now();
    const run = await start('run_timeout.yaml');
    expect(await run.result).toEqual({ id: run.id, state: 'failed', reason: 'run-timeout' });
    expect(Date.now() - began).toBeLessThan(3_000);
    const steps = await rig!.store.getStepRuns(run.id);
    expect(steps.map((s) => [s.stepId, s.state, s.reason])).toEqual([['slow', 'failed', 'run-timeout'], ['after', 'cancelled', 'cancelled']]);
    const [attempt] = await rig!.store.getAttempts(run.id);
    expect(attempt).toMatchObject({ state: 'failed', error: { type: 'timeout', message: 'the run timed out' } });
    expect(await rig!.store.getRun(run.id)).toMatchObject({ state: 'failed', reason: 'run-timeout' });
  });
});
