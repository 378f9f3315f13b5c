/**
 * An http step on PostgreSQL: the coordinator publishes it and a fleet worker sends the
 * request, reading the secret from its own environment; the response becomes the output
 * a downstream step (also on the worker) reads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PgStore } from '../src/index.js';
import { compileWorkflow, openPostgresStore, workflowVersion } from '../src/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';
import type { Worker } from '../src/runtime/index.js';
import { createWorker } from '../src/runtime/index.js';
import { processOnStore } from '../src/modes/index.js';
import { tempDir } from './helpers.js';
import type { TestServer } from './http-server.js';
import { json, testServer } from './http-server.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

const TOKEN = 'tok-fleet-1a2b3c4d5e';

let db: TestDatabase;
let store: PgStore;
let workerFleet: PgFleetStore;
let worker: Worker;
let server: TestServer;

beforeEach(async () => {
  process.env.HTTP_FLEET_TOKEN = TOKEN;
  db = await createTestDatabase();
  store = openPostgresStore(db.url);
  await store.migrate();
  workerFleet = openFleetStore(db.url, { max: 2 });
  worker = createWorker({
    fleet: workerFleet, version: '0.0.0-test', slots: 2, leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, graceMs: 300,
    sampleLoad: () => ({ cpu: 0, memFraction: 0, memBytes: 0 }), report: () => undefined, id: 'w-http',
  });
  await worker.start();
  server = await testServer((req, res, n) => (n === 0 ? json(res, 503, { busy: true }, { 'retry-after': '1' }) : json(res, 200, { echo: req.url, auth: req.headers.authorization === `Bearer ${TOKEN}` })));
});
afterEach(async () => {
  delete process.env.HTTP_FLEET_TOKEN;
  await worker.stop();
  await workerFleet.close();
  await store.close();
  await db.drop();
  await server.close();
});

describe('http steps on a fleet worker', () => {
  it('the worker sends the request, retries a 503 after its Retry-After and hands the JSON output downstream', async () => {
    const dir = tempDir('baton-http-fleet-');
    const spec = compileWorkflow({
      name: 'http-fleet',
      secrets: [{ name: 'TOKEN', env: 'HTTP_FLEET_TOKEN' }],
      steps: [
        { id: 'call', http: { url: `${server.origin}/items?run=\${{ run.id }}`, headers: { Authorization: 'Bearer ${{ secrets.TOKEN }}' } }, retry: { attempts: 2, delay: '50ms' } },
        { id: 'after', needs: ['call'], run: 'printf \'{"authorized": %s}\' "$OK" > "$BATON_OUTPUT"', env: { OK: '${{ steps.call.output.auth }}' } },
      ],
    }, { baseDir: dir });
    const fleet = openFleetStore(db.url, { max: 2 });
    const proc = processOnStore({ mode: 'embedded', store, fleet, dataDir: dir });
    try {
      const handle = await proc.engine().startRun(spec, workflowVersion(spec));
      expect((await handle.result).state).toBe('succeeded');
      const attempts = await store.getAttempts(handle.id);
      expect(attempts.map((a) => [a.stepId, a.number, a.state, a.worker, a.error?.type])).toEqual([
        ['call', 1, 'failed', 'w-http', 'http-status'],
        ['call', 2, 'succeeded', 'w-http', undefined],
        ['after', 1, 'succeeded', 'w-http', undefined],
      ]);
      // The worker's failure carried the server's wait through the store to the coordinator.
      expect(attempts[0]?.error).toMatchObject({ retryAfterMs: 1_000 });
      expect(attempts[1]!.startedAt - attempts[0]!.endedAt!).toBeGreaterThanOrEqual(900);
      expect(server.seen.map((r) => r.headers['idempotency-key'])).toEqual([`${handle.id}.call.1`, `${handle.id}.call.2`]);
      const steps = Object.fromEntries((await store.getStepRuns(handle.id)).map((s) => [s.stepId, s.output]));
      expect(steps.call).toEqual({ echo: `/items?run=${handle.id}`, auth: true });
      expect(steps.after).toEqual({ authorized: true });
      // The fleet task holds the templates, never the secret's value.
      expect(JSON.stringify(await store.getAttempts(handle.id))).not.toContain(TOKEN);
    } finally {
      await proc.close();
      await fleet.close();
    }
  });
});
