/**
 * `baton worker` on a real PostgreSQL: attempts are published straight to the fleet
 * (`enqueueAttempts` with hand-built tasks) and a worker claims, runs and completes them:
 * outputs, timeouts, cancels, sharing between workers, tags, lease loss, self-fencing,
 * drain, and the `worker`/`workers` commands. A fresh database per test.
 */
import { readFileSync, existsSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FleetStore, HeartbeatResult, PgFleetStore, WorkerRecord } from '../src/store/index.js';
import type { FleetTask, Worker, WorkerEvent, WorkerOptions } from '../src/runtime/index.js';
import { compileWorkflow, openPostgresStore, VirtualClock } from '../src/index.js';
import { createWorker, pidAlive, taskToJson } from '../src/runtime/index.js';
import { openFleetStore } from '../src/store/index.js';
import { buildApi, createToken } from '../src/server/index.js';
import type { StepInput } from '../src/workflow/index.js';
import { baton, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let fleet: PgFleetStore;
let dir: string;
let workers: Worker[] = [];
let stores: PgFleetStore[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  fleet = openFleetStore(db.url, { max: 2 });
  dir = tempDir('baton-worker-');
});

afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
  await Promise.all([fleet, ...stores].map((s) => s.close()));
  stores = [];
  await db.drop();
});

const IDLE = () => ({ cpu: 0, memFraction: 0, memBytes: 0 });

/** A started worker on its own pool; `events` collects its reports. */
async function startWorker(o: Partial<WorkerOptions> = {}): Promise<{ worker: Worker; events: WorkerEvent[]; store: PgFleetStore }> {
  const store = openFleetStore(db.url, { max: 3 });
  stores.push(store);
  const events: WorkerEvent[] = [];
  const worker = createWorker({
    fleet: store, version: '0.0.0-test', slots: 2, leaseMs: 5_000, heartbeatMs: 1_000, pollMs: 200, graceMs: 300,
    sampleLoad: IDLE, report: (e) => events.push(e), ...o,
  });
  workers.push(worker);
  await worker.start();
  return { worker, events, store };
}

/** Publishes one attempt of a one-step workflow whose step is `step`. */
async function publish(runId: string, step: StepInput & { id: string }, o: { runsOn?: string[]; number?: number } = {}): Promise<string> {
  const spec = compileWorkflow({ name: 'wf', steps: [step] }, { baseDir: dir });
  const compiled = spec.steps[0]!;
  const number = o.number ?? 1;
  const attemptId = `${runId}.${step.id}.${number}`;
  const task: FleetTask = {
    workflow: 'wf', version: 'v1', baseDir: dir, step: compiled, runId, stepId: step.id, attemptId, attempt: number, cwd: dir,
    env: { GREETING: 'hello' }, params: {}, inputs: null, outputs: {}, logPath: join(dir, 'logs', runId, `${step.id}.${number}.log`),
    ...(compiled.timeoutMs !== undefined ? { timeoutMs: compiled.timeoutMs } : {}),
  };
  await fleet.enqueueAttempts([{
    id: attemptId, runId, stepId: step.id, number, startedAt: Date.now(), priority: 0, task: taskToJson(task),
    ...(o.runsOn ? { runsOn: o.runsOn } : {}),
  }]);
  return attemptId;
}

type Completed = Awaited<ReturnType<FleetStore['takeCompleted']>>;

async function completed(runIds: string[], n = 1, timeoutMs = 5_000): Promise<Completed> {
  return waitFor(async () => {
    const done = await fleet.takeCompleted(runIds);
    return done.length >= n ? done : undefined;
  }, timeoutMs, `${n} completed attempts`);
}

async function pidFrom(path: string): Promise<number> {
  return waitFor(() => (existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) || undefined : undefined), 5_000, `pid in ${path}`);
}

describe('worker', () => {
  it('claims a shell attempt, runs it with its env and completes it succeeded with the $BATON_OUTPUT value', async () => {
    const { worker, events } = await startWorker();
    const id = await publish('r1', { id: 'a', run: 'echo "$GREETING from $BATON_ATTEMPT_ID"; printf \'{"n": 42}\' > "$BATON_OUTPUT"' });
    const [done] = await completed(['r1']);
    expect(done).toMatchObject({ id, state: 'succeeded', exitCode: 0, output: { n: 42 }, worker: worker.id, fence: 1 });
    expect(readFileSync(join(dir, 'logs', 'r1', 'a.1.log'), 'utf8')).toBe(`hello from ${id}\n`);
    expect(events.map((e) => e.kind)).toEqual(['started', 'claimed', 'completed']);
    expect(events[2]).toMatchObject({ kind: 'completed', attemptId: id, state: 'succeeded', result: 'applied' });
    const [w] = await fleet.listWorkers();
    expect(w).toMatchObject({ id: worker.id, state: 'active', slots: 2, platform: process.platform });
  });

  it('a timed-out attempt fails with type timeout even though it exits 0 on SIGTERM, and its process group is gone', async () => {
    await startWorker();
    const pidFile = join(dir, 'child.pid');
    await publish('r1', { id: 't', run: `trap 'exit 0' TERM; sleep 30 & echo $! > "${pidFile}"; wait`, timeout: '500ms' });
    const child = await pidFrom(pidFile);
    const [done] = await completed(['r1']);
    expect(done).toMatchObject({ state: 'failed', error: { type: 'timeout', message: 'timed out after 500ms', retryable: true } });
    expect(pidAlive(child)).toBe(false);
  });

  it('a cancel request stops a running sleep 30 within a second (NOTIFY, not the heartbeat) and completes it cancelled', async () => {
    const { worker } = await startWorker({ heartbeatMs: 4_000 });
    const pidFile = join(dir, 'sleep.pid');
    const id = await publish('r1', { id: 's', run: `echo $$ > "${pidFile}"; sleep 30` });
    await waitFor(() => worker.running().includes(id), 5_000, 'the claim');
    const pid = await pidFrom(pidFile);
    const t0 = Date.now();
    expect(await fleet.requestAttemptCancel([id])).toEqual({ claimed: [id], unclaimed: [] });
    const [done] = await completed(['r1']);
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(done).toMatchObject({ id, state: 'cancelled' });
    expect(pidAlive(pid)).toBe(false);
  });

  it('two workers with 2 slots each share 8 attempts, each completed once, at most 2 at a time per worker', async () => {
    const a = await startWorker();
    const b = await startWorker();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await publish('r1', { id: `s${i}`, run: 'sleep 0.3' }));
    const done = await completed(['r1'], 8, 10_000);
    expect(done.map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(done.every((d) => d.state === 'succeeded' && d.fence === 1)).toBe(true);
    const by = new Set(done.map((d) => d.worker));
    expect(by).toEqual(new Set([a.worker.id, b.worker.id]));
    for (const w of [a, b]) {
      let running = 0;
      let peak = 0;
      for (const e of w.events) {
        if (e.kind === 'claimed') peak = Math.max(peak, ++running);
        if (e.kind === 'completed') running--;
      }
      expect(peak).toBeLessThanOrEqual(2);
      expect(w.events.filter((e) => e.kind === 'completed').every((e) => e.kind === 'completed' && e.result === 'applied')).toBe(true);
    }
    const events = await sql(db.url, "SELECT * FROM events WHERE type = 'attempt-discarded'");
    expect(events).toEqual([]);
  });

  it('a worker gets only attempts its tags cover; a gpu worker takes the gpu one', async () => {
    const base = openFleetStore(db.url, { max: 3 });
    stores.push(base);
    // Counts the worker's claim exchanges, so the test waits for two of them, not a time.
    let exchanges = 0;
    const counted: FleetStore = Object.create(base) as FleetStore;
    counted.completeAndClaim = (...args) => (exchanges++, base.completeAndClaim(...args));
    const plain = await startWorker({ fleet: counted });
    const gpuId = await publish('r1', { id: 'train', run: 'true' }, { runsOn: ['gpu'] });
    const anyId = await publish('r1', { id: 'any', run: 'true' });
    const [first] = await completed(['r1']);
    expect(first).toMatchObject({ id: anyId, worker: plain.worker.id });
    await fleet.markApplied([anyId]);
    const seen = exchanges;
    await waitFor(() => exchanges >= seen + 2, 10_000, 'two more claim exchanges'); // it looked twice: still nobody may take it
    expect(await sql(db.url, 'SELECT claimed_by FROM attempts WHERE id = $1', [gpuId])).toEqual([{ claimed_by: null }]);
    const gpu = await startWorker({ tags: ['gpu'] });
    const [second] = await completed(['r1']);
    expect(second).toMatchObject({ id: gpuId, state: 'succeeded', worker: gpu.worker.id });
  });

  it('an attempt whose lease was reaped is killed at the next heartbeat; its late report is discarded', async () => {
    const { worker, events } = await startWorker({ leaseMs: 2_000, heartbeatMs: 200 });
    const pidFile = join(dir, 'sleep.pid');
    const id = await publish('r1', { id: 's', run: `sleep 30 & echo $! > "${pidFile}"; wait` });
    const child = await pidFrom(pidFile);
    // A heartbeat between the expiry and the reap renews the lease: expire it again until the reap takes it.
    const reaped: string[] = [];
    await waitFor(async () => {
      await sql(db.url, 'UPDATE attempts SET lease_expires_at = baton_now_ms() - 1 WHERE id = $1 AND state = $2', [id, 'running']);
      reaped.push(...(await fleet.reapExpired()).map((r) => r.id));
      return reaped.length > 0;
    }, 5_000, 'the reap');
    expect(reaped).toEqual([id]);
    await waitFor(() => events.some((e) => e.kind === 'completed'), 3_000, 'the late report');
    expect(events.filter((e) => e.kind === 'lease-lost')).toEqual([{ kind: 'lease-lost', attemptId: id }]);
    expect(events.find((e) => e.kind === 'completed')).toMatchObject({ attemptId: id, result: 'discarded' });
    await waitFor(() => !pidAlive(child), 2_000, 'the process to die');
    expect(worker.running()).toEqual([]);
    const [lost] = await fleet.takeCompleted(['r1']);
    expect(lost).toMatchObject({ id, state: 'lost' });
    const discarded = await sql(db.url, "SELECT attempt_id FROM events WHERE type = 'attempt-discarded'");
    expect(discarded).toEqual([{ attempt_id: id }]);
  });

  it('self-fences when heartbeats fail: kills what it runs, claims nothing, resumes once a heartbeat succeeds', async () => {
    const store = openFleetStore(db.url, { max: 3 });
    stores.push(store);
    let down = false;
    const flaky: FleetStore = Object.create(store) as FleetStore;
    let failedBeats = 0;
    flaky.heartbeatWorker = (id, load) => (down ? (failedBeats++, Promise.reject(new Error('connection refused'))) : store.heartbeatWorker(id, load));
    flaky.claimAttempts = (id, req) => (down ? Promise.reject(new Error('connection refused')) : store.claimAttempts(id, req));
    const { worker, events } = await startWorker({ fleet: flaky, leaseMs: 1_000, heartbeatMs: 200 });
    const pidFile = join(dir, 'sleep.pid');
    const id = await publish('r1', { id: 's', run: `sleep 30 & echo $! > "${pidFile}"; wait` });
    const child = await pidFrom(pidFile);
    down = true;
    const fenced = await waitFor(() => events.find((e) => e.kind === 'fenced'), 3_000, 'the fence');
    expect(fenced).toMatchObject({ killed: [id] });
    await waitFor(() => !pidAlive(child), 2_000, 'the process to die');
    await waitFor(() => worker.running().length === 0, 2_000, 'the attempt to end');
    const next = await publish('r1', { id: 'later', run: 'true' });
    // Two more failed heartbeats while fenced: time in which a claim would have happened.
    const beats = failedBeats;
    await waitFor(() => failedBeats >= beats + 2, 5_000, 'two more failed heartbeats');
    expect(await sql(db.url, 'SELECT claimed_by FROM attempts WHERE id = $1', [next])).toEqual([{ claimed_by: null }]);
    down = false;
    await waitFor(() => events.some((e) => e.kind === 'unfenced'), 3_000, 'the fence to lift');
    const done = await completed(['r1'], 2);
    expect(done.find((d) => d.id === next)).toMatchObject({ state: 'succeeded' });
    expect(done.find((d) => d.id === id)).toMatchObject({ state: 'failed', error: { type: 'lost', retryable: true } });
  });

  it('heartbeats follow the worker\'s clock: advancing a virtual clock by the interval renews the lease of what it runs, at once', async () => {
    const store = openFleetStore(db.url, { max: 3 });
    stores.push(store);
    const beats: Promise<HeartbeatResult>[] = [];
    const counted: FleetStore = Object.create(store) as FleetStore;
    counted.heartbeatWorker = (id, load, held) => {
      const beat = store.heartbeatWorker(id, load, held);
      beats.push(beat);
      return beat;
    };
    // A 10 s heartbeat: on real timers none would come while this test runs.
    const clock = new VirtualClock();
    const { worker } = await startWorker({ fleet: counted, clock, leaseMs: 60_000, heartbeatMs: 10_000 });
    const id = await publish('r1', { id: 's', run: 'sleep 30' });
    await waitFor(() => worker.running().includes(id), 5_000, 'the claim');
    clock.advance(9_999);
    expect(beats).toHaveLength(0);
    clock.advance(1);
    expect(beats).toHaveLength(1);
    expect((await beats[0])!.renewed).toEqual([id]);
    // The next interval's beat, sent as soon as the first one's answer is handled.
    clock.advance(10_000);
    await waitFor(() => beats.length === 2, 2_000, 'the second heartbeat');
    expect((await beats[1])!.renewed).toEqual([id]);
  });

  it('drain lets short attempts finish, kills the rest after the grace, completes them failed/retryable, then stops', async () => {
    const { worker, events } = await startWorker();
    const quick = await publish('r1', { id: 'quick', run: 'sleep 0.2' });
    const slow = await publish('r1', { id: 'slow', run: 'sleep 30' });
    await waitFor(() => worker.running().length === 2, 5_000, 'both claims');
    await worker.drain(1_000);
    const done = await fleet.takeCompleted(['r1']);
    expect(done.find((d) => d.id === quick)).toMatchObject({ state: 'succeeded' });
    expect(done.find((d) => d.id === slow)).toMatchObject({ state: 'failed', error: { type: 'lost', retryable: true } });
    expect(events.map((e) => e.kind)).toContain('draining');
    const [w] = await fleet.listWorkers();
    expect(w!.state).toBe('stopped');
  });

  it('a batch step is completed failed, not retryable', async () => {
    await startWorker();
    const spec = compileWorkflow({ name: 'wf', steps: [{ id: 'a', run: 'true' }] }, { baseDir: dir });
    const step = { ...spec.steps[0]!, batch: {} } as unknown as FleetTask['step'];
    const task: FleetTask = {
      workflow: 'wf', version: 'v1', baseDir: dir, step, runId: 'r1', stepId: 'a', attemptId: 'r1.a.1', attempt: 1, cwd: dir,
      env: {}, params: {}, inputs: null, outputs: {}, logPath: join(dir, 'a.log'),
    };
    await fleet.enqueueAttempts([{ id: 'r1.a.1', runId: 'r1', stepId: 'a', number: 1, startedAt: 1, priority: 0, task: taskToJson(task) }]);
    const [done] = await completed(['r1']);
    expect(done).toMatchObject({ state: 'failed', error: { type: 'unsupported', retryable: false } });
  });
});

describe('worker on a busy machine', () => {
  const BUSY = () => ({ cpu: 5, memFraction: 0.1, memBytes: 1 });

  it('on a busy machine the throttle takes the worker down to one slot: it still claims one, and no more', async () => {
    const { events } = await startWorker({ sampleLoad: BUSY, slots: 2 });
    const drop = await waitFor(() => events.find((e) => e.kind === 'throttle'), 5_000, 'the throttle to lower the limit');
    expect(drop).toMatchObject({ from: 2, to: 1, reason: 'cpu 500 % > 80 %' });
    await publish('r1', { id: 'a', run: 'sleep 30' });
    await waitFor(() => events.some((e) => e.kind === 'claimed'), 5_000, 'the worker to claim one on a busy machine');
    await publish('r2', { id: 'b', run: 'true' });
    // Its heartbeat tells the fleet why: the machine is busy, the limit and its reason.
    const listed = await waitFor(async () => {
      const w = (await fleet.listWorkers())[0];
      return w?.load?.throttled === true ? w : undefined;
    }, 5_000, 'the throttle in the heartbeat');
    expect(listed.load).toMatchObject({ limit: 1, limitReason: 'cpu 500 % > 80 %', slotsInUse: 1 });
    // `baton workers` shows the limit against the slots, and why.
    const table = await baton(['workers', '--database-url', db.url], dir);
    expect(table.stdout).toMatch(/ 1\/2 /);
    expect(table.stdout).toContain(': throttled to 1 of 2 slots: cpu 500 % > 80 %');
    expect(events.filter((e) => e.kind === 'claimed')).toHaveLength(1);
    const [waiting] = await fleet.waitingAttempts(['r2']);
    expect(waiting).toMatchObject({ stepId: 'b', reason: 'workers-busy' });
    expect(waiting!.detail).toContain('machine busy');
  });

  it('with throttle: false the slots stay fixed whatever the load', async () => {
    const { worker, events } = await startWorker({ sampleLoad: BUSY, slots: 2, throttle: false });
    expect(worker.throttle()).toBeUndefined();
    await publish('r1', { id: 'a', run: 'sleep 30' });
    await publish('r2', { id: 'b', run: 'sleep 30' });
    await waitFor(() => events.filter((e) => e.kind === 'claimed').length === 2 || undefined, 5_000, 'both claimed');
    expect(events.some((e) => e.kind === 'throttle')).toBe(false);
  });
});

describe('baton worker / baton workers', () => {
  it('needs a database URL', async () => {
    const r = await baton(['worker'], dir, { BATON_DATABASE_URL: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--database-url');
  });

  it('a running worker is listed by `baton workers --json`; SIGTERM drains it to stopped', async () => {
    const proc = spawnBaton(['worker', '--database-url', db.url, '--slots', '3', '--tags', 'docker', '--max-cpu', '1000'], dir);
    try {
      const listed = await waitFor(async () => {
        const r = await baton(['workers', '--json', '--database-url', db.url], dir);
        const ws = JSON.parse(r.stdout || '[]') as WorkerRecord[];
        return ws.length ? ws : undefined;
      }, 10_000, 'the worker in baton workers');
      // The given tag, beside the detected ones (this machine's tools: see worker-capabilities.test.ts).
      expect(listed[0]).toMatchObject({ state: 'active', slots: 3, pid: proc.child.pid });
      expect(listed[0]!.tags).toEqual(expect.arrayContaining(['docker', arch()]));
      expect(listed[0]!.heartbeatAgeMs).toBeLessThan(10_000);
      const id = await publish('r1', { id: 'a', run: 'printf 7 > "$BATON_OUTPUT"' });
      const [done] = await completed(['r1'], 1, 10_000);
      expect(done).toMatchObject({ id, state: 'succeeded', output: 7, worker: listed[0]!.id });
      const table = await baton(['workers', '--database-url', db.url], dir);
      expect(table.stdout).toContain(listed[0]!.id);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.stdout()).toContain(`claimed ${id}`);
      expect(proc.stdout()).toContain(`${id} succeeded`);
      const [w] = await fleet.listWorkers();
      expect(w!.state).toBe('stopped');
      expect(w!.stoppedAt).toBeGreaterThan(0);
    } finally {
      proc.child.kill('SIGKILL');
    }
  }, 20_000);

  it('a worker killed with SIGKILL is listed lost once its lease lapses; gone workers are pruned after the retention', async () => {
    const proc = spawnBaton(['worker', '--database-url', db.url, '--slots', '1', '--lease', '1500ms', '--heartbeat', '300ms'], dir);
    let id: string;
    try {
      id = (await waitFor(async () => (await fleet.listWorkers())[0], 10_000, 'the worker to register')).id;
      expect((await fleet.listWorkers())[0]).toMatchObject({ state: 'active', leaseMs: 1_500 });
    } finally {
      proc.child.kill('SIGKILL');
    }
    await proc.exited;
    await waitFor(async () => (await fleet.listWorkers())[0]?.state === 'lost', 10_000, 'the killed worker to read lost');
    const json = JSON.parse((await baton(['workers', '--json', '--database-url', db.url], dir)).stdout) as WorkerRecord[];
    expect(json).toMatchObject([{ id, state: 'lost' }]);
    // Its last load is stale: the table shows no slots in use for a lost worker.
    await sql(db.url, `UPDATE workers SET load = '{"cpu":0.5,"mem":1073741824,"slotsInUse":1}'`);
    const line = (await baton(['workers', '--database-url', db.url], dir)).stdout.split('\n').find((l) => l.startsWith(id));
    expect(line).toMatch(/\blost\s+1\s+-\s+-\s+-\s/);
    // And the API.
    const store = openPostgresStore(db.url, { max: 1 });
    const app = await buildApi({ store, dataDir: dir, fleet });
    try {
      const { token } = await createToken(store, 'viewer', 'test', Date.now());
      const res = await app.inject({ method: 'GET', url: '/api/v1/workers', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ workers: WorkerRecord[] }>().workers).toMatchObject([{ id, state: 'lost', leaseMs: 1_500 }]);
    } finally {
      await app.close();
      await store.close();
    }

    // Within the retention it stays listed; older, the housekeeping of any live worker deletes it.
    expect(await fleet.pruneWorkers()).toBe(0);
    await sql(db.url, 'UPDATE workers SET heartbeat_at = heartbeat_at - 25 * 3600 * 1000 WHERE id = $1', [id]);
    const { worker: live } = await startWorker();
    await waitFor(async () => {
      const ids = (await fleet.listWorkers()).map((w) => w.id);
      return ids.length === 1 && ids[0] === live.id;
    }, 5_000, 'the lost worker to be pruned');
    // A stopped one too, 24 h after it stopped; the live one stays.
    await live.stop();
    expect(await fleet.pruneWorkers()).toBe(0);
    await sql(db.url, 'UPDATE workers SET stopped_at = stopped_at - 25 * 3600 * 1000');
    expect(await fleet.pruneWorkers()).toBe(1);
    expect(await fleet.listWorkers()).toEqual([]);
  }, 30_000);
});
