import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock, compileWorkflow, workflowVersion } from '../src/index.js';
import type { AttemptRecord } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture, nextEvent, stepTo } from './helpers.js';

let rig: EngineRig | undefined;
afterEach(async () => {
  await rig?.cleanup();
  rig = undefined;
});

/** Runs a fixture whose only param is `dir` (the rig's temp dir) to its end. */
async function runFixture(name: string, withDir = true): Promise<{ id: string; state: string; attempts: AttemptRecord[] }> {
  rig ??= await engineRig();
  const spec = await loadFixture(name);
  const run = await rig.engine.startRun(spec, workflowVersion(spec), withDir ? { params: { dir: rig.dir } } : {});
  const { state } = await run.result;
  return { id: run.id, state, attempts: await rig.store.getAttempts(run.id) };
}

const gaps = (xs: AttemptRecord[]): number[] => xs.slice(1).map((a, i) => a.startedAt - xs[i]!.startedAt);

/**
 * Runs a flaky fixture on a virtual clock: at each committed `retrying`, checks the backoff
 * due time against `delays`, advances the clock 1 ms short of it (nothing may start), then
 * to it. Shell steps run in real time; only the engine's timers are virtual.
 */
async function runWithBackoff(name: string, delays: number[]): Promise<{ state: string; attempts: AttemptRecord[] }> {
  const clock = new VirtualClock();
  rig = await engineRig({ clock });
  const r = rig;
  const spec = await loadFixture(name);
  let retrying = nextEvent(r.engine, stepTo('retrying'));
  const run = await r.engine.startRun(spec, workflowVersion(spec), { params: { dir: r.dir } });
  for (const [i, delay] of delays.entries()) {
    const e = await retrying;
    retrying = nextEvent(r.engine, stepTo('retrying'));
    expect(e.data).toMatchObject({ attempt: i + 1, dueAt: clock.now() + delay });
    clock.advance(delay - 1);
    // What an early timer would have started is committed by now: one flush, two turns.
    await new Promise((res) => setImmediate(res));
    await new Promise((res) => setImmediate(res));
    expect(await r.store.getAttempts(run.id)).toHaveLength(i + 1);
    const started = nextEvent(r.engine, stepTo('running'));
    clock.advance(1);
    await started;
  }
  const { state } = await run.result;
  return { state, attempts: await r.store.getAttempts(run.id) };
}

describe('retries', () => {
  it('retry_backoff: two failures then a success, each retry waiting the fixed 300 ms', async () => {
    const { state, attempts } = await runWithBackoff('retry_backoff.yaml', [300, 300]);
    expect(state).toBe('succeeded');
    expect(attempts.map((a) => [a.number, a.state, a.exitCode])).toEqual([[1, 'failed', 1], [2, 'failed', 1], [3, 'succeeded', 0]]);
    expect(gaps(attempts)).toEqual([300, 300]);
    // The backoff counts from the failure.
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.startedAt - attempts[i - 1]!.endedAt!).toBe(300);
    expect(readFileSync(join(rig!.dir, 'count'), 'utf8').trim()).toBe('3');
    const [step] = await rig!.store.getStepRuns(attempts[0]!.runId);
    expect(step).toMatchObject({ state: 'succeeded', attempts: 3, lostAttempts: 0 });
    // The retrying transitions are events with their due time.
    const retrying = (await rig!.store.getEvents(attempts[0]!.runId)).filter((e) => e.to === 'retrying');
    expect(retrying).toHaveLength(2);
    expect(retrying[0]?.data).toMatchObject({ attempt: 1, reason: 'exit-code', dueAt: attempts[1]!.startedAt });
  });

  it('retry_exponential: delays grow 100, 300, 900 ms', async () => {
    const { state, attempts } = await runWithBackoff('retry_exponential.yaml', [100, 300, 900]);
    expect(state).toBe('succeeded');
    expect(attempts.map((a) => a.state)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
    expect(gaps(attempts)).toEqual([100, 300, 900]);
  });

  it('a backoff longer than setTimeout takes (2^31 ms, ~24.8 days) waits its whole length', async () => {
    const clock = new VirtualClock();
    const day = 86_400_000;
    // Heartbeats are virtual too: a day apart, so the 30 days pass in 30 beats, not 26 million.
    rig = await engineRig({ clock, heartbeatMs: day, leaseMs: 3 * day });
    const r = rig;
    const spec = compileWorkflow(
      { name: 'long_backoff', steps: [{ id: 'flaky', cwd: r.dir, run: '[ -f ok ] || { touch ok; exit 1; }', retry: { attempts: 2, backoff: 'fixed', delay: '30d', maxDelay: '30d' } }] },
      { baseDir: r.dir },
    );
    const retrying = nextEvent(r.engine, stepTo('retrying'));
    const run = await r.engine.startRun(spec, workflowVersion(spec));
    expect((await retrying).data).toMatchObject({ dueAt: clock.now() + 30 * day });
    clock.advance(30 * day - 1);
    expect(await r.store.getAttempts(run.id)).toHaveLength(1);
    clock.advance(1);
    expect(await run.result).toEqual({ id: run.id, state: 'succeeded' });
    expect(gaps(await r.store.getAttempts(run.id))).toEqual([30 * day]);
  });
});

describe('shell step failures and logs', () => {
  it('exit_code_3: the attempt records exit code 3 and the error says so', async () => {
    const { id, state, attempts } = await runFixture('exit_code_3.yaml', false);
    expect(state).toBe('failed');
    const boom = attempts.find((a) => a.stepId === 'boom')!;
    expect(boom).toMatchObject({ state: 'failed', exitCode: 3, error: { type: 'exit-code', retryable: true } });
    expect(boom.error?.message).toMatch(/\bcode 3\b/);
    expect(readFileSync(boom.logPath!, 'utf8')).toBe('about to fail\n');
    const steps = await rig!.store.getStepRuns(id);
    expect(steps.find((s) => s.stepId === 'boom')).toMatchObject({ state: 'failed', reason: 'exit-code' });
    expect(await rig!.store.getRun(id)).toMatchObject({ state: 'failed' });
  });

  it('log_cap: a step printing 3 MiB keeps 1 MiB of log and a truncation marker', async () => {
    rig = await engineRig({ logCapBytes: 1024 * 1024 });
    const { state, attempts } = await runFixture('log_cap.yaml', false);
    expect(state).toBe('succeeded');
    const path = attempts[0]!.logPath!;
    const size = statSync(path).size;
    expect(size).toBeGreaterThanOrEqual(1024 * 1024);
    expect(size).toBeLessThan(1024 * 1024 + 200);
    const log = readFileSync(path, 'utf8');
    expect(log.startsWith('x'.repeat(1024 * 1024))).toBe(true);
    expect(log.slice(1024 * 1024)).toBe('\n[baton] log truncated at 1048576 bytes\n');
  });
});
