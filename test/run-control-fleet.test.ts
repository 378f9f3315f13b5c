/**
 * Operating runs in fleet mode on a real PostgreSQL database: a coordinator engine publishes
 * attempts, an in-process worker executes them. A paused run has its running attempt
 * finished by the worker and no new attempt published until unpaused; a re-run on the
 * PostgreSQL store keeps the upstream step's attempt.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine, PgStore } from '../src/index.js';
import type { FleetStore } from '../src/store/index.js';
import type { Worker } from '../src/runtime/index.js';
import { createEngine, loadWorkflowFile, openPostgresStore, workflowVersion } from '../src/index.js';
import { createWorker, pauseRun, rerunRun, unpauseRun } from '../src/runtime/index.js';
import { openFleetStore } from '../src/store/index.js';
import { fixture, tempDir, waitFor, waitForRenewals } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let store: PgStore;
let fleet: FleetStore;
let workerFleet: FleetStore;
let engine: Engine;
let worker: Worker;

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-control-fleet-');
  store = openPostgresStore(db.url, { max: 4 });
  await store.migrate();
  fleet = openFleetStore(db.url, { max: 3 });
  workerFleet = openFleetStore(db.url, { max: 3 });
  engine = createEngine({ store, dataDir: dir, fleet, heartbeatMs: 100, fleetPollMs: 100 });
  worker = createWorker({
    fleet: workerFleet, version: '0.0.0-test', slots: 2, leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, graceMs: 300,
    sampleLoad: () => ({ cpu: 0, memFraction: 0, memBytes: 0 }), report: () => undefined,
  });
  await worker.start();
});
afterEach(async () => {
  await engine.close();
  await worker.stop();
  await Promise.all([store.close(), fleet.close(), workerFleet.close()]);
  await db.drop();
});

const numbers = async (runId: string, stepId: string): Promise<number[]> => (await store.getAttempts(runId, stepId)).map((a) => a.number);

describe('run control in fleet mode', () => {
  it('pausing stops the coordinator publishing; the worker finishes what it holds; unpausing finishes the run', async () => {
    const spec = await loadWorkflowFile(fixture('pause_gate.yaml'));
    const run = await engine.startRun(spec, workflowVersion(spec), { params: { dir } });
    await waitFor(async () => (await store.getAttempts(run.id, 'first')).length === 1, 10_000, 'first to be published');
    await pauseRun(store, run.id, Date.now());
    await engine.refresh(run.id);
    writeFileSync(join(dir, 'gate'), '');
    await waitFor(async () => (await store.getStepRuns(run.id))[1]?.state === 'queued', 10_000, 'second to be ready');
    // Two coordinator heartbeats after second became ready, in which it could have published.
    await waitForRenewals(async () => (await store.getRun(run.id))?.leaseExpiresAt);
    expect(await store.getAttempts(run.id, 'second')).toEqual([]);
    expect((await store.getAttempts(run.id, 'first'))[0]).toMatchObject({ state: 'succeeded' });

    await unpauseRun(store, run.id, Date.now());
    expect(await run.result).toEqual({ id: run.id, state: 'succeeded' });
    expect(readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n')).toEqual(['first', 'second', 'third']);
    // Every attempt ran on the worker, not in the coordinator.
    const claimed = await sql<{ claimed_by: string | null }>(db.url, 'SELECT claimed_by FROM attempts WHERE run_id = $1', [run.id]);
    expect(claimed.map((r) => r.claimed_by !== null)).toEqual([true, true, true]);
  });

  it('a re-run from a middle step is published to the fleet with attempt numbers going on', async () => {
    const spec = await loadWorkflowFile(fixture('rerun_from_middle.yaml'));
    const first = await engine.startRun(spec, workflowVersion(spec), { params: { dir } });
    expect((await first.result).state).toBe('succeeded');
    await rerunRun(store, first.id, { from: 'b' }, Date.now(), { by: 'test' });
    const again = await engine.startQueuedRun(first.id);
    expect((await again.result).state).toBe('succeeded');
    expect(await numbers(first.id, 'a')).toEqual([1]);
    expect(await numbers(first.id, 'b')).toEqual([1, 2]);
    expect(await numbers(first.id, 'c')).toEqual([1, 2]);
    expect(readFileSync(join(dir, 'ran'), 'utf8').trim().split('\n').slice(4)).toEqual(['b', 'c 1']);
  });
});
