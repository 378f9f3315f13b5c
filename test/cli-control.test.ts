/**
 * `baton pause`, `baton resume` of a paused run, `baton retry` and `baton priority` as real
 * processes on a real SQLite file.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptRecord, RunRecord, StoredStepRun } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, fixture, jsonEvents, spawnBaton, tempDir, waitFor, waitForRenewals } from './helpers.js';

let dir: string;
let db: string;
let run: CliProcess | undefined;
beforeEach(() => {
  dir = tempDir('baton-control-');
  db = join(dir, 'baton.db');
});
afterEach(() => {
  run?.child.kill('SIGKILL');
  run = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const ran = (): string[] => readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n');

async function show(runId: string): Promise<{ run: RunRecord; steps: StoredStepRun[]; attempts: AttemptRecord[] }> {
  const r = await baton(['--db', db, 'show', runId, '--json'], dir);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as { run: RunRecord; steps: StoredStepRun[]; attempts: AttemptRecord[] };
}

const numbers = (attempts: AttemptRecord[], stepId: string): number[] => attempts.filter((a) => a.stepId === stepId).map((a) => a.number);

describe('baton pause and baton resume', () => {
  it('pausing a running baton run holds its next step; baton resume lets the same process finish it', async () => {
    run = spawnBaton(['--db', db, 'run', fixture('pause_gate.yaml'), '-p', `dir=${dir}`, '--json'], dir);
    await waitFor(() => jsonEvents(run!.stdout()).some((e) => e.stepId === 'first' && e.to === 'running'), 10_000, 'first to run');
    const runId = jsonEvents(run.stdout())[0]!.runId;

    const p = await baton(['--db', db, 'pause', runId.slice(0, 10)], dir);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`run ${runId} paused: no new step starts`);
    // The holder hears of it within a heartbeat and says so on its event stream.
    await waitFor(() => jsonEvents(run!.stdout()).some((e) => e.type === 'run-paused'), 5_000, 'the holder to apply the pause');
    writeFileSync(join(dir, 'gate'), '');
    await waitFor(() => jsonEvents(run!.stdout()).some((e) => e.stepId === 'second' && e.to === 'queued'), 5_000, 'second to be ready');
    // Two heartbeats of the holder after second became ready: second must not start meanwhile.
    await waitForRenewals(async () => (await show(runId)).run.leaseExpiresAt);
    const held = await show(runId);
    expect(held.steps.map((s) => s.state)).toEqual(['succeeded', 'queued', 'pending']);
    expect(numbers(held.attempts, 'second')).toEqual([]);
    expect((await baton(['--db', db, 'runs'], dir)).stdout).toMatch(new RegExp(`${runId}\\s+pause_gate\\s+running \\(paused\\)`));

    const r = await baton(['--db', db, 'resume', runId], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`run ${runId} resumed: the process running it starts new steps again`);
    expect(await run.exited).toBe(0);
    expect(ran()).toEqual(['first', 'second', 'third']);
  });
});

describe('baton retry', () => {
  it('re-runs the failed steps in the foreground, then from a step; upstream steps never run again', async () => {
    const first = await baton(['--db', db, 'run', fixture('retry_failed_only.yaml'), '-p', `dir=${dir}`, '--json'], dir);
    expect(first.code).toBe(1);
    const runId = jsonEvents(first.stdout)[0]!.runId;

    const failed = await baton(['--db', db, 'retry', runId, '--json'], dir);
    expect(failed.stderr).toContain(`run ${runId}: re-running b, c`);
    expect(failed.code).toBe(0);
    let s = await show(runId);
    expect(s.run.state).toBe('succeeded');
    expect(numbers(s.attempts, 'b')).toEqual([1, 2, 3, 4]);
    expect(numbers(s.attempts, 'a')).toEqual([1]);

    const from = await baton(['--db', db, 'retry', runId, '--from', 'c', '-q'], dir);
    expect(from.code).toBe(0);
    expect(from.stdout).toContain(`run ${runId} succeeded`);
    s = await show(runId);
    expect(numbers(s.attempts, 'c')).toEqual([1, 2]);
    expect(numbers(s.attempts, 'd')).toEqual([1]);
    expect(ran().filter((l) => l !== 'b')).toEqual(expect.arrayContaining(['a', 'd', 'c', 'c']));
    expect(ran().filter((l) => l === 'a' || l === 'd')).toHaveLength(2);
  });

  it('--new --detach queues a new run linked to the original; priority and pause apply while it waits', async () => {
    const first = await baton(['--db', db, 'run', fixture('retry_failed_only.yaml'), '-p', `dir=${dir}`, '-q'], dir);
    expect(first.code).toBe(1);
    const original = /run (\S+) failed/.exec(first.stdout)![1]!;
    const copy = await baton(['--db', db, 'retry', original, '--new', '--detach'], dir);
    expect(copy.code).toBe(0);
    const newId = copy.stdout.trim();
    expect(copy.stderr).toContain(`run ${newId} retries run ${original}`);

    const pr = await baton(['--db', db, 'priority', newId, '-3'], dir);
    expect(pr.code).toBe(0);
    expect(pr.stdout).toContain(`run ${newId} (queued) now has priority -3`);
    expect((await baton(['--db', db, 'pause', newId], dir)).stdout).toContain('it does not start until');
    const text = (await baton(['--db', db, 'show', newId], dir)).stdout;
    expect(text).toMatch(/state {5}queued \(paused\)/);
    expect(text).toContain(`trigger   retry (retry of ${original})`);
    expect(text).toContain('priority  -3');
    expect(text).toMatch(/queued {4}since .* \(waiting /);

    // Unpaused and executed here.
    const r = await baton(['--db', db, 'resume', newId, '-q'], dir);
    expect(r.code).toBe(0);
    expect((await show(newId)).run).toMatchObject({ state: 'succeeded', trigger: 'retry', retryOf: original, priority: -3 });
  });

  it('refuses requests that do not fit, with exit code 2 and a message', async () => {
    const first = await baton(['--db', db, 'run', fixture('rerun_from_middle.yaml'), '-p', `dir=${dir}`, '-q'], dir);
    expect(first.code).toBe(0);
    const runId = /run (\S+) succeeded/.exec(first.stdout)![1]!;
    const cases: [string[], string][] = [
      [['retry', runId], `run ${runId} has no failed step to re-run`],
      [['retry', runId, '--from', 'nope'], `run ${runId} has no step 'nope'`],
      [['retry', runId, '--from', 'b', '--failed'], 'give one of --from, --failed and --new'],
      [['pause', runId], 'only a run that has not ended can be paused'],
      [['priority', runId, '3'], 'the priority of a run can change only while it is pending or queued'],
      [['priority', runId, '11'], 'priority must be an integer from -10 to 10, got 11'],
      [['priority', runId, 'high'], "priority must be an integer from -10 to 10, got 'high'"],
    ];
    for (const [args, message] of cases) {
      const r = await baton(['--db', db, ...args], dir);
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toContain(message);
    }
    expect(ran()).toHaveLength(4); // nothing ran again
  });
});
