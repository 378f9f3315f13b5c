/**
 * The database goes away in the middle of a run, as in a server restart: for about a second
 * it refuses connections and every open one is terminated, while steps run and complete.
 * The engine holds effects, retries its commits with backoff, and the run completes with
 * every step run exactly once and nothing lost; commit listeners hear each end once.
 */
import { readdirSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CommittedEnds, PgStore } from '../src/index.js';
import { compileWorkflow, createEngine, openPostgresStore, workflowVersion } from '../src/index.js';
import { spawnBaton, tempDir, waitFor } from './helpers.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, databaseUrl, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let store: PgStore | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
});
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The database refuses connections and every open one is terminated, as in a server restart. */
async function databaseDown(): Promise<void> {
  const admin = databaseUrl('postgres');
  await sql(admin, `ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS false`);
  await sql(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [db.name]);
}

/** The database takes connections again. */
async function databaseUp(): Promise<void> {
  await sql(databaseUrl('postgres'), `ALTER DATABASE ${db.name} WITH ALLOW_CONNECTIONS true`);
}

describe('store outage', () => {
  it('the database gone for a second mid-run: commits are retried and the run completes, each step once', async () => {
    dir = tempDir();
    store = openPostgresStore(db.url, { max: 4 });
    await store.migrate();
    // heartbeat 100 ms, lease 15 s: the engine may retry for ~14.8 s before giving up.
    const engine = createEngine({ store, dataDir: dir, heartbeatMs: 100, graceMs: 200 });
    const steps = Array.from({ length: 12 }, (_, i) => ({
      id: `s${i}`,
      ...(i ? { needs: [`s${i - 1}`] } : {}),
      run: 'sleep 0.05',
    }));
    const spec = compileWorkflow({ name: 'outage', steps }, { baseDir: dir });
    let failedCommits = 0;
    const commit = store.commit.bind(store);
    store.commit = async (b) => {
      try {
        await commit(b);
      } catch (e) {
        failedCommits++;
        throw e;
      }
    };
    // What commit listeners (traces) hear: each end once, only after its commit succeeded.
    const heard: CommittedEnds[] = [];
    engine.onCommitted((ends) => heard.push(ends));
    let outage: Promise<void> | undefined;
    engine.onEvent((e) => {
      if (e.type === 'step' && e.to === 'running' && e.stepId === 's3') {
        outage = (async () => {
          await databaseDown();
          await new Promise((r) => setTimeout(r, 1_000)); // the outage itself, not a wait for a state
          await databaseUp();
        })();
      }
    });
    const run = await engine.startRun(spec, workflowVersion(spec));
    expect(await run.result).toMatchObject({ state: 'succeeded' });
    await outage;
    expect(failedCommits).toBeGreaterThan(0);
    const attempts = await store.getAttempts(run.id);
    expect(attempts.map((a) => a.stepId).sort()).toEqual(steps.map((s) => s.id).sort());
    expect(attempts.every((a) => a.state === 'succeeded')).toBe(true);
    expect((await store.getStepRuns(run.id)).every((s) => s.state === 'succeeded')).toBe(true);
    expect((await store.getRun(run.id))?.state).toBe('succeeded');
    const endsHeard = heard.flatMap((h) => h.attempts.map((a) => a.attempt));
    expect(endsHeard.map((a) => a.id).sort()).toEqual(attempts.map((a) => a.id).sort());
    for (const a of endsHeard) expect(a).toMatchObject({ state: 'succeeded', endedAt: attempts.find((x) => x.id === a.id)!.endedAt });
    expect(heard.flatMap((h) => h.runs).map((r) => [r.id, r.state])).toEqual([[run.id, 'succeeded']]);
    await engine.close();
  });

  it('a run started while the database is gone: startRun fails, nothing of it is written or run, the run in flight completes', async () => {
    dir = tempDir();
    store = openPostgresStore(db.url, { max: 4 });
    await store.migrate();
    const engine = createEngine({ store, dataDir: dir, heartbeatMs: 100, graceMs: 200 });
    const first = compileWorkflow({ name: 'outage-first', steps: [{ id: 'a', run: 'sleep 0.3' }, { id: 'b', needs: ['a'], run: 'sleep 0.05' }] }, { baseDir: dir });
    const second = compileWorkflow({ name: 'outage-second', steps: [{ id: 'x', run: `touch "${dir}/ran-$BATON_RUN_ID"` }] }, { baseDir: dir });
    // Once while the database is up, so the engine has saved this version: what fails below is the run's own commit.
    const before = await engine.startRun(second, workflowVersion(second));
    expect(await before.result).toMatchObject({ state: 'succeeded' });
    const heard: CommittedEnds[] = [];
    engine.onCommitted((ends) => heard.push(ends));
    const running = await engine.startRun(first, workflowVersion(first));
    await databaseDown();
    try {
      await expect(engine.startRun(second, workflowVersion(second))).rejects.toThrow();
    } finally {
      await databaseUp();
    }
    expect(await running.result).toMatchObject({ state: 'succeeded' });
    expect((await store.listRuns({ workflow: 'outage-second' })).map((r) => r.id)).toEqual([before.id]);
    expect(readdirSync(dir).filter((f) => f.startsWith('ran-'))).toEqual([`ran-${before.id}`]);
    expect(engine.activeRunIds()).toEqual([]);
    // The run given up never reaches commit listeners; the one in flight does, once.
    expect(heard.flatMap((h) => h.runs).map((r) => r.id)).toEqual([running.id]);
    expect(heard.flatMap((h) => h.attempts).map((a) => a.attempt.id)).toEqual([`${running.id}.a.1`, `${running.id}.b.1`]);
    await engine.close();
  });

  it('an outage longer than the lease allows: the engine stops, a run being created fails cleanly, later starts fail at once', async () => {
    dir = tempDir();
    store = openPostgresStore(db.url, { max: 2 });
    await store.migrate();
    // Commits may be retried for leaseMs - 2 x heartbeatMs = 200 ms before the engine gives up.
    const engine = createEngine({ store, dataDir: dir, leaseMs: 400, heartbeatMs: 100 });
    const spec = compileWorkflow({ name: 'outage-fatal', steps: [{ id: 'x', run: 'true' }] }, { baseDir: dir });
    const ok = await engine.startRun(spec, workflowVersion(spec));
    expect(await ok.result).toMatchObject({ state: 'succeeded' });
    await databaseDown();
    try {
      await expect(engine.startRun(spec, workflowVersion(spec))).rejects.toThrow(); // the outage begins
      await new Promise((r) => setTimeout(r, 300)); // past the window, not a wait for a state
      // Its commit fails past the window: the engine stops, and this start fails with it
      // (no unhandled rejection of the run's result, which nobody holds yet).
      await expect(engine.startRun(spec, workflowVersion(spec))).rejects.toThrow();
      await expect(engine.startRun(spec, workflowVersion(spec))).rejects.toThrow(/store failed/);
    } finally {
      await databaseUp();
    }
    expect((await store.listRuns({ workflow: 'outage-fatal' })).map((r) => r.id)).toEqual([ok.id]);
    await engine.close();
  });

  it('a fleet baton run whose store stays down past its lease window gives up and exits 1', async () => {
    dir = tempDir();
    const flow = join(dir, 'flow.yaml');
    // No worker claims it: the run waits in the fleet while the database goes away.
    writeFileSync(flow, 'name: outage-cli\nsteps:\n  - id: wait\n    run: sleep 60\n');
    const child = spawnBaton(['run', flow, '--json'], dir, { BATON_DATABASE_URL: db.url });
    await waitFor(() => child.stdout().includes('"stepId":"wait"'), 15_000, 'the step to be published');
    await databaseDown();
    try {
      // The default lease (15 s) leaves 13 s of retries; then the coordinator stops and exits.
      const code = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('still running'), 40_000))]);
      expect(code, child.stderr()).toBe(1);
      expect(child.stderr()).toMatch(/store failed/);
    } finally {
      child.child.kill('SIGKILL');
      await databaseUp();
    }
  }, 60_000);
});
