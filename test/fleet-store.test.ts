/**
 * The fleet store on a real PostgreSQL: claims under concurrency (exactly once, priority
 * order, pool limits, required tags), fencing and reaping on the database clock,
 * heartbeats, and LISTEN with reconnection. A fresh database per test: claims see the
 * whole queue, so tests must not share one.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFleetStore } from '../src/store/index.js';
import type { ClaimedAttempt, FleetAttemptInput, FleetChannel, PgFleetStore, WorkerRegistration } from '../src/store/index.js';
import { createTestDatabase, sql } from './pg-helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { waitFor } from './helpers.js';

let db: TestDatabase;
let opened: PgFleetStore[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
});

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.map((s) => s.close()));
  opened = [];
  await db.drop();
});

/** A fleet store with its own pool (one per simulated node). */
function open(max = 2): PgFleetStore {
  const s = openFleetStore(db.url, { max });
  opened.push(s);
  return s;
}

function worker(id: string, tags: string[] = [], platform = 'linux'): WorkerRegistration {
  return { id, host: 'test-host', pid: 1000, platform, tags, slots: 8, version: '0.1.0' };
}

function attempt(runId: string, step: string, opts: Partial<FleetAttemptInput> = {}): FleetAttemptInput {
  const number = opts.number ?? 1;
  return { id: `${runId}.${step}.${number}`, runId, stepId: step, number, startedAt: 1, priority: 0, task: { step }, ...opts };
}

const LEASE = { tags: [] as string[], platform: 'linux', leaseMs: 60_000 };

async function claimedInPool(pool: string): Promise<number> {
  const [r] = await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM attempts WHERE pool = $1 AND state = 'running' AND claimed_by IS NOT NULL", [pool]);
  return r!.n;
}

describe('claims', () => {
  it('4 concurrent claimers take 2,000 attempts exactly once, highest priority first overall', async () => {
    const fleet = open();
    const n = 2_000;
    // Keys priority * agingMs - queuedAt, all distinct: priority -10..10 spread, queued 1 ms apart.
    const rows = Array.from({ length: n }, (_, i) => attempt('r1', `s${i}`, { priority: ((i * 7) % 21) - 10, queuedAt: 1_000_000 + i }));
    await fleet.enqueueAttempts(rows);
    const claimers = [0, 1, 2, 3].map((i) => ({ id: `w${i}`, store: open(1) }));
    for (const c of claimers) await c.store.registerWorker(worker(c.id));

    const batches: { worker: string; start: number; end: number; keys: number[] }[] = [];
    const t0 = performance.now();
    await Promise.all(claimers.map(async (c) => {
      for (;;) {
        const start = performance.now();
        const got = await c.store.claimAttempts(c.id, { ...LEASE, max: 50 });
        const end = performance.now();
        if (!got.length) return;
        batches.push({ worker: c.id, start, end, keys: got.map((a) => a.priorityKey) });
      }
    }));
    const seconds = (performance.now() - t0) / 1000;

    const keys = batches.flatMap((b) => b.keys);
    expect(keys).toHaveLength(n);
    const [dup] = await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM attempts WHERE fence <> 1 OR claimed_by IS NULL");
    expect(dup!.n).toBe(0);
    const ids = await sql<{ id: string }>(db.url, 'SELECT id FROM attempts WHERE claimed_by IS NOT NULL');
    expect(new Set(ids.map((r) => r.id)).size).toBe(n);
    // Within a claim, best first; a claim that ended before another began took only keys at
    // least as high as everything the later one took.
    for (const b of batches) expect(b.keys).toEqual([...b.keys].sort((x, y) => y - x));
    for (const a of batches) {
      for (const b of batches) if (a.end < b.start) expect(Math.min(...a.keys)).toBeGreaterThanOrEqual(Math.max(...b.keys));
    }
    const perWorker = claimers.map((c) => batches.filter((b) => b.worker === c.id).reduce((s, b) => s + b.keys.length, 0));
    console.log(`fleet claims: ${n} attempts, 4 claimers x 50 per statement: ${Math.round(n / seconds)} claims/s ` +
      `(${(seconds * 1000).toFixed(0)} ms; per claimer ${perWorker.join('/')})`);
  });

  it('a pool limit of 2 holds under 6 concurrent claimers; completing one frees a slot', async () => {
    const fleet = open();
    await fleet.setPoolLimit('db', 2);
    await fleet.enqueueAttempts([
      ...Array.from({ length: 30 }, (_, i) => attempt('r1', `p${i}`, { pool: 'db', priority: 5 })),
      ...Array.from({ length: 12 }, (_, i) => attempt('r1', `u${i}`)),
    ]);
    const claimers = Array.from({ length: 6 }, (_, i) => ({ id: `w${i}`, store: open(1) }));
    for (const c of claimers) await c.store.registerWorker(worker(c.id));

    const claimed: ClaimedAttempt[] = [];
    await Promise.all(claimers.map(async (c) => {
      for (let k = 0; k < 4; k++) claimed.push(...await c.store.claimAttempts(c.id, { ...LEASE, max: 3 }));
    }));
    const pooled = claimed.filter((a) => a.pool === 'db');
    expect(pooled).toHaveLength(2);
    expect(claimed.filter((a) => a.pool === undefined)).toHaveLength(12);
    expect(await claimedInPool('db')).toBe(2);

    // Full: nothing more from the pool, whoever asks.
    expect(await claimers[0]!.store.claimAttempts('w0', { ...LEASE, max: 5 })).toEqual([]);
    const done = pooled[0]!;
    const [owner] = await sql<{ claimed_by: string }>(db.url, 'SELECT claimed_by FROM attempts WHERE id = $1', [done.id]);
    expect(await fleet.completeAttempt(owner!.claimed_by, done.id, done.fence, { state: 'succeeded', output: { ok: true } })).toBe('applied');
    const next = await claimers[1]!.store.claimAttempts('w1', { ...LEASE, max: 5 });
    expect(next.map((a) => a.pool)).toEqual(['db']);
    expect(await claimedInPool('db')).toBe(2);
  });

  it('an attempt that runs on gpu is claimed only by a worker with gpu; the platform counts as a tag', async () => {
    const fleet = open();
    await fleet.enqueueAttempts([
      attempt('r1', 'train', { runsOn: ['gpu'] }),
      attempt('r1', 'build', { runsOn: ['linux'] }),
      attempt('r1', 'any'),
    ]);
    await fleet.registerWorker(worker('cpu-linux'));
    await fleet.registerWorker(worker('gpu-mac', ['gpu'], 'darwin'));
    const mac = await fleet.claimAttempts('gpu-mac', { tags: ['gpu'], platform: 'darwin', max: 10, leaseMs: 60_000 });
    expect(mac.map((a) => a.stepId).sort()).toEqual(['any', 'train']);
    const linux = await fleet.claimAttempts('cpu-linux', { tags: [], platform: 'linux', max: 10, leaseMs: 60_000 });
    expect(linux.map((a) => a.stepId)).toEqual(['build']);
    expect(linux[0]!.runsOn).toEqual(['linux']);
    expect(linux[0]!.task).toEqual({ step: 'build' });
  });

  it('a worker that is draining or not registered claims nothing', async () => {
    const fleet = open();
    await fleet.enqueueAttempts([attempt('r1', 'a')]);
    expect(await fleet.claimAttempts('ghost', { ...LEASE, max: 1 })).toEqual([]);
    await fleet.registerWorker(worker('w1'));
    expect(await fleet.setWorkerState('w1', 'draining')).toBe(true);
    expect(await fleet.claimAttempts('w1', { ...LEASE, max: 1 })).toEqual([]);
    await fleet.setWorkerState('w1', 'active');
    expect(await fleet.claimAttempts('w1', { ...LEASE, max: 1 })).toHaveLength(1);
  });
});

describe('leases and fencing', () => {
  it('an expired lease is reaped lost once; the late holder is discarded with an event, the new one applies', async () => {
    const fleet = open();
    const other = open();
    await fleet.registerWorker(worker('w1'));
    await fleet.registerWorker(worker('w2'));
    await fleet.enqueueAttempts([attempt('r1', 'a')]);
    const [first] = await fleet.claimAttempts('w1', { ...LEASE, max: 1, leaseMs: 1 });
    expect(first!.fence).toBe(1);

    // Two reapers at once: each expired attempt is reaped by one of them.
    const reaped = await waitFor(async () => {
      const both = (await Promise.all([fleet.reapExpired(), other.reapExpired()])).flat();
      return both.length ? both : undefined;
    }, 5_000, 'the lease to expire');
    expect(reaped).toEqual([{ id: 'r1.a.1', runId: 'r1', worker: 'w1' }]);
    expect(await fleet.reapExpired()).toEqual([]);
    const [lost] = await fleet.takeCompleted(['r1']);
    expect(lost).toMatchObject({ id: 'r1.a.1', state: 'lost', fence: 1, claimedBy: 'w1', error: { type: 'lost', retryable: true } });
    expect(await fleet.markApplied(['r1.a.1'])).toBe(1);
    expect(await fleet.takeCompleted(['r1'])).toEqual([]);

    // The coordinator retries: attempt 2 of the step, claimed by w2.
    await fleet.enqueueAttempts([attempt('r1', 'a', { number: 2 })]);
    const [second] = await other.claimAttempts('w2', { ...LEASE, max: 1 });
    expect(second).toMatchObject({ id: 'r1.a.2', fence: 1 });

    expect(await fleet.completeAttempt('w1', 'r1.a.1', 1, { state: 'succeeded', output: 'late' })).toBe('discarded');
    // The holder with a stale fence is refused too.
    expect(await other.completeAttempt('w2', 'r1.a.2', 0, { state: 'succeeded' })).toBe('discarded');
    expect(await other.completeAttempt('w2', 'r1.a.2', 1, { state: 'succeeded', exitCode: 0, output: { n: 1 }, cpuMs: 5, peakRssBytes: 1024 })).toBe('applied');
    // A repeated report of the same completion (its reply was lost) is applied, not discarded.
    expect(await other.completeAttempt('w2', 'r1.a.2', 1, { state: 'succeeded', output: { n: 1 } })).toBe('applied');

    const events = await sql<{ attempt_id: string; type: string; data: { worker: string; fence: number } }>(
      db.url, "SELECT attempt_id, type, data FROM events WHERE run_id = 'r1' ORDER BY seq",
    );
    expect(events).toEqual([
      { attempt_id: 'r1.a.1', type: 'attempt-discarded', data: { worker: 'w1', fence: 1 } },
      { attempt_id: 'r1.a.2', type: 'attempt-discarded', data: { worker: 'w2', fence: 0 } },
    ]);
    const [done] = await fleet.takeCompleted(['r1']);
    expect(done).toMatchObject({ id: 'r1.a.2', state: 'succeeded', exitCode: 0, output: { n: 1 }, cpuMs: 5, peakRssBytes: 1024, worker: 'w2' });
    const [late] = await sql<{ state: string; output: unknown }>(db.url, "SELECT state, output FROM attempts WHERE id = 'r1.a.1'");
    expect(late).toEqual({ state: 'lost', output: null });
  });

  it('a heartbeat renews only its own attempts on the database clock and reports cancel requests', async () => {
    const fleet = open();
    await fleet.registerWorker(worker('w1'));
    await fleet.registerWorker(worker('w2'));
    await fleet.enqueueAttempts([attempt('r1', 'a'), attempt('r1', 'b'), attempt('r1', 'c'), attempt('r1', 'queued')]);
    await fleet.claimAttempts('w1', { ...LEASE, max: 2, leaseMs: 50_000 });
    const [theirs] = await fleet.claimAttempts('w2', { ...LEASE, max: 1, leaseMs: 50_000 });
    const mine = (await sql<{ id: string }>(db.url, "SELECT id FROM attempts WHERE claimed_by = 'w1' ORDER BY id")).map((r) => r.id);
    expect(mine).toHaveLength(2);

    expect(await fleet.requestAttemptCancel([mine[1]!, 'r1.queued.1', 'nope'])).toEqual({ claimed: [mine[1]], unclaimed: ['r1.queued.1'] });
    // A flagged attempt is never claimed.
    expect(await fleet.claimAttempts('w2', { ...LEASE, max: 5 })).toEqual([]);

    // The worker's own clock is a year off: it changes nothing, no method takes it.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 365 * 86_400_000);
    const before = await sql<{ id: string; lease_expires_at: string }>(db.url, "SELECT id, lease_expires_at FROM attempts WHERE claimed_by = 'w2'");
    const beat = await fleet.heartbeatWorker('w1', { cpu: 0.5, mem: 1e9, slotsInUse: 2 });
    expect(beat).toEqual({ renewed: mine, cancelled: [mine[1]] });
    const leases = await sql<{ id: string; left: number; lease_expires_at: string }>(
      db.url, 'SELECT id, lease_expires_at, (lease_expires_at - baton_now_ms())::int AS left FROM attempts WHERE claimed_by IS NOT NULL ORDER BY id',
    );
    for (const l of leases.filter((x) => mine.includes(x.id))) {
      expect(l.left).toBeGreaterThan(40_000);
      expect(l.left).toBeLessThanOrEqual(50_000);
    }
    expect(leases.find((l) => l.id === theirs!.id)!.lease_expires_at).toBe(before[0]!.lease_expires_at);
    expect(await fleet.reapExpired()).toEqual([]);
    const workers = await fleet.listWorkers();
    expect(workers.map((w) => w.id)).toEqual(['w1', 'w2']);
    expect(workers[0]).toMatchObject({ state: 'active', load: { cpu: 0.5, mem: 1e9, slotsInUse: 2 }, tags: [], platform: 'linux' });
    expect(workers[0]!.heartbeatAgeMs).toBeLessThan(5_000);
    vi.useRealTimers();

    // Once reaped, an attempt is no longer renewed: the worker learns it lost it.
    await sql(db.url, "UPDATE attempts SET lease_expires_at = baton_now_ms() - 1 WHERE id = $1", [mine[0]]);
    expect((await fleet.reapExpired()).map((r) => r.id)).toEqual([mine[0]]);
    expect(await fleet.heartbeatWorker('w1', { cpu: 0, mem: 0, slotsInUse: 1 })).toEqual({ renewed: [mine[1]], cancelled: [mine[1]] });
  });

  it('a worker registering again under its id loses what its previous process held', async () => {
    const fleet = open();
    await fleet.registerWorker(worker('w1'));
    await fleet.enqueueAttempts([attempt('r1', 'a')]);
    await fleet.claimAttempts('w1', { ...LEASE, max: 1 });
    await fleet.registerWorker(worker('w1'));
    const [a] = await fleet.takeCompleted(['r1']);
    expect(a).toMatchObject({ id: 'r1.a.1', state: 'lost' });
    expect(await fleet.heartbeatWorker('w1', { cpu: 0, mem: 0, slotsInUse: 0 })).toEqual({ renewed: [], cancelled: [] });
  });

  it("a worker's facts are stored with its registration and replaced by the next one; a registration without them reads none", async () => {
    const fleet = open();
    const facts = { arch: 'arm64', cpus: 12, memoryBytes: 34_359_738_368 };
    expect(await fleet.registerWorker({ ...worker('w-facts', ['arm64', 'docker']), facts })).toMatchObject({ facts, tags: ['arm64', 'docker'] });
    expect((await fleet.listWorkers())[0]).toMatchObject({ facts });
    await fleet.registerWorker(worker('w-facts'));
    expect((await fleet.listWorkers())[0]!.facts).toBeUndefined();
  });
});

describe('listen', () => {
  it('delivers notifies, and after its connection is terminated reconnects and delivers the next', async () => {
    const fleet = open();
    const got: [FleetChannel, string][] = [];
    const connects: number[] = [];
    const listener = await fleet.listen(['baton_tasks', 'baton_done', 'baton_cancel'], (ch, p) => got.push([ch, p]), {
      onConnect: (n) => connects.push(n),
      backoffMs: 20,
    });
    expect(connects).toEqual([0]);

    await fleet.registerWorker(worker('w1'));
    await fleet.enqueueAttempts([attempt('r1', 'a', { pool: 'db' }), attempt('r1', 'b')]);
    await waitFor(() => got.some(([ch]) => ch === 'baton_tasks'), 5_000, 'baton_tasks');
    expect(got.find(([ch]) => ch === 'baton_tasks')![1]).toBe('db');
    const claimed = await fleet.claimAttempts('w1', { ...LEASE, max: 2 });
    await fleet.requestAttemptCancel([claimed[1]!.id]);
    await fleet.completeAttempt('w1', claimed[0]!.id, claimed[0]!.fence, { state: 'failed', exitCode: 2 });
    await waitFor(() => got.some(([ch, p]) => ch === 'baton_done' && p === 'r1'), 5_000, 'baton_done');
    expect(got).toContainEqual(['baton_cancel', 'w1']);

    const killed = await sql<{ ok: boolean }>(
      db.url, "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'baton-listen' AND datname = $1", [db.name],
    );
    expect(killed).toEqual([{ ok: true }]);
    await waitFor(() => connects.length === 2, 5_000, 'the listener to reconnect');
    expect(connects).toEqual([0, 1]);
    await sql(db.url, "SELECT pg_notify('baton_done', 'r2')");
    await waitFor(() => got.some(([ch, p]) => ch === 'baton_done' && p === 'r2'), 5_000, 'baton_done after reconnecting');

    await listener.close();
    await listener.close();
    const left = await sql(db.url, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'baton-listen' AND datname = $1", [db.name]);
    expect(left).toEqual([]);
  });
});

describe('queue timeout', () => {
  type Row = { state: string; published_at: number; claim_deadline: number; error: { type: string; message: string } | null };
  const row = async (id: string): Promise<Row> =>
    (await sql<Row>(db.url, 'SELECT state, published_at::float8 AS published_at, claim_deadline::float8 AS claim_deadline, error FROM attempts WHERE id = $1', [id]))[0]!;

  it('fails unclaimed attempts past their claim deadline once, naming the tags no live worker has; a claimed one is left alone', async () => {
    const fleet = open();
    await fleet.registerWorker(worker('w1', ['docker']));
    await fleet.enqueueAttempts([
      attempt('r1', 'gpu', { runsOn: ['docker', 'gpu'], queueTimeoutMs: 60_000 }),
      attempt('r1', 'held', { queueTimeoutMs: 60_000 }),
      attempt('r1', 'fresh', { queueTimeoutMs: 60_000 }),
    ]);
    const first = await row('r1.gpu.1');
    expect(first.claim_deadline - first.published_at).toBe(60_000);
    // Published again (a coordinator taking over): the wait still counts from the first time.
    await sql(db.url, "UPDATE attempts SET published_at = published_at - 50000, claim_deadline = claim_deadline - 50000 WHERE id = 'r1.gpu.1'");
    await fleet.enqueueAttempts([attempt('r1', 'gpu', { runsOn: ['docker', 'gpu'], queueTimeoutMs: 60_000 })]);
    expect((await row('r1.gpu.1')).published_at).toBe(first.published_at - 50_000);

    const claimed = await fleet.claimAttempts('w1', { ...LEASE, tags: ['docker'], max: 1 });
    expect(claimed.map((c) => c.id)).toEqual(['r1.fresh.1']);
    await sql(db.url, "UPDATE attempts SET published_at = published_at - 60000, claim_deadline = claim_deadline - 60000 WHERE id IN ('r1.gpu.1', 'r1.fresh.1')");
    expect(await fleet.expireUnclaimed(['r2'])).toEqual([]);
    expect(await fleet.expireUnclaimed(['r1'])).toEqual([{ id: 'r1.gpu.1', runId: 'r1', missingTags: ['gpu'] }]);
    expect(await fleet.expireUnclaimed(['r1'])).toEqual([]);
    const failed = await row('r1.gpu.1');
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatchObject({ type: 'unclaimed', message: 'no worker claimed it within its queue timeout of 60.0 s: no live worker has gpu' });
    expect((await row('r1.fresh.1')).state).toBe('running');
    expect((await row('r1.held.1')).state).toBe('running');
    const [ended] = await fleet.takeCompleted(['r1']);
    expect(ended).toMatchObject({ id: 'r1.gpu.1', state: 'failed', error: { type: 'unclaimed', retryable: false } });
  });
});

describe('worker state as read', () => {
  it('draining and stopped read as stored; not stopped with a heartbeat older than its lease reads lost', async () => {
    const fleet = open();
    await fleet.registerWorker({ ...worker('a'), leaseMs: 2_000 });
    await fleet.registerWorker({ ...worker('b'), leaseMs: 2_000 });
    await fleet.registerWorker(worker('c'));
    await fleet.setWorkerState('b', 'draining');
    await fleet.setWorkerState('c', 'stopped');
    const states = async (): Promise<string[]> => (await fleet.listWorkers()).map((w) => `${w.id}:${w.state}`);
    expect(await states()).toEqual(['a:active', 'b:draining', 'c:stopped']);
    await sql(db.url, 'UPDATE workers SET heartbeat_at = heartbeat_at - 3000');
    expect(await states()).toEqual(['a:lost', 'b:lost', 'c:stopped']);
    // A worker row without a lease (written by an older baton) is given 30 s.
    await sql(db.url, "UPDATE workers SET lease_ms = NULL, heartbeat_at = baton_now_ms() - 20000 WHERE id = 'a'");
    expect((await states())[0]).toBe('a:active');
  });
});
