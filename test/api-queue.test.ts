/* eslint-disable @typescript-eslint/no-unsafe-member-access -- API responses are JSON read loosely; the tests check their shape */
/**
 * `GET /api/v1/queue`: step runs waiting to start by pool and effective priority, the same
 * reading `/metrics` gives as `baton_queue_oldest_age_seconds`, for viewers and up.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { waitFor } from './helpers.js';

let api: TestApi;

beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

describe('GET /api/v1/queue', () => {
  it('is empty with nothing waiting, and needs a token', async () => {
    expect((await api.call('GET', '/api/v1/queue', { role: 'none' })).status).toBe(401);
    const r = await api.call('GET', '/api/v1/queue', { role: 'viewer' });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ queued: 0, groups: [] });
  });

  it('groups waiting step runs by pool and effective priority, highest first, and agrees with /metrics', async () => {
    const go = join(api.dir, 'go');
    const hold = `while [ ! -f ${go} ]; do sleep 0.05; done`;
    // holder takes db's one slot; two waiters wait for it at priority 1 + the run's 2.
    const pooled = `name: pooled\npools: { db: 1 }\nsteps:\n  - id: holder\n    pool: db\n    priority: 3\n    run: "${hold}"\n  - id: w1\n    pool: db\n    priority: 1\n    run: "true"\n  - id: w2\n    pool: db\n    priority: 1\n    run: "true"\n`;
    const serial = `name: serial\nconcurrency: 1\nsteps:\n  - id: one\n    run: "${hold}"\n  - id: two\n    run: "${hold}"\n`;
    for (const raw of [pooled, serial]) expect((await api.call('POST', '/api/v1/workflows', { raw, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const runs: string[] = [];
    for (const body of [{ workflow: 'pooled', priority: 2 }, { workflow: 'serial' }]) {
      const r = await api.call('POST', '/api/v1/runs', { body });
      expect(r.status).toBe(201);
      runs.push(r.body.run.id as string);
    }
    await waitFor(async () => (await Promise.all(runs.map((id) => api.store.getStepRuns(id)))).flat().filter((s) => s.state === 'queued').length === 3, 10_000, 'three waiting step runs');
    const before = Date.now();
    const r = await api.call('GET', '/api/v1/queue', { role: 'viewer' });
    expect(r.status).toBe(200);
    expect(r.body.queued).toBe(3);
    const groups = r.body.groups as { pool: string; priority: number; count: number; oldestQueuedAt: number; oldestAgeMs: number }[];
    expect(groups.map(({ pool, priority, count }) => ({ pool, priority, count }))).toEqual([
      { pool: 'db', priority: 3, count: 2 },
      { pool: '', priority: 0, count: 1 },
    ]);
    for (const g of groups) {
      expect(g.oldestQueuedAt).toBeLessThanOrEqual(before);
      expect(g.oldestAgeMs).toBeGreaterThanOrEqual(0);
    }
    const metrics = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    expect(metrics).toMatch(/^baton_queue_oldest_age_seconds\{pool="db",priority="3"\} /m);
    expect(metrics).toMatch(/^baton_queue_oldest_age_seconds\{pool="",priority="0"\} /m);
    expect(metrics).toMatch(/^baton_queue_depth 3$/m);
    writeFileSync(go, '');
    await waitFor(async () => (await Promise.all(runs.map((id) => api.store.getRun(id)))).every((x) => x?.state === 'succeeded'), 10_000, 'both runs to end');
    expect((await api.call('GET', '/api/v1/queue', { role: 'viewer' })).body).toEqual({ queued: 0, groups: [] });
  });
});
