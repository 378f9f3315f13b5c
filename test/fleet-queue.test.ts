/**
 * The fleet's queue of published attempts on a real PostgreSQL, seen from a coordinator
 * engine: the engine's `agingMs` orders it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine, FleetStore, PgStore } from '../src/index.js';
import { createEngine, loadWorkflowFile, openFleetStore, openPostgresStore, workflowVersion } from '../src/index.js';
import { tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let store: PgStore;
let fleet: FleetStore;
let engines: Engine[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-fleet-queue-');
  store = openPostgresStore(db.url, { max: 4 });
  await store.migrate();
  fleet = openFleetStore(db.url, { max: 3 });
});
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
  await Promise.all([store.close(), fleet.close()]);
  await db.drop();
});

async function flow(name: string, text: string): Promise<{ spec: Awaited<ReturnType<typeof loadWorkflowFile>>; version: string }> {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, text);
  const spec = await loadWorkflowFile(path);
  return { spec, version: workflowVersion(spec) };
}

describe('aging in the fleet queue', () => {
  // Run `old` (priority 0) becomes ready 5 s before run `new` (priority +1). With the default
  // aging (10 s a level) `new` still wins; with 1 s a level `old` has aged 5 levels and wins.
  for (const [agingMs, first] of [[undefined, 'new'], [1_000, 'old']] as const) {
    it(`agingMs ${agingMs ?? 'default'}: the first claim takes run '${first}'`, async () => {
      let offset = 0;
      const engine = createEngine({
        store, dataDir: dir, fleet, heartbeatMs: 100, fleetPollMs: 100, clock: () => Date.now() + offset, ...(agingMs ? { agingMs } : {}),
      });
      engines.push(engine);
      const { spec, version } = await flow('one', 'name: one\nsteps:\n  - id: a\n    run: "true"\n');
      const old = await engine.startRun(spec, version, { priority: 0 });
      offset = 5_000;
      const young = await engine.startRun(spec, version, { priority: 1 });
      await waitFor(async () => (await store.getAttempts(old.id)).length + (await store.getAttempts(young.id)).length === 2, 10_000, 'both published');
      await fleet.registerWorker({ id: 'w', host: 'h', pid: 1, platform: 'linux', tags: [], slots: 1, version: '0' });
      const [claimed] = await fleet.claimAttempts('w', { tags: [], platform: 'linux', max: 1, leaseMs: 60_000 });
      expect(claimed?.runId).toBe(first === 'old' ? old.id : young.id);
    });
  }
});
