/**
 * The fleet's queue of published attempts on a real PostgreSQL, seen from a coordinator
 * engine: the engine's `agingMs` orders it; a waiting attempt says why (no live worker,
 * none with its tags, all busy) in the store, `baton show` and the API; and an attempt no
 * worker claims within its queue timeout fails as `unclaimed`, naming the missing tags.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Engine, PgStore } from '../src/index.js';
import { createEngine, loadWorkflowFile, openPostgresStore, workflowVersion } from '../src/index.js';
import type { FleetStore } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';
import type { Worker } from '../src/runtime/index.js';
import { createWorker } from '../src/runtime/index.js';
import { buildApi, createToken } from '../src/server/index.js';
import { baton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let store: PgStore;
let fleet: FleetStore;
let engines: Engine[] = [];
let workers: Worker[] = [];
let stores: FleetStore[] = [];

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
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await Promise.all([store.close(), fleet.close(), ...stores.map((s) => s.close())]);
  stores = [];
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

function coordinator(o: { queueTimeoutMs?: number } = {}): Engine {
  const engine = createEngine({ store, dataDir: dir, fleet, heartbeatMs: 100, fleetPollMs: 100, ...o });
  engines.push(engine);
  return engine;
}

/** An in-process worker with the given tags on an idle machine. */
async function startWorker(tags: string[], slots = 1): Promise<Worker> {
  const own = openFleetStore(db.url, { max: 3 });
  stores.push(own);
  const w = createWorker({
    fleet: own, version: '0.0.0-test', tags, slots, leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, graceMs: 300,
    sampleLoad: () => ({ cpu: 0, memFraction: 0, memBytes: 0 }), report: () => undefined,
  });
  workers.push(w);
  await w.start();
  return w;
}

const GPU_FLOW = `name: train
steps:
  - id: prepare
    run: "true"
  - id: train
    needs: [prepare]
    runs-on: [gpu]
    queue-timeout: 1s
    timeout: 1h
    run: "true"
`;

describe('why a published attempt waits', () => {
  it('no live worker, then none with the tag (named), then every fitting worker busy; shown by the API and baton show', async () => {
    const engine = coordinator();
    const { spec, version } = await flow('busy', `name: busy
steps:
  - id: train
    runs-on: [gpu]
    run: sleep 30
  - id: more
    runs-on: [gpu]
    run: sleep 30
`);
    const run = await engine.startRun(spec, version);
    const reasons = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await fleet.waitingAttempts([run.id])).map((w) => [w.stepId, w.reason]));
    await waitFor(async () => (await reasons()).train === 'no-worker', 10_000, 'no-worker');

    await startWorker(['docker']);
    const noTag = await waitFor(async () => (await fleet.waitingAttempts([run.id])).find((w) => w.stepId === 'train' && w.reason === 'no-matching-worker'), 10_000, 'no-matching-worker');
    expect(noTag.missingTags).toEqual(['gpu']);
    expect(noTag.detail).toContain('no live worker has gpu');

    // The step run resource says it too.
    const app = await buildApi({ store, dataDir: dir, fleet });
    try {
      const { token } = await createToken(store, 'viewer', 'test', Date.now());
      const res = await app.inject({ method: 'GET', url: `/api/v1/runs/${run.id}`, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, res.body).toBe(200);
      const steps = res.json<{ steps: { stepId: string; state: string; waiting?: { reason: string; detail: string; missingTags?: string[] } }[] }>().steps;
      expect(steps.find((s) => s.stepId === 'train')).toMatchObject({ state: 'running', waiting: { reason: 'no-matching-worker', missingTags: ['gpu'] } });
    } finally {
      await app.close();
    }
    const shown = await baton(['show', run.id, '--database-url', db.url], dir);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/train[^\n]*running[\s\S]*waiting: no live worker has gpu/);

    // One gpu slot, taken by one of the two: the other waits for a busy worker.
    await startWorker(['gpu'], 1);
    await waitFor(async () => Object.keys(await reasons()).length === 1, 10_000, 'one of them to be claimed');
    await waitFor(async () => {
      const w = (await fleet.listWorkers()).find((x) => x.tags.includes('gpu'));
      return w?.load?.slotsInUse === 1;
    }, 10_000, 'the gpu worker to report its slot in use');
    const [busy] = await fleet.waitingAttempts([run.id]);
    expect(busy).toMatchObject({ reason: 'workers-busy' });
    expect(busy!.detail).toMatch(/1\/1 slots in use/);
  }, 30_000);
});

describe('queue timeout', () => {
  it('a step that runs-on gpu, with a worker without it, fails as unclaimed after its queue-timeout, naming gpu', async () => {
    await startWorker(['docker']);
    const engine = coordinator();
    const { spec, version } = await flow('train', GPU_FLOW);
    const run = await engine.startRun(spec, version);
    const summary = await run.result;
    expect(summary.state).toBe('failed');
    const steps = await store.getStepRuns(run.id);
    expect(steps.find((s) => s.stepId === 'prepare')?.state).toBe('succeeded');
    const train = steps.find((s) => s.stepId === 'train')!;
    expect(train.state).toBe('failed');
    expect(train.error).toMatchObject({ type: 'unclaimed', retryable: false });
    expect(train.error!.message).toContain('no live worker has gpu');
    const [attempt] = await store.getAttempts(run.id, 'train');
    expect(attempt).toMatchObject({ number: 1, state: 'failed', error: { type: 'unclaimed', details: { runsOn: ['gpu'], missingTags: ['gpu'], queueTimeoutMs: 1_000 } } });
    // Measured in database time from publication, not from the coordinator's clock.
    const [row] = await sql<{ waited: number }>(db.url, 'SELECT (ended_at - published_at)::int AS waited FROM attempts WHERE id = $1', [attempt!.id]);
    expect(row!.waited).toBeGreaterThanOrEqual(1_000);
  }, 20_000);

  it("the engine's queueTimeoutMs bounds a step without its own; with no worker at all the message says so", async () => {
    const engine = coordinator({ queueTimeoutMs: 500 });
    const { spec, version } = await flow('alone', 'name: alone\nsteps:\n  - id: a\n    run: "true"\n');
    const run = await engine.startRun(spec, version);
    expect((await run.result).state).toBe('failed');
    const [a] = await store.getStepRuns(run.id);
    expect(a!.error).toMatchObject({ type: 'unclaimed' });
    expect(a!.error!.message).toMatch(/queue timeout of 0\.5 s: no live worker$/);
  }, 20_000);
});
