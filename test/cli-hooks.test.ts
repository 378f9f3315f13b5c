import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { AttemptRecord, RunRecord } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, fixture, jsonEvents, processAlive, readPid, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let work: string;
let db: string;
let run: CliProcess | undefined;
let orphan: number | undefined;
beforeEach(() => {
  dir = tempDir('baton-hooks-');
  work = tempDir('baton-hooks-work-');
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

async function snapshot(runId: string): Promise<{ run: RunRecord; steps: Record<string, string>; attempts: AttemptRecord[] }> {
  const store = openSqliteStore(db);
  try {
    const steps = await store.getStepRuns(runId);
    return { run: (await store.getRun(runId))!, steps: Object.fromEntries(steps.map((s) => [s.stepId, s.state])), attempts: await store.getAttempts(runId) };
  } finally {
    await store.close();
  }
}

const read = (name: string): string => readFileSync(join(work, name), 'utf8');
const outcomes = (...params: string[]) => baton(['--db', db, 'run', fixture('hooks_outcomes.yaml'), '-p', `dir=${work}`, ...params.flatMap((p) => ['-p', p]), '--json'], dir);

describe('hooks through baton run', () => {
  it('the README example: work fails, after runs, page gets ["work"], cleanup runs, the run fails naming work', async () => {
    const r = await baton(['--db', db, 'run', fixture('hooks_demo.yaml'), '--json'], dir);
    expect(r.code).toBe(1);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const s = await snapshot(runId);
    expect(s.run).toMatchObject({ state: 'failed', reason: 'steps failed: work' });
    expect(s.steps).toEqual({ work: 'failed', after: 'succeeded', page: 'succeeded', cleanup: 'succeeded' });
    expect((await baton(['--db', db, 'logs', runId, 'page'], dir)).stdout).toContain('failed: ["work"]');
    expect((await baton(['--db', db, 'logs', runId, 'cleanup'], dir)).stdout).toContain('cleanup-ran');
    const show = await baton(['--db', db, 'show', runId], dir);
    expect(show.stdout).toContain('state     failed (steps failed: work)');
    expect(show.stdout).toMatch(/page \(onFailure\) +succeeded/);
    expect(show.stdout).toMatch(/cleanup \(finally\) +succeeded/);
  });

  it('on success onFailure is skipped and finally runs, seeing run.state succeeded', async () => {
    const r = await outcomes();
    expect(r.code).toBe(0);
    const s = await snapshot(jsonEvents(r.stdout)[0]!.runId);
    expect(s.run.state).toBe('succeeded');
    expect(s.steps).toEqual({ main: 'succeeded', page: 'skipped', cleanup: 'succeeded' });
    expect(read('cleanup.txt')).toBe('succeeded succeeded');
    expect(existsSync(join(work, 'page.txt'))).toBe(false);
  });

  it('a failing finally step is reported without hiding the main failure', async () => {
    const r = await outcomes('code=4', 'cleanup=5');
    expect(r.code).toBe(1);
    const s = await snapshot(jsonEvents(r.stdout)[0]!.runId);
    expect(s.run).toMatchObject({ state: 'failed', reason: 'steps failed: main; hooks failed: cleanup' });
    expect(s.steps).toEqual({ main: 'failed', page: 'succeeded', cleanup: 'failed' });
    expect(read('page.txt')).toBe('["main"]');
    expect(read('cleanup.txt')).toBe('failed failed');
  });

  it('a failing finally step fails a run whose main steps succeeded', async () => {
    const r = await outcomes('cleanup=5');
    expect(r.code).toBe(1);
    const s = await snapshot(jsonEvents(r.stdout)[0]!.runId);
    expect(s.run).toMatchObject({ state: 'failed', reason: 'hooks failed: cleanup' });
  });

  it('baton cancel mid-step: the step is cancelled, then finally runs; the run ends cancelled', async () => {
    run = spawnBaton(['--db', db, 'run', fixture('hooks_outcomes.yaml'), '-p', `dir=${work}`, '-p', 'sleep=30', '--json'], dir);
    orphan = await readPid(join(work, 'main.pid'));
    const runId = jsonEvents(run.stdout())[0]!.runId;
    expect((await baton(['--db', db, 'cancel', runId], dir)).code).toBe(0);
    expect(await run.exited).toBe(130);
    run = undefined;
    const s = await snapshot(runId);
    expect(s.run).toMatchObject({ state: 'cancelled', reason: 'cancelled' });
    expect(s.steps).toEqual({ main: 'cancelled', page: 'skipped', cleanup: 'succeeded' });
    expect(read('cleanup.txt')).toBe('cancelled cancelled');
  });

  it('a run timeout: main fails by it, then onFailure and finally run', async () => {
    const r = await baton(['--db', db, 'run', fixture('hooks_timeout.yaml'), '-p', `dir=${work}`, '--json'], dir);
    expect(r.code).toBe(1);
    const s = await snapshot(jsonEvents(r.stdout)[0]!.runId);
    expect(s.run).toMatchObject({ state: 'failed', reason: 'run-timeout' });
    expect(s.steps).toEqual({ main: 'failed', page: 'succeeded', cleanup: 'succeeded' });
    expect(read('page.txt')).toBe('["main"]');
    expect(read('cleanup.txt')).toBe('failed');
  });

  it('kill -9 of baton run during a finally step, then baton resume: only the hooks not yet succeeded run', async () => {
    run = spawnBaton(['--db', db, 'run', fixture('hooks_resume.yaml'), '-p', `dir=${work}`, '--json'], dir);
    await waitFor(() => jsonEvents(run!.stdout()).some((e) => e.type === 'step' && e.stepId === 'two' && e.to === 'running'), 10_000, 'two to run');
    orphan = await readPid(join(work, 'sleep.pid'));
    const runId = jsonEvents(run.stdout())[0]!.runId;
    run.child.kill('SIGKILL');
    expect(await run.exited).toBe('SIGKILL');
    run = undefined;
    const before = await snapshot(runId);
    expect(before.run.state).toBe('running');
    expect(before.steps).toEqual({ main: 'succeeded', one: 'succeeded', two: 'running' });

    writeFileSync(join(work, 'GO'), '');
    const r = await baton(['--db', db, 'resume', runId, '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const after = await snapshot(runId);
    expect(after.run.state).toBe('succeeded');
    expect(after.steps).toEqual({ main: 'succeeded', one: 'succeeded', two: 'succeeded' });
    expect(read('marker')).toBe('one');
    expect(after.attempts.filter((a) => a.stepId === 'main' || a.stepId === 'one')).toHaveLength(2);
    expect(after.attempts.filter((a) => a.stepId === 'two').map((a) => [a.number, a.state])).toEqual([[1, 'lost'], [2, 'succeeded']]);
    await waitFor(() => !processAlive(orphan!), 2_000, `the orphaned sleep ${orphan} to end`);
  });
});
