/**
 * Retention end to end, on SQLite and on PostgreSQL, on a VirtualClock: which runs, events
 * and log files a pass deletes (old finished runs whole, never an unfinished one, a
 * workflow's own retention first, events and logs of runs kept), that no transaction
 * touches more rows than the batch size, the periodic loop of a server, and two pruners on
 * one PostgreSQL database: one prunes at a time, every row is deleted once.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/index.js';
import { openPostgresStore, openSqliteStore, VirtualClock } from '../src/index.js';
import type { RetentionStore } from '../src/store/index.js';
import { Pruner, pruneUnderLease, RetentionLoop } from '../src/observe/index.js';
import { processOnStore, serve } from '../src/modes/index.js';
import { D, DAY0, writeRun } from './conformance-history.js';
import type { RunFix } from './conformance-history.js';
import { tempDir } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

const NOW = DAY0 + 100 * D;
const steps = (n = 2): RunFix['steps'] => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, state: 'succeeded' as const, ms: 5 }));

/** Saves a workflow version (the pruner reads each workflow's newest definition for its own `retention`). */
async function saveWorkflow(store: Store, name: string, version: string, retention?: Record<string, number>): Promise<void> {
  await store.saveWorkflow({ version, name, definition: { name, params: {}, concurrency: 1, retry: { attempts: 1, backoff: 'fixed', delayMs: 0, factor: 2, maxDelayMs: 0, jitter: 0 }, pools: {}, env: {}, schedules: [], steps: [], baseDir: '/', ...(retention ? { retention } : {}) }, createdAt: NOW - 200 * D });
}

/** Writes a run and a real log file for each of its attempts. */
async function runWithLogs(store: Store, logs: string, r: RunFix, o: { version?: string; extraEvents?: number } = {}): Promise<void> {
  await writeRun(store, r, { logsDir: logs, ...o });
  for (const a of await store.getAttempts(r.id)) {
    mkdirSync(dirname(a.logPath!), { recursive: true });
    writeFileSync(a.logPath!, `log of ${a.id}\n`);
  }
}

/** A view of a store whose retention calls are recorded, to check every batch's size. */
function recording(store: Store): { store: Store; writes: { method: string; rows: number }[] } {
  const writes: { method: string; rows: number }[] = [];
  const rs = store.retention;
  const count = (method: string, v: unknown): void => {
    if (method === 'retireRuns' && Array.isArray(v)) writes.push({ method, rows: v.length });
    if (method === 'deleteRetiredAttempts' || method === 'forgetLogs') writes.push({ method, rows: v as number });
    if (method === 'dropRetired') {
      const c = v as Record<string, number>;
      writes.push({ method, rows: c.events! + c.stepRuns! + c.batchGroups! + c.webhookDeliveries! });
    }
    if (method === 'pruneEvents') writes.push({ method, rows: (v as { deleted: number }).deleted });
  };
  const retention = new Proxy(rs, {
    get(target, key: keyof RetentionStore) {
      return async (...args: unknown[]) => {
        const v = await (Reflect.get(target, key) as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        count(key, v);
        return v;
      };
    },
  });
  return { store: new Proxy(store, { get: (t, k) => (k === 'retention' ? retention : Reflect.get(t, k)) as unknown }), writes };
}

interface Rig {
  store: Store;
  dir: string;
  logs: string;
}

function retentionSuite(name: string, open: (dir: string) => Promise<Store>): void {
  describe(`retention on ${name}`, () => {
    let rig: Rig;
    beforeEach(async () => {
      const dir = tempDir('baton-retention-');
      const store = await open(dir);
      rig = { store, dir, logs: join(dir, 'logs') };
      await saveWorkflow(store, 'wf', 'v1');
    });
    afterEach(async () => {
      await rig.store.close();
      rmSync(rig.dir, { recursive: true, force: true });
    });

    it('deletes old finished runs whole with their log files; keeps new runs and every unfinished run however old', async () => {
      const { store, logs } = rig;
      await runWithLogs(store, logs, { id: 'old1', workflow: 'wf', state: 'succeeded', start: NOW - 40 * D, ms: 100, steps: steps() }, { extraEvents: 20 });
      await runWithLogs(store, logs, { id: 'old2', workflow: 'wf', state: 'failed', start: NOW - 31 * D, ms: 100, steps: [{ id: 's0', state: 'failed', ms: 5, error: 'x' }] });
      await runWithLogs(store, logs, { id: 'new1', workflow: 'wf', state: 'succeeded', start: NOW - 29 * D, ms: 100, steps: steps() });
      await runWithLogs(store, logs, { id: 'busy', workflow: 'wf', state: 'running', start: NOW - 90 * D, ms: 0, steps: [{ id: 's0', state: 'succeeded', ms: 5 }, { id: 's1', state: 'running', ms: 5 }] });
      await store.createRun({ id: 'later', workflow: 'wf', version: 'v1', state: 'pending', trigger: 'manual', params: {}, priority: 0, stepCount: 1, createdAt: NOW - 90 * D, dueAt: NOW + D },
        [{ runId: 'later', stepId: 's0', position: 0, state: 'pending', attempts: 0, lostAttempts: 0 }], []);
      const outside = join(rig.dir, 'elsewhere.log');
      writeFileSync(outside, 'not baton\'s\n');
      await writeRun(store, { id: 'stray', workflow: 'wf', state: 'succeeded', start: NOW - 50 * D, ms: 1, steps: [{ id: 's0', state: 'succeeded', ms: 1 }] }, { logsDir: rig.dir });
      mkdirSync(join(rig.dir, 'stray'));
      writeFileSync(join(rig.dir, 'stray', 's0.1.log'), 'x'); // writeRun named it <dir>/stray/s0.1.log: outside logs/
      const clock = new VirtualClock(NOW);
      const report = await new Pruner({ store, dataDir: rig.dir }).prune(clock.now());
      expect(report.counts.runs).toEqual({ runs: 3, stepRuns: 4, attempts: 4, events: 1 + 2 + 20 + 1 + 1 + 1 + 1, batchGroups: 0, logFiles: 3, webhookDeliveries: 0 });
      expect(report.counts.events).toBe(0);
      expect(report.warnings).toEqual([]);
      for (const id of ['old1', 'old2', 'stray']) expect(await store.getRun(id)).toBeUndefined();
      for (const id of ['old1', 'old2']) {
        expect(await store.getEvents(id)).toEqual([]);
        expect(await store.getAttempts(id)).toEqual([]);
        expect(existsSync(join(logs, id))).toBe(false);
      }
      expect((await store.getRun('new1'))?.state).toBe('succeeded');
      expect((await store.getRun('busy'))?.state).toBe('running');
      expect((await store.getAttempts('busy')).length).toBe(2);
      expect((await store.getRun('later'))?.state).toBe('pending');
      expect(readdirSync(logs).sort()).toEqual(['busy', 'new1']);
      expect(existsSync(outside) && existsSync(join(rig.dir, 'stray', 's0.1.log'))).toBe(true); // outside <dataDir>/logs: left alone
      expect(await store.retention.countRetired()).toBe(0);
      // A second pass finds nothing.
      expect((await new Pruner({ store, dataDir: rig.dir }).prune(clock.now())).counts.runs.runs).toBe(0);
    });

    it('a workflow\'s own retention replaces the server\'s for its runs, field by field', async () => {
      const { store, logs } = rig;
      await saveWorkflow(store, 'keep', 'k1');
      await saveWorkflow(store, 'keep', 'k2', { runsMs: 90 * D }); // the newest version's counts
      await saveWorkflow(store, 'short', 's1', { runsMs: 2 * D, logsMs: D });
      await runWithLogs(store, logs, { id: 'keep40', workflow: 'keep', state: 'succeeded', start: NOW - 40 * D, ms: 1, steps: steps(1) }, { version: 'k1' });
      await runWithLogs(store, logs, { id: 'keep95', workflow: 'keep', state: 'succeeded', start: NOW - 95 * D, ms: 1, steps: steps(1) }, { version: 'k2' });
      await runWithLogs(store, logs, { id: 'short3', workflow: 'short', state: 'succeeded', start: NOW - 3 * D, ms: 1, steps: steps(1) }, { version: 's1' });
      await runWithLogs(store, logs, { id: 'short1', workflow: 'short', state: 'succeeded', start: NOW - 1.5 * D, ms: 1, steps: steps(1) }, { version: 's1' });
      await runWithLogs(store, logs, { id: 'wf40', workflow: 'wf', state: 'succeeded', start: NOW - 40 * D, ms: 1, steps: steps(1) });
      await runWithLogs(store, logs, { id: 'wf3', workflow: 'wf', state: 'succeeded', start: NOW - 3 * D, ms: 1, steps: steps(1) });
      const report = await new Pruner({ store, dataDir: rig.dir }).prune(NOW);
      const left = (await store.listRuns({ limit: 100 })).map((r) => r.id).sort();
      expect(left).toEqual(['keep40', 'short1', 'wf3']);
      expect(report.counts.runs.runs).toBe(3);
      // short's logs: 1 day; its run of 1.5 days ago keeps its row, loses its log. keep's
      // logs follow the server's 30 days: its run of 40 days ago keeps its row, not its log.
      expect(report.counts.logs).toBe(2);
      expect((await store.getAttempts('short1'))[0]?.logPath).toBeUndefined();
      expect((await store.getAttempts('keep40'))[0]?.logPath).toBeUndefined();
      expect(existsSync(join(logs, 'short1'))).toBe(false);
      expect((await store.getAttempts('wf3'))[0]?.logPath).toBeDefined();
    });

    it('events-only: events of finished runs past their age go, the runs and their steps stay; logs likewise', async () => {
      const { store, logs } = rig;
      for (let i = 0; i < 5; i++) await runWithLogs(store, logs, { id: `r${i}`, workflow: 'wf', state: 'succeeded', start: NOW - (10 + i) * D, ms: 1, steps: steps(3) }, { extraEvents: 7 });
      await runWithLogs(store, logs, { id: 'fresh', workflow: 'wf', state: 'succeeded', start: NOW - 2 * D, ms: 1, steps: steps(3) });
      await runWithLogs(store, logs, { id: 'busy', workflow: 'wf', state: 'running', start: NOW - 20 * D, ms: 0, steps: [{ id: 's0', state: 'succeeded', ms: 5 }, { id: 's1', state: 'running', ms: 5 }] });
      const { store: watched, writes } = recording(store);
      const pruner = new Pruner({ store: watched, dataDir: rig.dir, maxAgeMs: { runs: 60 * D, events: 7 * D, logs: 12 * D }, batchSize: 4, pauseMs: 0, idleRatio: 0 });
      const dry = await pruner.dryRun(NOW);
      expect(dry.counts).toEqual({ runs: { runs: 0, stepRuns: 0, attempts: 0, events: 0, batchGroups: 0, logFiles: 0, webhookDeliveries: 0 }, events: 5 * 11, logs: 2 * 3, extra: {} }); // logs: r3, r4 (r2 ended 1 ms after the cutoff)
      expect((await store.getEvents('r0')).length).toBe(11); // a dry run changes nothing
      const report = await pruner.prune(NOW);
      expect(report.counts.events).toBe(5 * 11);
      expect(report.counts.logs).toBe(6);
      for (let i = 0; i < 5; i++) {
        expect(await store.getEvents(`r${i}`)).toEqual([]);
        expect((await store.getStepRuns(`r${i}`)).map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
        expect((await store.getRun(`r${i}`))?.state).toBe('succeeded');
      }
      expect((await store.getAttempts('r0')).every((a) => a.logPath !== undefined)).toBe(true); // 10 days: within 12
      expect((await store.getAttempts('r4')).every((a) => a.logPath === undefined)).toBe(true); // 14 days
      expect(existsSync(join(logs, 'r4'))).toBe(false);
      expect(existsSync(join(logs, 'r0'))).toBe(true);
      expect((await store.getEvents('fresh')).length).toBe(4);
      expect((await store.getEvents('busy')).length).toBe(3);
      // Batch limits: no write touched more than 4 rows, and 55 events took at least 14 of them.
      expect(writes.length).toBeGreaterThan(0);
      expect(writes.filter((w) => w.rows > 4)).toEqual([]);
      expect(writes.filter((w) => w.method === 'pruneEvents').length).toBeGreaterThanOrEqual(14);
    });

    it('batch limits hold for runs too: every transaction deletes at most batchSize rows', async () => {
      const { store, logs } = rig;
      for (let i = 0; i < 7; i++) await runWithLogs(store, logs, { id: `o${i}`, workflow: 'wf', state: 'succeeded', start: NOW - (40 + i) * D, ms: 1, steps: steps(4) }, { extraEvents: 9 });
      const { store: watched, writes } = recording(store);
      const report = await new Pruner({ store: watched, dataDir: rig.dir, batchSize: 5, pauseMs: 0, idleRatio: 0 }).prune(NOW);
      expect(report.counts.runs).toMatchObject({ runs: 7, stepRuns: 28, attempts: 28, events: 7 * 14, logFiles: 28 });
      expect(writes.filter((w) => w.rows > 5)).toEqual([]);
      // 7 runs retired one at a time (a tenth of 5, rounded up), 28 attempts, 98 events + 28 step runs.
      expect(writes.filter((w) => w.method === 'retireRuns').map((w) => w.rows)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
      expect(writes.filter((w) => w.method === 'dropRetired').length).toBeGreaterThanOrEqual(26);
      expect(report.batches).toBe(writes.filter((w) => w.method !== 'forgetLogs').length);
    });

    it('a stopped pass leaves tombstones the next pass finishes', async () => {
      const { store, logs } = rig;
      for (let i = 0; i < 3; i++) await runWithLogs(store, logs, { id: `o${i}`, workflow: 'wf', state: 'succeeded', start: NOW - (40 + i) * D, ms: 1, steps: steps(2) }, { extraEvents: 5 });
      let batches = 0;
      const pruner = new Pruner({ store, dataDir: rig.dir, batchSize: 2, pauseMs: 0, idleRatio: 0 });
      const first = await pruner.prune(NOW, () => ++batches <= 3);
      expect(first.counts.runs.runs).toBe(3); // retired one a batch (a tenth of 2, rounded up), then stopped before deleting their rows
      expect(await store.retention.countRetired()).toBe(3);
      expect(await store.listRuns()).toEqual([]);
      await pruner.prune(NOW);
      expect(await store.retention.countRetired()).toBe(0);
      expect(readdirSync(logs)).toEqual([]);
    });

    it('a server prunes on its clock: a minute after start, then every interval', async () => {
      const { store, logs } = rig;
      await runWithLogs(store, logs, { id: 'old', workflow: 'wf', state: 'succeeded', start: NOW - 40 * D, ms: 1, steps: steps(1) });
      const clock = new VirtualClock(NOW);
      const reports: number[] = [];
      const proc = processOnStore({ mode: 'server', store, dataDir: rig.dir, clock });
      const server = await serve(proc, { report: () => undefined, api: false, retention: { report: (r) => reports.push(r.counts.runs.runs) } });
      try {
        const loop = server.retention!;
        clock.advance(59_999);
        expect(loop.current).toBeUndefined();
        clock.advance(1);
        await loop.current;
        expect(reports).toEqual([1]);
        expect(await store.getRun('old')).toBeUndefined();
        // The next pass: 10 minutes after this one ended.
        await runWithLogs(store, logs, { id: 'old2', workflow: 'wf', state: 'succeeded', start: NOW - 31 * D, ms: 1, steps: steps(1) });
        clock.advance(599_999);
        expect(loop.current).toBeUndefined();
        clock.advance(1);
        await loop.current;
        expect(reports).toEqual([1, 1]);
      } finally {
        await server.close();
      }
    });
  });
}

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

retentionSuite('SQLite', async (dir) => {
  const store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  return store;
});

retentionSuite('PostgreSQL', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const store = openPostgresStore(db.url, { max: 4 });
  await store.migrate();
  return store;
});

describe('retention: two pruners on one PostgreSQL database', () => {
  it('one prunes at a time under the lease; every row is deleted once, counted once, without errors', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const dir = tempDir('baton-retention-');
    const stores = [openPostgresStore(db.url, { max: 2 }), openPostgresStore(db.url, { max: 2 })];
    try {
      const [a, b] = [stores[0]!, stores[1]!];
      await saveWorkflow(a, 'wf', 'v1');
      for (let i = 0; i < 30; i++) await runWithLogs(a, join(dir, 'logs'), { id: `o${String(i).padStart(2, '0')}`, workflow: 'wf', state: 'succeeded', start: NOW - (31 + i) * D, ms: 1, steps: steps(2) }, { extraEvents: 10 });
      const clock = new VirtualClock(NOW);
      const pass = (store: Store) => pruneUnderLease({ store, clock, pruner: new Pruner({ store, dataDir: dir, batchSize: 7, pauseMs: 1, idleRatio: 0 }) });
      const results = await Promise.all([pass(a), pass(b), pass(a), pass(b)]);
      const ran = results.filter((r) => r.skipped === undefined);
      expect(ran.length).toBeGreaterThanOrEqual(1);
      const total = (k: 'runs' | 'stepRuns' | 'attempts' | 'events' | 'logFiles') => results.reduce((n, r) => n + r.counts.runs[k], 0);
      expect({ runs: total('runs'), stepRuns: total('stepRuns'), attempts: total('attempts'), events: total('events'), logFiles: total('logFiles') })
        .toEqual({ runs: 30, stepRuns: 60, attempts: 60, events: 30 * 13, logFiles: 60 });
      expect(results.flatMap((r) => r.warnings)).toEqual([]);
      // While one pass ran, the others found the lease taken.
      const skipped = results.filter((r) => r.skipped !== undefined);
      expect(skipped.length).toBeGreaterThanOrEqual(1);
      expect(skipped.every((r) => /lease/.test(r.skipped!) && r.batches === 0)).toBe(true);
      expect(await a.listRuns()).toEqual([]);
      expect(await b.retention.countRetired()).toBe(0);
      // Free again once the passes are over.
      expect(await b.retention.tryLease('retention', 'someone', 1_000, Date.now())).toBe(true);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two servers: their loops fire together, one prunes, the other is skipped', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const dir = tempDir('baton-retention-');
    const stores = [openPostgresStore(db.url, { max: 2 }), openPostgresStore(db.url, { max: 2 })];
    const clock = new VirtualClock(NOW);
    const reports: { loop: number; runs: number; skipped: boolean }[] = [];
    const loops = stores.map((store, i) => new RetentionLoop({
      store, clock, pruner: new Pruner({ store, dataDir: dir, batchSize: 3, pauseMs: 2, idleRatio: 0 }),
      report: (r) => reports.push({ loop: i, runs: r.counts.runs.runs, skipped: r.skipped !== undefined }),
    }));
    try {
      await saveWorkflow(stores[0]!, 'wf', 'v1');
      for (let i = 0; i < 10; i++) await runWithLogs(stores[0]!, join(dir, 'logs'), { id: `o${i}`, workflow: 'wf', state: 'succeeded', start: NOW - (31 + i) * D, ms: 1, steps: steps(1) });
      for (const l of loops) l.start();
      clock.advance(60_000);
      await Promise.all(loops.map((l) => l.current ?? Promise.resolve(undefined)));
      expect(reports.reduce((n, r) => n + r.runs, 0)).toBe(10);
      expect(reports.filter((r) => !r.skipped).length).toBeGreaterThanOrEqual(1);
      expect(reports).toHaveLength(2);
    } finally {
      await Promise.all(loops.map((l) => l.stop()));
      await Promise.all(stores.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
