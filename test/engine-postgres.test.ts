/**
 * The engine on the PostgreSQL store: a real workflow of shell steps end to end, and
 * resume after the holding process "dies" (its store connection gone, its lease expired,
 * its pid dead) without re-running what succeeded.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { PgStore } from '../src/index.js';
import type { NewEvent } from '../src/store/index.js';
import { compileWorkflow, createEngine, openPostgresStore, workflowVersion } from '../src/index.js';
import { VirtualClock } from '../src/runtime/index.js';
import { processAlive, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
const open: PgStore[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function pgStore(): Promise<PgStore> {
  const s = openPostgresStore(db.url, { max: 4 });
  open.push(s);
  await s.migrate();
  return s;
}

const engineOptions = { graceMs: 200, heartbeatMs: 100 };

/**
 * Waits until the run's end is in the store. `run.result` should only settle after that
 * (the last test checks it); until the engine guarantees it, the other tests wait here so
 * they check what the PostgreSQL store keeps rather than that race.
 */
async function committedEnd(store: PgStore, runId: string): Promise<void> {
  await waitFor(async () => {
    const r = await store.getRun(runId);
    return r?.state === 'succeeded' || r?.state === 'failed' || r?.state === 'cancelled';
  }, 5_000, `the end of run ${runId} in the store`);
}

describe('engine on PostgreSQL', () => {
  it('runs a diamond of shell steps, passing outputs through $BATON_OUTPUT and env, and stores every result', async () => {
    dir = tempDir('baton-pg-engine-');
    const store = await pgStore();
    const spec = compileWorkflow(
      {
        name: 'pg_diamond',
        steps: [
          { id: 'a', run: `echo '{"n": 5, "label": "five"}' > "$BATON_OUTPUT"` },
          { id: 'b', needs: ['a'], run: `printf '{"doubled": %s}' "$((N * 2))" > "$BATON_OUTPUT"`, env: { N: '${{ steps.a.output.n }}' } },
          { id: 'c', needs: ['a'], run: `printf '{"label": "%s"}' "$LABEL" > "$BATON_OUTPUT"`, env: { LABEL: '${{ steps.a.output.label }}' } },
          {
            id: 'd', needs: ['b', 'c'],
            run: `printf '{"joined": "%s-%s"}' "$B" "$C" > "$BATON_OUTPUT"`,
            env: { B: '${{ steps.b.output.doubled }}', C: '${{ steps.c.output.label }}' },
          },
        ],
      },
      { baseDir: dir },
    );
    const engine = createEngine({ store, dataDir: dir, ...engineOptions });
    const seen: NewEvent[] = [];
    engine.onEvent((e) => seen.push(e));
    const version = workflowVersion(spec);
    const run = await engine.startRun(spec, version);
    expect(await run.result).toEqual({ id: run.id, state: 'succeeded' });
    await committedEnd(store, run.id);
    await engine.close();

    const steps = await store.getStepRuns(run.id);
    expect(steps.map((s) => [s.stepId, s.state, s.attempts])).toEqual([['a', 'succeeded', 1], ['b', 'succeeded', 1], ['c', 'succeeded', 1], ['d', 'succeeded', 1]]);
    expect(Object.fromEntries(steps.map((s) => [s.stepId, s.output]))).toEqual({
      a: { n: 5, label: 'five' }, b: { doubled: 10 }, c: { label: 'five' }, d: { joined: '10-five' },
    });
    for (const s of steps) expect([typeof s.startedAt, typeof s.endedAt]).toEqual(['number', 'number']);

    const attempts = await store.getAttempts(run.id);
    expect(attempts.map((a) => [a.stepId, a.number, a.state, a.exitCode])).toEqual(
      expect.arrayContaining([['a', 1, 'succeeded', 0], ['b', 1, 'succeeded', 0], ['c', 1, 'succeeded', 0], ['d', 1, 'succeeded', 0]]),
    );
    expect(attempts).toHaveLength(4);
    for (const a of attempts) {
      expect(typeof a.pid).toBe('number');
      expect(a.logPath?.startsWith(join(dir, 'logs', run.id))).toBe(true);
    }

    const r = await store.getRun(run.id);
    expect(r).toMatchObject({ state: 'succeeded', workflow: 'pg_diamond', version, stepCount: 4, trigger: 'manual' });
    expect(r?.owner).toBeUndefined(); // released when it ended
    expect(r?.endedAt).toBeGreaterThanOrEqual(r?.startedAt ?? Infinity);
    expect((await store.getWorkflow(version))?.name).toBe('pg_diamond');
    expect((await store.listRuns({ workflow: 'pg_diamond' })).map((x) => x.id)).toEqual([run.id]);

    // What listeners saw is exactly what was stored, in the same order (createRun's own
    // `queued` event is written before the engine has listeners to tell).
    const events = await store.getEvents(run.id);
    expect(events.slice(1).map(({ seq: _seq, ...e }) => e)).toEqual(seen);
    expect(events.filter((e) => e.type === 'run').map((e) => e.to)).toEqual(['queued', 'running', 'succeeded']);
  });

  it('resumes a run whose holder died: succeeded steps are not re-run, the interrupted attempt is retried', async () => {
    dir = tempDir('baton-pg-resume-');
    const go = join(dir, 'GO');
    const pidFile = join(dir, 'b.pid');
    const spec = compileWorkflow(
      {
        name: 'pg_resume',
        steps: [
          { id: 'a', cwd: dir, run: 'printf a >> marker; echo \'{"v": 41}\' > "$BATON_OUTPUT"' },
          // Blocks until GO exists: the first try is interrupted, the retry after resume is fast.
          { id: 'b', needs: ['a'], run: 'echo $$ > "$PIDF"; if [ -f "$GO" ]; then exit 0; fi; sleep 30', env: { GO: go, PIDF: pidFile } },
          { id: 'c', needs: ['b'], run: 'echo "{\\"a\\": $A}" > "$BATON_OUTPUT"', env: { A: '${{ steps.a.output.v }}' } },
        ],
      },
      { baseDir: dir },
    );

    // The doomed holder has a store (connection pool) of its own.
    const store1 = await pgStore();
    // Its heartbeats and its patience with a failing store run on a virtual clock.
    const clock1 = new VirtualClock();
    const engine1 = createEngine({ store: store1, dataDir: dir, ...engineOptions, clock: clock1 });
    const bRunning = new Promise<void>((resolve) => engine1.onEvent((e) => e.stepId === 'b' && e.to === 'running' && resolve()));
    const run1 = await engine1.startRun(spec, workflowVersion(spec));
    const died = run1.result.then(
      () => undefined,
      (e: unknown) => e,
    );
    await bRunning;
    const store2 = await pgStore();
    // b's shell is its process group's leader; it writes its pid first thing.
    const pid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || undefined : undefined), 5_000, "b's pid");

    // Death: the holder loses its database (its next heartbeat fails and it stops for good),
    // its lease lapses, and its pid is one no process has; its step's process group is killed.
    await store1.close();
    // Each virtual second brings failing heartbeats; once the outage outlasts what its lease
    // allows (lease - 2 heartbeats, 14.8 s), it stops for good: no 15 s of real waiting.
    let gaveUp = false;
    void died.then(() => (gaveUp = true));
    await waitFor(() => gaveUp || void clock1.advance(1_000), 5_000, 'the holder to give up on its store');
    expect(await died).toBeInstanceOf(Error);
    await sql(db.url, 'UPDATE runs SET owner_pid = $2, lease_expires_at = $3 WHERE id = $1', [run1.id, 2_147_483_646, Date.now() - 60_000]);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone: the failing engine force-stops its attempts
    }
    await waitFor(() => !processAlive(pid), 5_000, 'the sleep to be gone');
    expect((await store2.getRun(run1.id))?.state).toBe('running');
    expect((await store2.getAttempts(run1.id, 'b'))[0]?.state).toBe('running'); // nobody recorded its end

    writeFileSync(go, '');
    const engine2 = createEngine({ store: store2, dataDir: dir, ...engineOptions });
    const run2 = await engine2.resumeRun(run1.id);
    expect(await run2.result).toEqual({ id: run1.id, state: 'succeeded' });
    await committedEnd(store2, run1.id);
    await engine2.close();

    const attempts = await store2.getAttempts(run1.id);
    const of = (step: string) => attempts.filter((a) => a.stepId === step).map((a) => a.state);
    expect(of('a')).toEqual(['succeeded']);
    expect(of('b')).toEqual(['lost', 'succeeded']);
    expect(of('c')).toEqual(['succeeded']);
    expect(readFileSync(join(dir, 'marker'), 'utf8')).toBe('a'); // a ran once
    const steps = await store2.getStepRuns(run1.id);
    expect(steps.map((s) => [s.stepId, s.state, s.attempts, s.lostAttempts])).toEqual([['a', 'succeeded', 1, 0], ['b', 'succeeded', 2, 1], ['c', 'succeeded', 1, 0]]);
    expect(steps[2]?.output).toEqual({ a: 41 });
    const r = await store2.getRun(run1.id);
    expect(r).toMatchObject({ state: 'succeeded' });
    expect(r?.owner).toBeUndefined();
  });

  it('settles a run\'s result only once its end is committed (write-ahead, invariant 1)', async () => {
    dir = tempDir('baton-pg-durable-');
    const store = await pgStore();
    // Quick steps whose ends arrive while an earlier commit (their pids) is still in flight.
    const spec = compileWorkflow(
      { name: 'pg_durable', steps: [{ id: 'a', run: 'true' }, { id: 'b', needs: ['a'], run: 'true' }, { id: 'c', needs: ['b'], run: 'true' }] },
      { baseDir: dir },
    );
    const engine = createEngine({ store, dataDir: dir, ...engineOptions });
    try {
      for (let i = 0; i < 3; i++) {
        const run = await engine.startRun(spec, workflowVersion(spec));
        expect(await run.result).toEqual({ id: run.id, state: 'succeeded' });
        expect((await store.getRun(run.id))?.state).toBe('succeeded');
        expect((await store.getStepRuns(run.id)).map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
        await committedEnd(store, run.id);
      }
    } finally {
      await engine.close();
    }
  });
});
