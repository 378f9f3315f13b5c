import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, fixture, jsonEvents, processAlive, readPid, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let db: string;
let run: CliProcess | undefined;
beforeEach(() => {
  dir = tempDir('baton-cancel-');
  db = join(dir, 'baton.db');
});
afterEach(() => {
  run?.child.kill('SIGKILL');
  run = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Starts `baton run cancel_sleep.yaml --json` and waits until its sleep runs. */
async function startSleeping(): Promise<{ runId: string; sleeper: number }> {
  const pidfile = join(dir, 'sleep.pid');
  run = spawnBaton(['--db', db, 'run', fixture('cancel_sleep.yaml'), '-p', `pidfile=${pidfile}`, '--json'], dir);
  const sleeper = await readPid(pidfile, 10_000);
  const runId = jsonEvents(run.stdout())[0]!.runId;
  return { runId, sleeper };
}

async function states(runId: string): Promise<{ run: string | undefined; steps: string[][] }> {
  const store = openSqliteStore(db);
  try {
    return {
      run: (await store.getRun(runId))?.state,
      steps: (await store.getStepRuns(runId)).map((s) => [s.stepId, s.state]),
    };
  } finally {
    await store.close();
  }
}

describe('cancelling a CLI run', () => {
  it('baton cancel RUN from another process ends the run within ~2 s; baton run exits 130', async () => {
    const { runId, sleeper } = await startSleeping();
    const began = Date.now();
    const c = await baton(['--db', db, 'cancel', runId.slice(0, 9)], dir);
    expect(c.code).toBe(0);
    expect(c.stdout).toContain(`cancel requested for run ${runId}`);
    expect(await run!.exited).toBe(130);
    expect(Date.now() - began).toBeLessThan(2_500);
    expect(run!.stdout()).toContain('"to":"cancelled"');
    expect(await states(runId)).toEqual({
      run: 'cancelled',
      steps: [['slow', 'cancelled'], ['after', 'cancelled'], ['last', 'cancelled']],
    });
    await waitFor(() => !processAlive(sleeper), 2_000, `sleep ${sleeper} to end`);
    const again = await baton(['--db', db, 'cancel', runId], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('has already ended');
  });

  it('SIGINT to baton run cancels gracefully: exit 130, state cancelled, the step process gone', async () => {
    const { runId, sleeper } = await startSleeping();
    run!.child.kill('SIGINT');
    expect(await run!.exited).toBe(130);
    expect(run!.stderr()).toContain(`cancelling run ${runId}`);
    expect((await states(runId)).run).toBe('cancelled');
    await waitFor(() => !processAlive(sleeper), 2_000, `sleep ${sleeper} to end`);
  });

  it('baton cancel of an unknown run exits 2', async () => {
    const r = await baton(['--db', db, 'cancel', 'nope'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no run 'nope'");
  });
});
