/**
 * Fault injection on the worker fleet, with real processes on a throwaway PostgreSQL
 * database: workers killed with SIGKILL at random while thousands of steps run, every
 * database connection terminated (and the database closed for a second) mid-run, a worker
 * frozen with SIGSTOP past its lease, and a step that no worker can run. Afterwards the
 * database must show every step run succeeded with exactly one succeeded attempt and no
 * attempt left `running` (DESIGN.md invariants 1-3).
 *
 * A worker whose clock is off is covered at the store level, not here: fleet-store.test.ts
 * "a heartbeat renews only its own attempts on the database clock ..." fakes `Date` a year
 * ahead and checks that leases and reaping do not move (every lease time is the database's
 * `baton_now_ms()`; no fleet method takes a time).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliProcess } from './helpers.js';
import { ROOT, jsonEvents, processAlive, readPid, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, databaseUrl, sql } from './pg-helpers.js';
import { seededRandom } from '../src/observe/eta/sample.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'fleet');
const LEASE_MS = 1_500;
/** Short leases; load thresholds no machine reaches, so a busy test box never throttles claims. */
const WORKER_FLAGS = ['--lease', `${LEASE_MS}ms`, '--heartbeat', '300ms', '--max-cpu', '1000', '--max-mem', '1'];
/** How long after its holder died (or froze) an attempt may stay out: the lease, plus slack. */
const END_WITHIN_MS = LEASE_MS + 5_000;

let db: TestDatabase;
let dir: string;
let procs: CliProcess[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-fleet-faults-');
});
afterEach(async () => {
  for (const p of procs) {
    p.child.kill('SIGCONT'); // a stopped process still dies of SIGKILL; this is only tidy
    p.child.kill('SIGKILL');
  }
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await db.drop();
});

function worker(slots: number, extra: string[] = []): CliProcess {
  const p = spawnBaton(['worker', '--database-url', db.url, '--slots', String(slots), ...WORKER_FLAGS, ...extra], dir);
  procs.push(p);
  return p;
}

/** The fleet id a worker printed when it registered (`baton worker <id>: N slots ...`). */
function workerId(p: CliProcess): string | undefined {
  return /baton worker (\S+): \d+ slots/.exec(p.stdout())?.[1];
}

async function liveWorkers(n: number): Promise<void> {
  await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= n, 10_000, `${n} workers`);
}

/** Database time, ms: the clock leases and `ended_at` are measured on. */
async function dbNow(): Promise<number> {
  return (await sql<{ now: number }>(db.url, 'SELECT baton_now_ms()::float8 AS now'))[0]!.now;
}

const count = async (text: string, values: unknown[] = []): Promise<number> => (await sql<{ n: number }>(db.url, text, values))[0]!.n;

/**
 * The end state every fault must leave: each run succeeded, each of its step runs succeeded
 * with exactly one succeeded attempt, and no attempt is still `running`.
 */
async function expectEachStepSucceededOnce(runIds: string[], stepsPerRun: number): Promise<void> {
  const runs = await sql<{ id: string; state: string }>(db.url, 'SELECT id, state FROM runs WHERE id = ANY($1) ORDER BY id', [runIds]);
  expect(runs.map((r) => r.state)).toEqual(runIds.map(() => 'succeeded'));
  const stepRuns = await sql<{ state: string; n: number }>(db.url, 'SELECT state, count(*)::int AS n FROM step_runs WHERE run_id = ANY($1) GROUP BY state', [runIds]);
  expect(stepRuns).toEqual([{ state: 'succeeded', n: runIds.length * stepsPerRun }]);
  const perStep = await sql<{ run_id: string; step_id: string; ok: number }>(db.url,
    `SELECT run_id, step_id, (count(*) FILTER (WHERE state = 'succeeded'))::int AS ok
       FROM attempts WHERE run_id = ANY($1) GROUP BY run_id, step_id`, [runIds]);
  expect(perStep).toHaveLength(runIds.length * stepsPerRun);
  expect(perStep.filter((s) => s.ok !== 1)).toEqual([]);
  expect(await sql(db.url, "SELECT id, claimed_by FROM attempts WHERE state = 'running'")).toEqual([]);
}


describe('fleet faults', () => {
  it('a random worker killed with SIGKILL every second while 4 runs x 500 steps execute: every step succeeds exactly once, dead leases end in time', async () => {
    const RUNS = 4;
    const STEPS = 500;
    // Independent `run: "true"` steps. Not no-op handler steps: those finish all 2,000 in
    // about 3 s, so only 1-3 kills land and almost nothing is held when one does; a shell
    // step keeps a worker's 4 slots busy, so each kill takes held attempts with it.
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-chaos\nconcurrency: 32\nsteps:\n${
      Array.from({ length: STEPS }, (_, i) => `  - id: s${i}\n    run: "true"\n`).join('')}`);
    const live = [worker(4), worker(4), worker(4)];
    await liveWorkers(3);
    // One coordinating `baton run` per run, never killed: this test is about workers dying.
    // (A coordinator dying is the next test.)
    const coordinators = Array.from({ length: RUNS }, () => {
      const p = spawnBaton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
      procs.push(p);
      return p;
    });
    const runIds = await Promise.all(coordinators.map((c) => waitFor(() => jsonEvents(c.stdout())[0]?.runId, 10_000, 'a run id')));

    const seed = Number(process.env.BATON_CHAOS_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed); // mulberry32: a failing kill sequence replays from its seed
    const kills: { worker: string; pid: number; at: number }[] = [];
    const allEnded = (): boolean => coordinators.every((c) => c.child.exitCode !== null || c.child.signalCode !== null);
    const deadline = Date.now() + 60_000;
    while (!allEnded()) {
      if (Date.now() > deadline) throw new Error(`the runs did not end within 60 s (seed ${seed}, ${kills.length} kills)`);
      // The fault schedule (one kill a second), not a wait for a state.
      await new Promise((r) => setTimeout(r, 1_000));
      const registered = live.filter((p) => workerId(p) !== undefined);
      if (!registered.length || allEnded()) continue;
      const victim = registered[Math.floor(random() * registered.length)]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      kills.push({ worker: workerId(victim)!, pid: victim.child.pid!, at: await dbNow() });
      live.splice(live.indexOf(victim), 1);
      live.push(worker(4));
    }
    for (const c of coordinators) expect(await c.exited, c.stderr()).toBe(0);
    const lost = await count("SELECT count(*)::int AS n FROM attempts WHERE state = 'lost'");
    const total = await count('SELECT count(*)::int AS n FROM attempts');
    console.info(`fleet chaos: seed ${seed}, ${kills.length} kills, ${total} attempts, ${lost} lost`);
    expect(kills.length, `seed ${seed}`).toBeGreaterThanOrEqual(3);
    await expectEachStepSucceededOnce(runIds, STEPS);

    // Every attempt a killed worker still held was ended (reaped `lost`, or completed just
    // before the kill) within lease + 5 s of the kill, on the database clock.
    const late: unknown[] = [];
    for (const k of kills) {
      const held = await sql<{ id: string; state: string; ended_at: number | null }>(db.url,
        'SELECT id, state, ended_at::float8 AS ended_at FROM attempts WHERE claimed_by = $1 AND (ended_at IS NULL OR ended_at >= $2)', [k.worker, k.at]);
      for (const a of held) if (a.ended_at === null || a.ended_at - k.at > END_WITHIN_MS) late.push({ ...a, kill: k, afterMs: a.ended_at === null ? null : a.ended_at - k.at });
    }
    expect(late, `seed ${seed}`).toEqual([]);
  }, 80_000);

  // The dead coordinator had not applied a completed attempt: the next one must apply it, not run the step again.
  it('a coordinator killed after a worker completed a step, before it applied it: the next coordinator applies it, the step does not run again', async () => {
    writeFileSync(join(dir, 'flow.yaml'), 'name: fleet-unapplied\nsteps:\n  - id: first\n    run: sleep 0.5\n  - id: second\n    needs: [first]\n    run: "true"\n');
    worker(1);
    await liveWorkers(1);
    const run = spawnBaton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(run);
    await waitFor(() => jsonEvents(run.stdout()).some((e) => e.stepId === 'first' && e.to === 'running'), 20_000, 'first to run');
    const runId = jsonEvents(run.stdout())[0]!.runId;
    // Published (it is, right after the commit the event reports) and taken by the worker.
    await waitFor(async () => (await count('SELECT count(*)::int AS n FROM attempts WHERE id = $1 AND claimed_by IS NOT NULL', [`${runId}.first.1`])) === 1,
      20_000, 'the worker to claim first.1');
    run.child.kill('SIGSTOP'); // frozen, it cannot apply what the worker reports
    await waitFor(async () => (await count("SELECT count(*)::int AS n FROM attempts WHERE id = $1 AND state = 'succeeded' AND NOT applied", [`${runId}.first.1`])) === 1,
      20_000, 'the worker to complete first.1');
    run.child.kill('SIGKILL');
    await run.exited;
    // The worker adopts the run (its holder is dead) and finishes it.
    await waitFor(async () => (await sql<{ state: string }>(db.url, 'SELECT state FROM runs WHERE id = $1', [runId]))[0]?.state === 'succeeded', 30_000, 'the run to succeed');
    const rows = await sql(db.url, 'SELECT id, state, applied FROM attempts WHERE run_id = $1 ORDER BY id', [runId]);
    expect(rows).toEqual([
      { id: `${runId}.first.1`, state: 'succeeded', applied: true },
      { id: `${runId}.second.1`, state: 'succeeded', applied: true },
    ]);
  }, 60_000);

  // A connection cut while a client is checked out must not end the process, and an attempt whose completion
  // a worker gave up on must expire (heartbeats renew only what the worker still runs) rather than hang the run.
  it('every database connection terminated mid-run, then the database closed for a second: workers and the coordinating CLI reconnect, each step succeeds once', async () => {
    const CHAINS = 4;
    const LENGTH = 10;
    const steps: string[] = [];
    for (let c = 0; c < CHAINS; c++) {
      for (let i = 0; i < LENGTH; i++) steps.push(`  - id: c${c}s${i}\n${i ? `    needs: [c${c}s${i - 1}]\n` : ''}    run: sleep 0.3\n`);
    }
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-db-faults\nsteps:\n${steps.join('')}`);
    worker(4);
    worker(4);
    await liveWorkers(2);
    const run = spawnBaton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(run);
    const succeeded = (): Promise<number> => count("SELECT count(*)::int AS n FROM attempts WHERE state = 'succeeded'");
    const terminateAll = async (): Promise<number> =>
      (await sql(db.url, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name])).length;

    // Three rounds of terminated connections, each once a few more steps have succeeded.
    for (const after of [4, 8, 12]) {
      await waitFor(async () => (await succeeded()) >= after, 15_000, `${after} steps to succeed`);
      expect(await terminateAll()).toBeGreaterThan(0);
    }
    // Then the database refuses connections for about a second, as in a server restart.
    await waitFor(async () => (await succeeded()) >= 16, 15_000, '16 steps to succeed');
    const admin = databaseUrl('postgres');
    await sql(admin, `ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
    try {
      await sql(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
      await new Promise((r) => setTimeout(r, 1_000)); // the outage itself, not a wait for a state
    } finally {
      await sql(admin, `ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
    }
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running 20 s after the outage'), 20_000))]);
    expect(code, run.stderr()).toBe(0);
    const runId = jsonEvents(run.stdout())[0]!.runId;
    await expectEachStepSucceededOnce([runId], CHAINS * LENGTH);
  }, 60_000);

  it('a worker frozen with SIGSTOP for 3 leases: its step runs again elsewhere in time, its late result is discarded, and it ends the step on waking', async () => {
    const a = worker(1);
    const b = worker(1);
    await liveWorkers(2);
    const run = spawnBaton(['run', join(FIXTURES, 'first_attempt_hangs.yaml'), '--database-url', db.url, '--json', '-p', `piddir=${dir}`], dir);
    procs.push(run);
    const holder = await waitFor(() => [a, b].find((w) => /claimed \S+\.hang\.1 /.test(w.stdout())), 10_000, 'a worker to claim hang.1');
    const other = holder === a ? b : a;
    const runId = /claimed (\S+)\.hang\.1 /.exec(holder.stdout())![1]!;
    const pid = await readPid(join(dir, 'pid.1'));

    holder.child.kill('SIGSTOP');
    const stoppedAt = await dbNow();
    const stoppedLocal = Date.now();
    // Re-run on the other worker once the lease lapses.
    const [second] = await waitFor(async () => {
      const rows = await sql<{ claimed_by: string; claimed_at: number }>(db.url,
        "SELECT claimed_by, claimed_at::float8 AS claimed_at FROM attempts WHERE id = $1 AND claimed_by IS NOT NULL", [`${runId}.hang.2`]);
      return rows.length ? rows : undefined;
    }, END_WITHIN_MS + 5_000, 'hang.2 to be claimed');
    expect(second!.claimed_by).toBe(workerId(other));
    expect(second!.claimed_at - stoppedAt).toBeLessThanOrEqual(END_WITHIN_MS);
    expect((await sql<{ state: string }>(db.url, 'SELECT state FROM attempts WHERE id = $1', [`${runId}.hang.1`]))[0]!.state).toBe('lost');

    // The fault lasts three lease lengths (a timed freeze, not a wait for a state).
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedLocal + 3 * LEASE_MS - Date.now())));
    expect(processAlive(pid)).toBe(true); // frozen worker: nobody ended its step yet
    holder.child.kill('SIGCONT');
    await waitFor(() => !processAlive(pid), 5_000, `the stopped worker to end pid ${pid} on waking`);
    const discarded = await waitFor(async () => {
      const rows = await sql<{ data: { worker: string; fence: number } }>(db.url,
        "SELECT data FROM events WHERE type = 'attempt-discarded' AND attempt_id = $1", [`${runId}.hang.1`]);
      return rows.length ? rows : undefined;
    }, 5_000, 'an attempt-discarded event for hang.1');
    expect(discarded.map((r) => r.data.worker)).toEqual([workerId(holder)]);

    expect(await run.exited, run.stderr()).toBe(0);
    const rows = await sql<{ id: string; state: string }>(db.url, 'SELECT id, state FROM attempts WHERE run_id = $1 ORDER BY id', [runId]);
    expect(rows).toEqual([{ id: `${runId}.hang.1`, state: 'lost' }, { id: `${runId}.hang.2`, state: 'succeeded' }]);
    await expectEachStepSucceededOnce([runId], 1);
  }, 40_000);

  it('a step whose runs-on tag no live worker has: baton run says which step and which tag', async () => {
    // Without detection: on a machine with a GPU the worker would advertise gpu.
    const w = worker(1, ['--no-detect']);
    await liveWorkers(1);
    const run = spawnBaton(['run', join(FIXTURES, 'runs_on_gpu.yaml'), '--database-url', db.url], dir);
    procs.push(run);
    const said = (): boolean => /\btrain\b.*\bgpu\b/.test(run.stderr());
    await waitFor(said, 8_000, 'baton run to report that no worker has the gpu tag').catch(() => undefined);
    expect(run.stderr()).toMatch(/\btrain\b.*\bgpu\b/);
    // And the worker, which lacks the tag, never took it.
    expect(w.stdout()).not.toMatch(/claimed \S+\.train\./);
    expect(await count('SELECT count(*)::int AS n FROM attempts WHERE claimed_by IS NOT NULL')).toBe(0);
  }, 20_000);
});
