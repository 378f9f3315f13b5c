import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { AttemptRecord, RunRecord, StoredStepRun } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, fixture, jsonEvents, processAlive, readPid, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let work: string;
let db: string;
let run: CliProcess | undefined;
let orphan: number | undefined;
beforeEach(() => {
  dir = tempDir('baton-resume-');
  work = tempDir('baton-resume-work-');
  db = join(dir, 'baton.db');
});
afterEach(() => {
  run?.child.kill('SIGKILL');
  run = undefined;
  if (orphan !== undefined && processAlive(orphan)) process.kill(orphan, 'SIGKILL');
  orphan = undefined;
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

async function snapshot(runId: string): Promise<{ run: RunRecord; steps: Record<string, StoredStepRun>; attempts: AttemptRecord[] }> {
  const store = openSqliteStore(db);
  try {
    const steps = await store.getStepRuns(runId);
    return { run: (await store.getRun(runId))!, steps: Object.fromEntries(steps.map((s) => [s.stepId, s])), attempts: await store.getAttempts(runId) };
  } finally {
    await store.close();
  }
}

/**
 * Starts resume_after_kill.yaml, waits until b runs (its `sleep 30` started), and kills the
 * baton process with SIGKILL. Returns the run id; `orphan` is b's sleep, left running.
 */
async function killWhileBRuns(): Promise<string> {
  run = spawnBaton(['--db', db, 'run', fixture('resume_after_kill.yaml'), '-p', `dir=${work}`, '--json'], dir);
  await waitFor(() => jsonEvents(run!.stdout()).some((e) => e.type === 'step' && e.stepId === 'b' && e.to === 'running'), 10_000, 'b to run');
  orphan = await readPid(join(work, 'sleep.pid'));
  const runId = jsonEvents(run.stdout())[0]!.runId;
  // No wait for anything else to be durable: resume finds b's processes by its attempt id.
  run.child.kill('SIGKILL');
  expect(await run.exited).toBe('SIGKILL');
  run = undefined;
  expect(processAlive(orphan)).toBe(true);
  return runId;
}

describe('crash and resume', () => {
  it('kill -9 of baton run, then baton resume: no succeeded step runs again, the lost attempt is retried, the orphan is ended', async () => {
    const runId = await killWhileBRuns();

    const before = await snapshot(runId);
    expect(before.run.state).toBe('running');
    expect(before.steps.a).toMatchObject({ state: 'succeeded', output: { v: 41 } });
    expect(before.steps.b?.state).toBe('running');
    expect(before.steps.c?.state).toBe('pending');

    writeFileSync(join(work, 'GO'), '');
    const r = await baton(['--db', db, 'resume', runId, '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    expect(readFileSync(join(work, 'marker'), 'utf8')).toBe('a');
    const after = await snapshot(runId);
    expect(after.run.state).toBe('succeeded');
    expect(after.attempts.filter((a) => a.stepId === 'a')).toHaveLength(1);
    expect(after.attempts.filter((a) => a.stepId === 'b').map((a) => [a.number, a.state])).toEqual([[1, 'lost'], [2, 'succeeded']]);
    expect(after.steps.b).toMatchObject({ state: 'succeeded', attempts: 2, lostAttempts: 1 });
    // c reads a's output from the store, although a ran in the killed process.
    expect(after.steps.c).toMatchObject({ state: 'succeeded', output: { a: 41 } });
    await waitFor(() => !processAlive(orphan!), 2_000, `the orphaned sleep ${orphan} to end`);
  });

  it('baton cancel of a run whose holder was killed cancels it in place and ends the orphan', async () => {
    const runId = await killWhileBRuns();
    const r = await baton(['--db', db, 'cancel', runId], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cancelled (no process was running it)');
    const after = await snapshot(runId);
    expect(after.run.state).toBe('cancelled');
    expect(Object.values(after.steps).map((s) => [s.stepId, s.state])).toEqual([['a', 'succeeded'], ['b', 'cancelled'], ['c', 'cancelled']]);
    expect(after.attempts.find((a) => a.stepId === 'b')?.state).toBe('lost');
    await waitFor(() => !processAlive(orphan!), 2_000, `the orphaned sleep ${orphan} to end`);
  });

  it('resume of a succeeded run exits 2 and says why', async () => {
    const r0 = await baton(['--db', db, 'run', fixture('succeeds.yaml'), '--json'], dir);
    expect(r0.code).toBe(0);
    const runId = jsonEvents(r0.stdout)[0]!.runId;
    const r = await baton(['--db', db, 'resume', runId], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('already succeeded');
  });
});
