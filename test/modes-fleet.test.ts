/**
 * Who runs a step on PostgreSQL, whatever command assembled the process: `baton resume`
 * coordinates through the fleet (a live worker keeps the attempt it holds; nothing runs
 * twice), and a server's process publishes to the workers (test/api-postgres.test.ts).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PgStore } from '../src/index.js';
import { compileWorkflow, openPostgresStore, workflowVersion } from '../src/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';
import type { Worker } from '../src/runtime/index.js';
import { createWorker } from '../src/runtime/index.js';
import { openProcess, processOnStore } from '../src/modes/index.js';
import { baton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

let db: TestDatabase;
let store: PgStore;
let workerFleet: PgFleetStore;
let worker: Worker;
let dir: string;

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-modes-fleet-');
  store = openPostgresStore(db.url);
  await store.migrate();
  workerFleet = openFleetStore(db.url, { max: 2 });
  worker = createWorker({
    fleet: workerFleet, version: '0.0.0-test', slots: 2, leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, graceMs: 300,
    sampleLoad: () => ({ cpu: 0, memFraction: 0, memBytes: 0 }), report: () => undefined, id: 'w-modes',
  });
  await worker.start();
});
afterEach(async () => {
  await worker.stop();
  await workerFleet.close();
  await store.close();
  await db.drop();
});

describe('processes on PostgreSQL', () => {
  it('baton resume leaves a live worker its attempt: the step runs once, on the worker', async () => {
    const marker = join(dir, 'marker');
    const release = join(dir, 'release');
    writeFileSync(marker, '');
    // The step waits for a file the test writes once the coordinator is gone.
    const spec = compileWorkflow({
      name: 'resume-fleet',
      steps: [{ id: 'slow', run: `echo start >> '${marker}'; while [ ! -f '${release}' ]; do sleep 0.05; done; echo end >> '${marker}'` }],
    }, { baseDir: dir });
    const fleet = openFleetStore(db.url, { max: 2 });
    const first = processOnStore({ mode: 'embedded', store, fleet, dataDir: dir });
    const handle = await first.engine().startRun(spec, workflowVersion(spec));
    await waitFor(() => readFileSync(marker, 'utf8').includes('start'), 10_000, 'the worker to start the step');
    // The coordinator goes away (its runs released, the worker's attempt left to it).
    await first.close();
    void handle.result.catch(() => undefined);
    await fleet.close();

    const resumed = baton(['resume', handle.id, '--json'], dir, { BATON_DATABASE_URL: db.url });
    // Let the worker finish only after resume has taken the run over.
    await waitFor(async () => (await store.getRun(handle.id))?.owner !== undefined, 10_000, 'resume to take the run');
    appendFileSync(release, 'go');
    const r = await resumed;
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(marker, 'utf8').trim().split('\n')).toEqual(['start', 'end']);
    const attempts = await store.getAttempts(handle.id, 'slow');
    expect(attempts.map((a) => [a.number, a.state, a.worker])).toEqual([[1, 'succeeded', 'w-modes']]);
  });

  it('a process opened on a fresh database migrates it first, so a worker started before any server works', async () => {
    const fresh = await createTestDatabase({ migrated: false });
    try {
      const proc = await openProcess({ mode: 'worker', store: { kind: 'postgres', url: fresh.url }, dataDir: dir });
      try {
        expect(proc.fleet).toBeDefined();
        await proc.fleet!.registerWorker({ id: 'w-fresh', host: 'h', pid: 1, platform: 'linux', tags: [], slots: 1, version: '0' });
        expect((await proc.fleet!.listWorkers()).map((w) => w.id)).toEqual(['w-fresh']);
      } finally {
        await proc.close();
      }
    } finally {
      await fresh.drop();
    }
  });
});
