import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { workflowVersion } from '../src/index.js';
import type { AttemptRecord } from '../src/index.js';
import type { EngineRig } from './helpers.js';
import { engineRig, loadFixture } from './helpers.js';

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

describe('retries', () => {
  it('retry_backoff: two failures then a success, each retry waiting the fixed 300 ms', async () => {
    const { state, attempts } = await runFixture('retry_backoff.yaml');
    expect(state).toBe('succeeded');
    expect(attempts.map((a) => [a.number, a.state, a.exitCode])).toEqual([[1, 'failed', 1], [2, 'failed', 1], [3, 'succeeded', 0]]);
    for (const g of gaps(attempts)) {
      expect(g).toBeGreaterThanOrEqual(300);
      expect(g).toBeLessThan(300 + 400);
    }
    // The backoff counts from the failure: timers may fire up to 1 ms early against Date.now.
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]!.startedAt - attempts[i - 1]!.endedAt!).toBeGreaterThanOrEqual(299);
    expect(readFileSync(join(rig!.dir, 'count'), 'utf8').trim()).toBe('3');
    const [step] = await rig!.store.getStepRuns(attempts[0]!.runId);
    expect(step).toMatchObject({ state: 'succeeded', attempts: 3, lostAttempts: 0 });
    // The retrying transitions are events with their due time.
    const retrying = (await rig!.store.getEvents(attempts[0]!.runId)).filter((e) => e.to === 'retrying');
    expect(retrying).toHaveLength(2);
    expect(retrying[0]?.data).toMatchObject({ attempt: 1, reason: 'exit-code', dueAt: expect.any(Number) as number });
  });

  it('retry_exponential: delays grow 100, 300, 900 ms', async () => {
    const { state, attempts } = await runFixture('retry_exponential.yaml');
    expect(state).toBe('succeeded');
    expect(attempts.map((a) => a.state)).toEqual(['failed', 'failed', 'failed', 'succeeded']);
    const g = gaps(attempts);
    [100, 300, 900].forEach((d, i) => {
      expect(g[i]).toBeGreaterThanOrEqual(d);
      expect(g[i]).toBeLessThan(d + 400);
    });
    expect(g[1]! - g[0]!).toBeGreaterThan(100);
    expect(g[2]! - g[1]!).toBeGreaterThan(400);
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
