/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-argument, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- API responses are JSON read loosely; the assertions check their shape */
/**
 * The HTTP API on PostgreSQL: the event feed in commit order (a transaction that took a
 * smaller sequence number but commits later is not skipped), runs executed and streamed,
 * the fleet's workers listed and drained, one webhook delivery sent twice at once
 * starting one run, and `/metrics` of a fleet: an attempt waiting for a worker in the queue
 * gauge, a late result discarded by its fence counted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PgStore, WorkflowSpec } from '../src/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { openPostgresStore } from '../src/index.js';
import { newRun } from '../src/runtime/index.js';
import { openFleetStore } from '../src/store/index.js';
import { createWorker } from '../src/runtime/index.js';
import { signWebhook } from '../src/server/index.js';
import type { TestApi } from './api-helpers.js';
import { openSse, startApi } from './api-helpers.js';
import { waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

const SECRET = 'pg-hook-secret-456';
const PROMTOOL = '/usr/bin/promtool';
let db: TestDatabase;
let store: PgStore;
let fleet: PgFleetStore;
let api: TestApi;

beforeAll(async () => {
  process.env.PG_HOOK_SECRET = SECRET;
  db = await createTestDatabase();
  store = openPostgresStore(db.url);
  fleet = openFleetStore(db.url, { max: 2 });
  api = await startApi({ store, fleet, env: { PG_HOOK_SECRET: SECRET } });
  const r = await api.call('POST', '/api/v1/workflows', {
    body: 'name: pgflow\nsecrets: [PG_HOOK_SECRET]\nwebhook: { secret: PG_HOOK_SECRET }\nsteps:\n  - id: a\n    run: echo a\n  - id: b\n    needs: [a]\n    run: echo b\n',
    headers: { 'content-type': 'application/yaml' },
  });
  expect(r.status, r.text).toBe(201);
});
afterAll(async () => {
  await api?.close();
  await fleet?.close();
  await store?.close();
  await db?.drop();
});

describe('event feed on PostgreSQL', () => {
  it('waits for a transaction that took a smaller seq and commits later, so a cursor never skips it', async () => {
    const version = (await store.api.listWorkflowVersions('pgflow'))[0]!.version;
    const spec = (await store.getWorkflow(version))!.definition as unknown as WorkflowSpec;
    // Due in an hour: the server beside this test must not start it and add events of its own.
    const run = newRun(spec, version, { dueAt: Date.now() + 3_600_000 }, Date.now());
    await store.createRun(run.record, run.steps, []);
    const head = await store.api.eventsHead();
    const slow = new pg.Client({ connectionString: db.url });
    const fast = new pg.Client({ connectionString: db.url });
    await slow.connect();
    await fast.connect();
    try {
      const insert = "INSERT INTO events (run_id, type, at) VALUES ($1, 'probe', 0) RETURNING seq";
      await slow.query('BEGIN');
      const s1 = Number((await slow.query(insert, [run.record.id])).rows[0].seq);
      await fast.query('BEGIN');
      const s2 = Number((await fast.query(insert, [run.record.id])).rows[0].seq);
      await fast.query('COMMIT');
      expect(s2).toBeGreaterThan(s1);
      // s2 is committed, but s1 may still commit: handing out s2 now would let a reader resume past s1.
      const early = await store.api.eventsAfter(head, { runId: run.record.id }, 100);
      expect(early.map((e) => e.seq)).toEqual([]);
      await slow.query('COMMIT');
      // Other tests' transactions on this cluster may hold the horizon back a moment.
      const all = await waitFor(async () => {
        const got = await store.api.eventsAfter(head, { runId: run.record.id }, 100);
        return got.length === 2 ? got : undefined;
      }, 10_000, 'both probe events');
      expect(all.map((e) => e.seq)).toEqual([s1, s2]);
      const rest = await store.api.eventsAfter(all[0]!.cursor, { runId: run.record.id }, 100);
      expect(rest.map((e) => e.seq)).toEqual([s2]);
      expect(await store.api.eventsAfter(all[1]!.cursor, { runId: run.record.id }, 100)).toEqual([]);
    } finally {
      await slow.end();
      await fast.end();
    }
  });
});

describe('API on PostgreSQL', () => {
  it('publishes the runs it starts to the fleet: a worker runs their steps; their events stream', async () => {
    const workerFleet = openFleetStore(db.url, { max: 2 });
    const worker = createWorker({
      fleet: workerFleet, version: '0.0.0-test', slots: 2, leaseMs: 5_000, heartbeatMs: 500, pollMs: 100, graceMs: 300,
      sampleLoad: () => ({ cpu: 0, memFraction: 0, memBytes: 0 }), report: () => undefined, id: 'w-api-run',
    });
    await worker.start();
    try {
      await executesAndStreams();
    } finally {
      await worker.stop();
      await workerFleet.close();
    }
  });

  async function executesAndStreams(): Promise<void> {
    const stream = await openSse(`${api.url}/api/v1/events?workflow=pgflow`, api.tokens.viewer);
    const r = await api.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: 'pgflow' } });
    expect(r.status, r.text).toBe(201);
    await waitFor(() => stream.messages.some((m) => m.data.runId === r.body.run.id && m.data.type === 'run' && m.data.to === 'succeeded'), 15_000, 'the run to end on the stream');
    stream.close();
    const got = stream.messages.filter((m) => m.data.runId === r.body.run.id).map((m) => m.data.seq);
    const stored = (await store.getEvents(r.body.run.id)).map((e) => e.seq);
    expect([...got].sort((a, b) => a - b)).toEqual([...stored].sort((a, b) => a - b));
    const steps = await store.api.eventsAfter(undefined, { runId: r.body.run.id, type: 'step' }, 100);
    expect(steps.map((e) => e.seq)).toEqual(stream.messages.filter((m) => m.data.runId === r.body.run.id && m.data.type === 'step').map((m) => m.data.seq));
    expect(steps.length).toBeGreaterThan(0);
    const page = await api.call('GET', '/api/v1/runs?workflow=pgflow&limit=1', { role: 'viewer' });
    expect(page.body.runs[0].id).toBe(r.body.run.id);
    // Claimed by fleet workers (the server's own or the other one), not run by its engine.
    const ran = (await store.getAttempts(r.body.run.id)).map((a) => a.worker);
    expect(ran).toHaveLength(2);
    for (const w of ran) expect([api.server.worker?.id, 'w-api-run']).toContain(w);
  }

  it('lists the fleet and drains a worker', async () => {
    await fleet.registerWorker({ id: 'w-api-1', host: 'h1', pid: 1, platform: 'linux', tags: ['gpu'], slots: 4, version: '0.1.0' });
    const list = await api.call('GET', '/api/v1/workers', { role: 'viewer' });
    expect(list.body.workers.filter((w: { id: string }) => w.id === 'w-api-1')).toEqual([expect.objectContaining({ id: 'w-api-1', state: 'active', tags: ['gpu'], slots: 4 })]);
    expect((await api.call('POST', '/api/v1/workers/w-api-1/drain', { role: 'viewer' })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/workers/w-api-1/drain', { role: 'operator' })).body).toEqual({ id: 'w-api-1', state: 'draining' });
    expect((await fleet.listWorkers()).find((w) => w.id === 'w-api-1')!.state).toBe('draining');
    expect((await api.call('POST', '/api/v1/workers/nobody/drain', { role: 'operator' })).status).toBe(404);
    const m = await api.call('GET', '/metrics', { role: 'viewer' });
    expect(m.text).toMatch(/baton_workers\{state="draining"\} 1/);
    // The server's own worker counts the log bytes it shipped: those of the attempts it ran.
    const [own] = await sql<{ n: number }>(db.url, `SELECT COALESCE(sum(octet_length(c.bytes)), 0)::int AS n FROM attempt_log_chunks c
      JOIN attempts a ON a.id = c.attempt_id WHERE a.claimed_by = $1`, [api.server.worker!.id]);
    expect(m.text).toContain(`\nbaton_log_bytes_shipped_total ${own!.n}\n`);
  });

  it("streams from the first event with ?after=0 or an empty after, as on SQLite; refuses an id beyond the newest", async () => {
    for (const after of ['0', '']) {
      const sse = await openSse(`${api.url}/api/v1/events?after=${after}`, api.tokens.viewer);
      try {
        expect(sse.status).toBe(200);
        await waitFor(() => sse.messages.length > 0, 5_000, `events with after='${after}'`);
        expect(sse.messages[0]!.data.workflow).toBeDefined();
      } finally {
        sse.close();
      }
    }
    const beyond = await api.call('GET', '/api/v1/events?after=99999999999-0', { role: 'viewer' });
    expect(beyond.status).toBe(400);
    expect(beyond.body.error.code).toBe('bad-cursor');
  });

  it('starts one run for one delivery sent twice at the same moment', async () => {
    const body = '{}';
    const ts = Math.floor(Date.now() / 1000);
    const send = () => api.call('POST', '/hooks/pgflow', {
      role: 'none', raw: body,
      headers: { 'content-type': 'application/json', 'x-baton-timestamp': String(ts), 'x-baton-delivery': 'same-delivery', 'x-baton-signature': signWebhook(SECRET, ts, 'same-delivery', body) },
    });
    const results = await Promise.all([send(), send()]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
    const runs = await store.api.queryRuns({ workflow: 'pgflow', trigger: ['webhook'], limit: 10 });
    expect(runs.runs).toHaveLength(1);
  });
});

describe('/metrics on PostgreSQL', () => {
  /** Scrapes until `pattern` shows (the feed is read about once a second). */
  const scrapeUntil = (pattern: RegExp): Promise<string> => waitFor(async () => {
    const m = await api.call('GET', '/metrics', { role: 'viewer' });
    return pattern.test(m.text) ? m.text : undefined;
  }, 10_000, `metrics matching ${pattern}`);

  it('an attempt published for tags no worker has waits in the queue gauge; a result reported after its lease lapsed is counted as discarded', async () => {
    const r = await api.call('POST', '/api/v1/workflows', {
      raw: 'name: latecomer\nsteps:\n  - id: slow\n    runs-on: [late-tag]\n    run: "true"\n', headers: { 'content-type': 'application/yaml' },
    });
    expect(r.status, r.text).toBe(201);
    const created = await api.call('POST', '/api/v1/runs', { body: { workflow: 'latecomer' } });
    expect(created.status, created.text).toBe(201);
    const runId = created.body.run.id as string;
    try {
      // Published; the server's own worker lacks late-tag, so it waits for a worker.
      await scrapeUntil(/^baton_queue_oldest_age_seconds\{pool="",priority="0"\} \d/m);

      await fleet.registerWorker({ id: 'w-late', host: 'h-late', pid: 1, platform: process.platform, tags: ['late-tag'], slots: 1, version: '0.1.0' });
      const [claimed] = await waitFor(async () => {
        const got = await fleet.claimAttempts('w-late', { tags: ['late-tag'], platform: process.platform, max: 1, leaseMs: 1 });
        return got.length ? got : undefined;
      }, 10_000, 'w-late to claim slow');
      expect(claimed!.id).toBe(`${runId}.slow.1`);
      // The lease lapses at once: reaped lost, and the coordinator retries the step.
      await waitFor(async () => {
        await fleet.reapExpired();
        return (await store.getAttempts(runId, 'slow')).some((a) => a.id === claimed!.id && a.state === 'lost');
      }, 10_000, 'the lapsed lease to be reaped');
      expect(await fleet.completeAttempt('w-late', claimed!.id, claimed!.fence, { state: 'succeeded', output: 'late' })).toBe('discarded');
      const text = await scrapeUntil(/^baton_attempt_results_discarded_total\{workflow="latecomer"\} 1$/m);
      expect(text).toMatch(/^# TYPE baton_attempt_results_discarded_total counter$/m);
      if (existsSync(PROMTOOL)) {
        const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(`${check.stdout}${check.stderr}`).toBe('');
      }
    } finally {
      expect((await api.call('POST', `/api/v1/runs/${runId}/cancel`, { body: {} })).status).toBe(200);
    }
  });
});
