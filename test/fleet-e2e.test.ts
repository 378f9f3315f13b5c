/**
 * The fleet end to end, with real processes on one PostgreSQL database: `baton run`
 * coordinates and `baton worker` processes execute; a worker killed with SIGKILL in the
 * middle of a step has that step re-run elsewhere once its lease lapses; a coordinator
 * killed with SIGKILL has its run taken over by a worker; no step succeeds twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let procs: CliProcess[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-fleet-');
});
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await db.drop();
});

/** Short leases so that a dead worker's attempts come back within a second or two. */
function worker(...args: string[]): CliProcess {
  const p = spawnBaton(['worker', '--database-url', db.url, '--slots', '2', '--lease', '1500ms', '--heartbeat', '300ms', '--max-cpu', '1000', '--max-mem', '1', ...args], dir);
  procs.push(p);
  return p;
}

async function liveWorkers(n: number): Promise<void> {
  await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= n, 10_000, `${n} workers`);
}

type AttemptRow = { id: string; step_id: string; state: string; claimed_by: string | null };
const attempts = (runId: string): Promise<AttemptRow[]> =>
  sql<AttemptRow>(db.url, 'SELECT id, step_id, state, claimed_by FROM attempts WHERE run_id = $1 ORDER BY id', [runId]);

describe('fleet', () => {
  it('baton run coordinates while two workers execute every step; outputs flow between them', async () => {
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-diamond
steps:
  - id: a
    run: |
      echo '{"n": 7}' > "$BATON_OUTPUT"
  - id: b
    needs: [a]
    run: |
      echo "{\\"got\\": $N}" > "$BATON_OUTPUT"
    env: { N: "\${{ steps.a.output.n }}" }
  - id: c
    needs: [a]
    run: sleep 0.2
  - id: d
    needs: [b, c]
    run: "true"
`);
    worker();
    worker();
    await liveWorkers(2);
    const run = await baton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
    expect(run.code, run.stderr).toBe(0);
    const runId = jsonEvents(run.stdout)[0]!.runId;
    const rows = await attempts(runId);
    expect(rows.map((r) => [r.step_id, r.state])).toEqual([['a', 'succeeded'], ['b', 'succeeded'], ['c', 'succeeded'], ['d', 'succeeded']]);
    // Executed by workers, not by the coordinating CLI.
    expect(rows.every((r) => r.claimed_by !== null)).toBe(true);
    const [b] = await sql<{ output: string }>(db.url, "SELECT output::text AS output FROM step_runs WHERE run_id = $1 AND step_id = 'b'", [runId]);
    expect(JSON.parse(b!.output)).toEqual({ got: 7 });
  });

  it('a worker killed with SIGKILL mid-step: the step runs again on the other worker, the run succeeds', async () => {
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-kill
steps:
  - id: slow
    run: sleep 1.5
  - id: after
    needs: [slow]
    run: "true"
`);
    const w1 = worker();
    await liveWorkers(1);
    const run = spawnBaton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(run);
    await waitFor(() => /claimed \S+\.slow\.1/.test(w1.stdout()), 10_000, 'w1 to claim slow');
    w1.child.kill('SIGKILL');
    await w1.exited;
    worker();
    expect(await run.exited).toBe(0);
    const runId = jsonEvents(run.stdout())[0]!.runId;
    const rows = await attempts(runId);
    expect(rows.filter((r) => r.step_id === 'slow').map((r) => r.state)).toEqual(['lost', 'succeeded']);
    expect(rows.filter((r) => r.state === 'succeeded').map((r) => r.step_id)).toEqual(['after', 'slow']);
  });

  it('a coordinator killed with SIGKILL: a worker takes the run over and finishes it, nothing succeeds twice', async () => {
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-coordinator
steps:
  - id: first
    run: "true"
  - id: second
    needs: [first]
    run: sleep 1
  - id: third
    needs: [second]
    run: "true"
`);
    // Without detection: on a machine with a GPU the worker would advertise gpu.
    worker('--no-detect');
    await liveWorkers(1);
    const run = spawnBaton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(run);
    await waitFor(() => jsonEvents(run.stdout()).some((e) => e.stepId === 'second' && e.to === 'running'), 10_000, 'second to run');
    const runId = jsonEvents(run.stdout())[0]!.runId;
    run.child.kill('SIGKILL');
    await run.exited;
    await waitFor(async () => (await sql<{ state: string }>(db.url, 'SELECT state FROM runs WHERE id = $1', [runId]))[0]?.state === 'succeeded', 15_000, 'the run to succeed');
    const rows = await attempts(runId);
    expect(rows.map((r) => [r.step_id, r.state])).toEqual([['first', 'succeeded'], ['second', 'succeeded'], ['third', 'succeeded']]);
  });

  it('a step whose runs-on tags no live worker has is reported; cancelling it ends its unclaimed attempt', async () => {
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-gpu
steps:
  - id: train
    runs-on: [gpu]
    run: "true"
`);
    // Without detection: on a machine with a GPU the worker would advertise gpu.
    worker('--no-detect');
    await liveWorkers(1);
    const run = spawnBaton(['run', 'flow.yaml', '--database-url', db.url], dir);
    procs.push(run);
    await waitFor(() => /step train cannot start: no live worker has gpu/.test(run.stderr()), 10_000, 'the unschedulable warning');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    const [row] = await sql<{ state: string }>(db.url, "SELECT state FROM attempts WHERE step_id = 'train'");
    expect(row?.state).toBe('cancelled');
  });
});
