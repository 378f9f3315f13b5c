/**
 * One conformance suite for every `Store` implementation (as Hono runs one router suite
 * against each router): the same calls must read back the same values, with the same JS
 * types, from SQLite and from PostgreSQL. PostgreSQL-only behaviour (several nodes on one
 * database) is at the end.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttemptRecord, RunRecord, Store, StoredStepRun, WorkflowVersionRecord } from '../src/index.js';
import type { NewEvent } from '../src/store/index.js';
import { openPostgresStore, openSqliteStore, RunNotFoundError } from '../src/index.js';
import { POSTGRES_MIGRATIONS_DIR } from '../src/store/postgres/pg-store.js';
import { tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';
import type { FleetAttemptInput } from '../src/store/index.js';
import { historyConformance } from './conformance-history.js';
import { retentionConformance } from './conformance-retention.js';
import { alertFeedConformance } from './conformance-alert-feed.js';
import { backfillConformance } from './conformance-backfill.js';
import { breakerConformance } from './conformance-breakers.js';

/** A holder is alive while its lease lasts (the runtime's holderAlive also asks whether its pid lives). */
const byLease = (r: RunRecord, now: number): boolean => r.owner !== undefined && (r.leaseExpiresAt ?? 0) >= now;

/** A store under test and how to dispose of it. */
interface StoreUnderTest {
  store: Store;
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;

const workflow = (version = 'v1', over: Partial<WorkflowVersionRecord> = {}): WorkflowVersionRecord => ({
  version, name: 'wf', definition: { z: 1, name: 'wf', steps: [{ id: 'a', run: 'echo' }] }, createdAt: T0, ...over,
});

const runRecord = (id: string, over: Partial<RunRecord> = {}): RunRecord => ({
  id, workflow: 'wf', version: 'v1', state: 'queued', trigger: 'manual', params: { n: 1, s: 'x' }, priority: 0, stepCount: 3,
  createdAt: T0, ...over,
});

const stepRows = (runId: string, ids: string[]): StoredStepRun[] =>
  ids.map((stepId, position) => ({ runId, stepId, position, state: 'pending', attempts: 0, lostAttempts: 0 }));

const attempt = (runId: string, stepId: string, over: Partial<AttemptRecord> = {}): AttemptRecord => ({
  id: `${runId}.${stepId}.1`, runId, stepId, number: 1, state: 'running', startedAt: T0 + 10, ...over,
});

const emptyBatch = () => ({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [] });

const owner = (name: string, pid = 4_000_000) => ({ owner: name, pid, host: 'host-a' });

/**
 * The Store contract, checked against one implementation. `skip` names the cases this
 * implementation does not support, each with its reason (as Hono's shared router suite
 * does), so a skip is visible in the report and never silent.
 */
function storeConformance(name: string, makeStore: () => Promise<StoreUnderTest>, skip: Record<string, string> = {}): void {
  const test = (title: string, fn: () => Promise<void>): void => {
    const why = skip[title];
    if (why === undefined) it(title, fn);
    else it.skip(`${title} [skipped on ${name}: ${why}]`, fn);
  };
  describe(`Store conformance: ${name}`, () => {
    let sut: StoreUnderTest;
    let store: Store;
    beforeEach(async () => {
      sut = await makeStore();
      store = sut.store;
      await store.saveWorkflow(workflow());
    });
    afterEach(() => sut.cleanup());

    /** Creates a run with steps a, b, c (or `ids`). */
    const create = async (id: string, over: Partial<RunRecord> = {}, ids = ['a', 'b', 'c']) => {
      await store.createRun(runRecord(id, { stepCount: ids.length, ...over }), stepRows(id, ids), [{ runId: id, type: 'run', to: 'queued', at: T0 }]);
    };

    it('migrate is idempotent', async () => {
      await store.migrate();
      await store.migrate();
      expect(await store.getWorkflow('v1')).toBeDefined();
    });

    it('stores dashboard sessions: read back exactly, revoked once, deleted once expired or revoked', async () => {
      await store.api.createToken({ id: 'tok000000001', name: 'n', role: 'operator', hash: 'h', createdAt: T0 });
      const s = { id: 'a'.repeat(64), tokenId: 'tok000000001', csrfSecret: 'csrf-secret', createdAt: T0, expiresAt: T0 + 1000 };
      await store.api.createSession(s);
      await store.api.createSession({ ...s, id: 'b'.repeat(64), expiresAt: T0 + 5000 });
      expect(await store.api.getSession(s.id)).toEqual(s);
      expect(await store.api.getSession('c'.repeat(64))).toBeUndefined();
      expect(await store.api.revokeSession(s.id, T0 + 10)).toBe(true);
      expect(await store.api.revokeSession(s.id, T0 + 20)).toBe(false);
      expect((await store.api.getSession(s.id))?.revokedAt).toBe(T0 + 10);
      expect(await store.api.deleteSessions(T0 + 5)).toBe(0);
      expect(await store.api.deleteSessions(T0 + 11)).toBe(1);
      expect(await store.api.deleteSessions(T0 + 5001)).toBe(1);
      expect(await store.api.getSession('b'.repeat(64))).toBeUndefined();
    });

    it('round-trips a workflow version, keeps the first save of a version, and the JSON text as written', async () => {
      const def = { z: 1, a: { c: [1, 'two', null, true], b: 2.5 }, nul: 'a\u0000b', uni: 'é ✓' };
      await store.saveWorkflow(workflow('v2', { definition: def, sourcePath: '/flows/wf.yaml', createdAt: T0 + 1 }));
      await store.saveWorkflow(workflow('v2', { name: 'other', definition: { replaced: true }, createdAt: T0 + 2 }));
      const w = await store.getWorkflow('v2');
      expect(w).toStrictEqual({ version: 'v2', name: 'wf', definition: def, sourcePath: '/flows/wf.yaml', createdAt: T0 + 1 });
      expect(JSON.stringify(w?.definition)).toBe(JSON.stringify(def)); // key order kept
      expect(await store.getWorkflow('v1')).toStrictEqual(workflow());
      expect(await store.getWorkflow('nope')).toBeUndefined();
    });

    it('creates a run with its step runs (read in position order) and its first event', async () => {
      const steps = stepRows('r1', ['a', 'b', 'c']);
      await store.createRun(runRecord('r1', { concurrency: 2, priority: -3 }), [steps[2]!, steps[0]!, steps[1]!], [
        { runId: 'r1', type: 'run', to: 'queued', at: T0, data: { workflow: 'wf', version: 'v1' } },
      ]);
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1', { concurrency: 2, priority: -3 }));
      expect(await store.getStepRuns('r1')).toStrictEqual(steps);
      const [e, ...more] = await store.getEvents('r1');
      expect(more).toEqual([]);
      expect(e).toStrictEqual({ seq: e!.seq, runId: 'r1', type: 'run', to: 'queued', at: T0, data: { workflow: 'wf', version: 'v1' } });
      expect(typeof e!.seq).toBe('number');
      expect(await store.getRun('nope')).toBeUndefined();
      expect(await store.getStepRuns('nope')).toEqual([]);
    });

    it('creates runs in a batch, before the batch\'s own rows: first transitions, attempts and events land with them', async () => {
      const held = { owner: 'engine-1', ownerPid: 4_000_000, ownerHost: 'host-a', leaseExpiresAt: T0 + 30_000 };
      const created = (id: string) => ({ record: runRecord(id, { stepCount: 2, ...held }), steps: stepRows(id, ['a', 'b']), events: [{ runId: id, type: 'run', to: 'queued', at: T0 }] });
      await store.commit({
        ...emptyBatch(),
        runsCreated: [created('r1'), created('r2')],
        attemptsStarted: [attempt('r1', 'a')],
        stepRuns: [{ runId: 'r1', stepId: 'a', position: 0, state: 'running', attempts: 1, lostAttempts: 0, startedAt: T0 + 10 }],
        runs: [{ id: 'r1', state: 'running', startedAt: T0 + 5, endedAt: null, reason: null }],
        events: [{ runId: 'r1', type: 'run', from: 'queued', to: 'running', at: T0 + 5 }],
      });
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1', { stepCount: 2, ...held, state: 'running', startedAt: T0 + 5 }));
      expect(await store.getRun('r2')).toStrictEqual(runRecord('r2', { stepCount: 2, ...held }));
      expect((await store.getStepRuns('r1')).map((r) => r.state)).toEqual(['running', 'pending']);
      expect((await store.getAttempts('r1')).map((a) => a.id)).toEqual(['r1.a.1']);
      expect((await store.getEvents('r1')).map((e) => e.to)).toEqual(['queued', 'running']);
    });

    it('waitingRuns counts queued runs and running runs none of whose steps has begun, not pending or begun ones', async () => {
      expect(await store.api.waitingRuns()).toBe(0);
      await create('q1');
      await create('q2');
      await create('due', { state: 'pending', dueAt: T0 + 60_000 });
      await create('fresh');
      await create('begun');
      await create('done');
      await store.commit({
        ...emptyBatch(),
        stepRuns: [
          { runId: 'fresh', stepId: 'a', position: 0, state: 'queued', attempts: 0, lostAttempts: 0, queuedAt: T0 + 1 },
          { runId: 'begun', stepId: 'a', position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, endedAt: T0 + 2 },
          { runId: 'begun', stepId: 'b', position: 1, state: 'queued', attempts: 0, lostAttempts: 0, queuedAt: T0 + 2 },
        ],
        runs: [
          { id: 'fresh', state: 'running', startedAt: T0 + 1, endedAt: null, reason: null },
          { id: 'begun', state: 'running', startedAt: T0 + 1, endedAt: null, reason: null },
          { id: 'done', state: 'succeeded', startedAt: T0 + 1, endedAt: T0 + 3, reason: null },
        ],
      });
      // q1, q2 (queued) and fresh (running, its first step waiting for a slot).
      expect(await store.api.waitingRuns()).toBe(3);
    });

    it('commits a batch of attempts, pids, step runs, run updates and events, and reads back exact values and types', async () => {
      await create('r1');
      const a1 = attempt('r1', 'a', { logPath: '/logs/r1/a.1.log', worker: 'w1' });
      const b1 = attempt('r1', 'b', { startedAt: T0 + 11 });
      await store.commit({
        attemptsStarted: [a1, b1],
        attemptsEnded: [],
        attemptPids: [{ id: a1.id, pid: 1 }, { id: a1.id, pid: 4242 }],
        stepRuns: [
          { ...stepRows('r1', ['a'])[0]!, state: 'running', attempts: 1, queuedAt: T0 + 5, startedAt: T0 + 10 },
          { ...stepRows('r1', ['a', 'b'])[1]!, state: 'running', attempts: 1, queuedAt: T0 + 6, startedAt: T0 + 11 },
        ],
        runs: [{ id: 'r1', state: 'running', startedAt: T0 + 1, endedAt: null, reason: null }],
        events: [
          { runId: 'r1', type: 'run', from: 'queued', to: 'running', at: T0 + 1 },
          { runId: 'r1', stepId: 'a', attemptId: a1.id, type: 'step', from: 'queued', to: 'running', at: T0 + 10, data: { attempt: 1 } },
        ],
      });
      expect(await store.getAttempts('r1')).toStrictEqual([{ ...a1, pid: 4242 }, b1]);

      const failure = { type: 'exit-code', message: 'exited with 3', retryable: false, details: { code: 3 } };
      const output = { z: 'last', a: [1, 'x', null], nested: { k: 1.25 }, nul: '\u0000' };
      await store.commit({
        attemptsStarted: [],
        attemptsEnded: [
          { id: a1.id, state: 'succeeded', endedAt: T0 + 20, exitCode: 0, peakRssBytes: 123_456_789_012, cpuMs: 12.5 },
          { id: b1.id, state: 'failed', endedAt: T0 + 21, exitCode: 3, error: failure },
        ],
        stepRuns: [
          { runId: 'r1', stepId: 'a', position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, queuedAt: T0 + 5, startedAt: T0 + 10, endedAt: T0 + 20, output },
          { runId: 'r1', stepId: 'c', position: 2, state: 'running', attempts: 1, lostAttempts: 0 },
          { runId: 'r1', stepId: 'b', position: 1, state: 'failed', attempts: 1, lostAttempts: 1, endedAt: T0 + 21, reason: 'exit-code', error: failure },
          // The last entry for a step run wins; an output that is JSON null stays null.
          { runId: 'r1', stepId: 'c', position: 2, state: 'succeeded', attempts: 1, lostAttempts: 0, dueAt: T0 + 30, output: null },
        ],
        // startedAt is kept once set (COALESCE); the last state, endedAt and reason win.
        runs: [{ id: 'r1', startedAt: T0 + 99, state: 'failed', endedAt: T0 + 21, reason: 'upstream-failed' }, { id: 'r1', state: 'failed', reason: 'exit-code' }],
        events: [{ runId: 'r1', stepId: 'b', type: 'step', from: 'running', to: 'failed', at: T0 + 21, data: { error: { ...failure } } }],
      });
      const [ra, rb] = await store.getAttempts('r1');
      expect(ra).toStrictEqual({ ...a1, pid: 4242, state: 'succeeded', endedAt: T0 + 20, exitCode: 0, peakRssBytes: 123_456_789_012, cpuMs: 12.5 });
      expect(rb).toStrictEqual({ ...b1, state: 'failed', endedAt: T0 + 21, exitCode: 3, error: failure });
      expect(await store.getAttempts('r1', 'b')).toStrictEqual([rb]);
      const steps = await store.getStepRuns('r1');
      expect(steps).toStrictEqual([
        { runId: 'r1', stepId: 'a', position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, queuedAt: T0 + 5, startedAt: T0 + 10, endedAt: T0 + 20, output },
        { runId: 'r1', stepId: 'b', position: 1, state: 'failed', attempts: 1, lostAttempts: 1, endedAt: T0 + 21, reason: 'exit-code', error: failure },
        { runId: 'r1', stepId: 'c', position: 2, state: 'succeeded', attempts: 1, lostAttempts: 0, dueAt: T0 + 30, output: null },
      ]);
      expect(JSON.stringify(steps[0]!.output)).toBe(JSON.stringify(output));
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1', { state: 'failed', startedAt: T0 + 1, endedAt: T0 + 21, reason: 'exit-code' }));

      // A resumed run clears endedAt and reason with null; absent fields stay as they are.
      await store.commit({ ...emptyBatch(), runs: [{ id: 'r1', state: 'running', startedAt: T0 + 500, endedAt: null, reason: null }] });
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1', { state: 'running', startedAt: T0 + 1 }));
      await store.commit({ ...emptyBatch(), runs: [{ id: 'r1', endedAt: T0 + 600 }] });
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1', { state: 'running', startedAt: T0 + 1, endedAt: T0 + 600 }));

      const events = await store.getEvents('r1');
      expect(events.map((e) => [e.type, e.to])).toEqual([['run', 'queued'], ['run', 'running'], ['step', 'running'], ['step', 'failed']]);
      expect(events[2]).toStrictEqual({ seq: events[2]!.seq, runId: 'r1', stepId: 'a', attemptId: a1.id, type: 'step', from: 'queued', to: 'running', at: T0 + 10, data: { attempt: 1 } });
      for (const e of events) expect([typeof e.seq, typeof e.at]).toEqual(['number', 'number']);
      expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((x, y) => x - y));
    });

    it('ignores the end of an attempt that is no longer running (late report after lost)', async () => {
      await create('r1');
      const a1 = attempt('r1', 'a');
      const b1 = attempt('r1', 'b');
      await store.commit({ ...emptyBatch(), attemptsStarted: [a1, b1] });
      const lost = { id: a1.id, state: 'lost' as const, endedAt: T0 + 50, error: { type: 'lost', message: 'holder died', retryable: true } };
      await store.commit({ ...emptyBatch(), attemptsEnded: [lost] });
      await store.commit({ ...emptyBatch(), attemptsEnded: [{ id: a1.id, state: 'succeeded', endedAt: T0 + 60, exitCode: 0, cpuMs: 1 }] });
      // Within one batch too: the first end wins.
      await store.commit({ ...emptyBatch(), attemptsEnded: [{ id: b1.id, state: 'cancelled', endedAt: T0 + 70 }, { id: b1.id, state: 'succeeded', endedAt: T0 + 71, exitCode: 0 }] });
      expect(await store.getAttempts('r1')).toStrictEqual([
        { ...a1, state: 'lost', endedAt: T0 + 50, error: lost.error },
        { ...b1, state: 'cancelled', endedAt: T0 + 70 },
      ]);
    });

    it('reads events after a seq, in order, at most limit, of that run only', async () => {
      await create('r1');
      await create('r2');
      const events: NewEvent[] = [];
      for (let i = 0; i < 10; i++) events.push({ runId: i % 2 ? 'r2' : 'r1', type: 'step', stepId: 'a', to: `s${i}`, at: T0 + i });
      await store.commit({ ...emptyBatch(), events });
      const all = await store.getEvents('r1');
      expect(all.map((e) => e.to)).toEqual(['queued', 's0', 's2', 's4', 's6', 's8']);
      const page = await store.getEvents('r1', all[1]!.seq, 3);
      expect(page.map((e) => e.to)).toEqual(['s2', 's4', 's6']);
      expect(await store.getEvents('r1', all[5]!.seq)).toEqual([]);
    });

    it('reads the alerting feed without the quiet successful ends, with run creations', async () => {
      await store.saveWorkflow(workflow('v2'));
      await create('r1');
      await create('r2', { version: 'v2' });
      const end = (runId: string, stepId: string, to: string, data?: NewEvent['data']): NewEvent => ({ runId, type: 'step', stepId, from: 'running', to, at: T0 + 5, ...(data ? { data } : {}) });
      await store.commit({
        ...emptyBatch(), events: [
          end('r1', 'a', 'succeeded', { wallMs: 10, peakRssBytes: 100 }),
          end('r1', 'b', 'succeeded'),
          end('r1', 'open', 'succeeded'),
          end('r1', 'fat', 'succeeded', { peakRssBytes: 2_000 }),
          end('r1', 'busy', 'succeeded', { wallMs: 60_000, cpuMs: 59_000 }),
          end('r1', 'idle', 'succeeded', { wallMs: 60_000, cpuMs: 1_000 }),
          end('r1', 'retry', 'retrying', { error: { type: 'lost' } }),
          end('r1', 'c', 'failed'),
          end('r2', 'a', 'succeeded'),
          { runId: 'r1', type: 'step', stepId: 'a', from: 'queued', to: 'running', at: T0 + 6 },
          { runId: 'r1', type: 'run', from: 'running', to: 'succeeded', at: T0 + 7 },
        ],
      });
      // On PostgreSQL the feed holds back events while an older transaction is open anywhere
      // on the server (other tests'): wait until all 13 are readable, then read them filtered.
      await waitFor(async () => (await store.api.eventsAfter(undefined, {}, 100)).length >= 13 || undefined, 10_000, 'the committed events in the feed');
      const quiet = { versions: ['v1'], openSteps: ['open'], maxMemoryBytes: 1_000, maxCpu: 0.8, cpuWindowMs: 60_000 };
      const read = await store.api.eventsAfter(undefined, { ends: true, quiet }, 100);
      expect(read.map((e) => `${e.runId}:${e.type}:${e.stepId ?? ''}:${e.to}`)).toEqual([
        'r1:run::queued', 'r2:run::queued', 'r1:step:open:succeeded', 'r1:step:fat:succeeded', 'r1:step:busy:succeeded',
        'r1:step:retry:retrying', 'r1:step:c:failed', 'r2:step:a:succeeded', 'r1:run::succeeded',
      ]);
      // No quiet version: every end is read, and the creations too.
      const all = await store.api.eventsAfter(undefined, { ends: true, quiet: { ...quiet, versions: [] } }, 100);
      expect(all).toHaveLength(12);
      // Without limits of a kind, usage does not keep an end.
      const noUsage = await store.api.eventsAfter(undefined, { ends: true, quiet: { versions: ['v1'], openSteps: [], cpuWindowMs: 60_000 } }, 100);
      expect(noUsage.map((e) => e.stepId ?? e.to)).toEqual(['queued', 'queued', 'retry', 'c', 'a', 'succeeded']);
    });

    it('lists runs newest first, filtered by workflow and states, limited (20 by default)', async () => {
      await store.saveWorkflow(workflow('v9', { name: 'other' }));
      for (let i = 0; i < 24; i++) {
        const state = (['queued', 'running', 'succeeded', 'failed'] as const)[i % 4];
        await create(`run${String(i).padStart(2, '0')}`, { createdAt: T0 + i, state, ...(i % 3 === 0 ? { workflow: 'other', version: 'v9' } : {}) });
      }
      await create('run99', { createdAt: T0 + 23 }); // same created_at as run23: id breaks the tie, newest id first
      const ids = (rs: RunRecord[]) => rs.map((r) => r.id);
      const all = await store.listRuns();
      expect(all).toHaveLength(20);
      expect(ids(all).slice(0, 3)).toEqual(['run99', 'run23', 'run22']);
      expect(ids(await store.listRuns({ limit: 3 }))).toEqual(['run99', 'run23', 'run22']);
      expect(ids(await store.listRuns({ workflow: 'other', limit: 100 }))).toEqual(['run21', 'run18', 'run15', 'run12', 'run09', 'run06', 'run03', 'run00']);
      expect(ids(await store.listRuns({ state: ['failed', 'succeeded'], limit: 4 }))).toEqual(['run23', 'run22', 'run19', 'run18']);
      expect(ids(await store.listRuns({ workflow: 'other', state: ['queued'], limit: 100 }))).toEqual(['run12', 'run00']);
      expect(ids(await store.listRuns({ state: [] }))).toHaveLength(20);
      expect(all[0]).toStrictEqual(runRecord('run99', { createdAt: T0 + 23 }));
    });

    it('resolves a run id: exact, unique prefix (case-insensitive, LIKE characters literal), ambiguous, unknown', async () => {
      for (const id of ['abc123', 'abd456', 'abc', 'abcd', 'x_y%z', 'xay9', 'p\\q']) await create(id);
      expect(await store.resolveRunId('abc123')).toBe('abc123');
      expect(await store.resolveRunId('abc1')).toBe('abc123');
      expect(await store.resolveRunId('abc')).toBe('abc'); // exact beats prefix
      expect(await store.resolveRunId('ABD')).toBe('abd456');
      expect(await store.resolveRunId('x_')).toBe('x_y%z');
      expect(await store.resolveRunId('x_y%')).toBe('x_y%z');
      expect(await store.resolveRunId('p\\')).toBe('p\\q');
      const ambiguous = await store.resolveRunId('ab').catch((e: unknown) => e);
      expect(ambiguous).toBeInstanceOf(RunNotFoundError);
      expect((ambiguous as RunNotFoundError).candidates).toEqual(['abc', 'abc123', 'abcd', 'abd456']);
      const unknown = await store.resolveRunId('zz').catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(RunNotFoundError);
      expect((unknown as RunNotFoundError).candidates).toEqual([]);
      expect(await store.resolveRunId('%').catch((e: unknown) => (e as RunNotFoundError).candidates)).toEqual([]);
    });

    it('acquires a free run, refuses a live holder, takes over an expired lease or a dead holder', async () => {
      await create('r1');
      const never = byLease;
      expect(await store.acquireRun('r1', owner('one', 111), T0, 1000, never)).toBe(true);
      expect(await store.getRun('r1')).toMatchObject({ owner: 'one', ownerPid: 111, ownerHost: 'host-a', leaseExpiresAt: T0 + 1000 });
      expect(await store.acquireRun('r1', owner('two'), T0 + 500, 1000, never)).toBe(false);
      expect(await store.acquireRun('r1', owner('one', 111), T0 + 500, 1000, never)).toBe(true); // the holder again
      expect(await store.acquireRun('r1', owner('two', 222), T0 + 1501, 1000, never)).toBe(true); // lease expired
      expect((await store.getRun('r1'))?.owner).toBe('two');
      const seen: RunRecord[] = [];
      const dead = (r: RunRecord) => (seen.push(r), false);
      expect(await store.acquireRun('r1', owner('three', 333), T0 + 1600, 1000, dead)).toBe(true);
      expect(seen[0]).toMatchObject({ id: 'r1', owner: 'two', ownerPid: 222 });
      const r = await store.getRun('r1');
      expect(r).toMatchObject({ owner: 'three', ownerPid: 333, leaseExpiresAt: T0 + 2600 });
      expect(typeof r?.leaseExpiresAt).toBe('number');
      // Wrapped: SqliteStore.acquireRun throws synchronously rather than returning a rejected promise.
      await expect((async () => store.acquireRun('nope', owner('one'), T0, 1000, never))()).rejects.toBeInstanceOf(RunNotFoundError);
    });

    it('renews only for the holder and reports a cancel request, recorded once', async () => {
      await create('r1');
      await store.acquireRun('r1', owner('one'), T0, 1000, byLease);
      expect(await store.renewRun('r1', 'one', T0 + 900, 1000)).toEqual({ held: true, cancelRequested: false, paused: false });
      expect((await store.getRun('r1'))?.leaseExpiresAt).toBe(T0 + 1900);
      expect(await store.renewRun('r1', 'two', T0 + 900, 1000)).toEqual({ held: false, cancelRequested: false, paused: false });
      await store.requestCancel('r1', T0 + 950);
      await store.requestCancel('r1', T0 + 960);
      expect(await store.renewRun('r1', 'one', T0 + 1000, 1000)).toEqual({ held: true, cancelRequested: true, paused: false });
      expect(await store.renewRun('r1', 'two', T0 + 1000, 1000)).toEqual({ held: false, cancelRequested: true, paused: false });
      expect((await store.getRun('r1'))?.cancelRequestedAt).toBe(T0 + 950);
      const cancels = (await store.getEvents('r1')).filter((e) => e.type === 'cancel-requested');
      expect(cancels).toStrictEqual([{ seq: cancels[0]!.seq, runId: 'r1', type: 'cancel-requested', at: T0 + 950 }]);
      // A new holder starts without the old request.
      await store.acquireRun('r1', owner('two'), T0 + 5000, 1000, byLease);
      expect(await store.renewRun('r1', 'two', T0 + 5001, 1000)).toEqual({ held: true, cancelRequested: false, paused: false });
      expect(await store.renewRun('nope', 'one', T0, 1000)).toEqual({ held: false, cancelRequested: false, paused: false });
    });

    it('releases a run for its holder only', async () => {
      await create('r1');
      await store.acquireRun('r1', owner('one'), T0, 1000, byLease);
      await store.releaseRun('r1', 'two');
      expect((await store.getRun('r1'))?.owner).toBe('one');
      await store.releaseRun('r1', 'one');
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1'));
      expect(await store.acquireRun('r1', owner('two'), T0 + 1, 1000, byLease)).toBe(true);
    });

    it('lets go of a run in the commit that ends it, for its holder only', async () => {
      await create('r1');
      await create('r2');
      await store.acquireRun('r1', owner('one'), T0, 1000, byLease);
      await store.acquireRun('r2', owner('one'), T0, 1000, byLease);
      await store.commit({
        attemptsStarted: [], attemptsEnded: [], stepRuns: [], events: [],
        runs: [{ id: 'r1', state: 'succeeded', endedAt: T0 + 5, release: 'one' }, { id: 'r2', state: 'failed', endedAt: T0 + 5, release: 'two' }],
      });
      const r1 = await store.getRun('r1');
      expect(r1).toMatchObject({ state: 'succeeded', endedAt: T0 + 5 });
      expect([r1?.owner, r1?.ownerPid, r1?.ownerHost, r1?.leaseExpiresAt]).toEqual([undefined, undefined, undefined, undefined]);
      expect((await store.getRun('r2'))?.owner).toBe('one');
    });

    test('commits fleet fields: published attempts become claimable rows, applied ones are marked, in the one commit', async () => {
      await create('r1');
      const published: FleetAttemptInput = { id: 'r1.a.1', runId: 'r1', stepId: 'a', number: 1, startedAt: T0 + 10, priority: 2, task: { step: 'a' } };
      await store.commit({ ...emptyBatch(), attemptsStarted: [attempt('r1', 'a')], attemptsPublished: [published] });
      expect((await store.getAttempts('r1', 'a')).map((a) => [a.id, a.state])).toEqual([['r1.a.1', 'running']]);
      await store.commit({ ...emptyBatch(), attemptsApplied: ['r1.a.1'] });
    });

    test('refuses fleet fields it cannot honour, writing nothing of the commit', async () => {
      await create('r1');
      const published: FleetAttemptInput = { id: 'r1.a.1', runId: 'r1', stepId: 'a', number: 1, startedAt: T0 + 10, priority: 0, task: {} };
      await expect(store.commit({ ...emptyBatch(), attemptsStarted: [attempt('r1', 'a')], attemptsPublished: [published] })).rejects.toMatchObject({ code: 'store-unsupported' });
      await expect(store.commit({ ...emptyBatch(), attemptsApplied: ['r1.a.1'] })).rejects.toMatchObject({ code: 'store-unsupported' });
      expect(await store.getAttempts('r1', 'a')).toEqual([]);
    });

    it('waitingSteps: queued step runs of running runs, by version, step and run priority, with the oldest queued time', async () => {
      await store.saveWorkflow(workflow('v2'));
      await create('r1', { priority: 2 });
      await create('r2', { priority: 2 });
      await create('r3', { priority: -1 });
      await create('r4', { version: 'v2', priority: 2 });
      await create('still-queued');
      const step = (runId: string, stepId: string, state: StoredStepRun['state'], queuedAt: number, position = 0): StoredStepRun =>
        ({ runId, stepId, position, state, attempts: 0, lostAttempts: 0, queuedAt });
      await store.commit({
        ...emptyBatch(),
        attemptsStarted: [attempt('r1', 'b')],
        stepRuns: [
          step('r1', 'a', 'queued', T0 + 5), step('r2', 'a', 'queued', T0 + 3), step('r3', 'a', 'queued', T0 + 7),
          step('r4', 'a', 'queued', T0 + 9), step('r1', 'b', 'running', T0 + 1, 1), step('r2', 'c', 'retrying', T0 + 2, 2),
        ],
        runs: ['r1', 'r2', 'r3', 'r4'].map((id) => ({ id, state: 'running' as const, startedAt: T0, endedAt: null, reason: null })),
      });
      const sorted = (await store.api.waitingSteps()).sort((x, y) => `${x.version}${x.stepId}${x.runPriority}`.localeCompare(`${y.version}${y.stepId}${y.runPriority}`));
      expect(sorted).toStrictEqual([
        { version: 'v1', stepId: 'a', runPriority: -1, count: 1, oldestQueuedAt: T0 + 7 },
        { version: 'v1', stepId: 'a', runPriority: 2, count: 2, oldestQueuedAt: T0 + 3 },
        { version: 'v2', stepId: 'a', runPriority: 2, count: 1, oldestQueuedAt: T0 + 9 },
      ]);
    });

    test('waitingSteps: a running step run whose published attempt no worker claimed is waiting', async () => {
      await create('r1');
      const published: FleetAttemptInput = { id: 'r1.a.1', runId: 'r1', stepId: 'a', number: 1, startedAt: T0 + 10, priority: 0, task: { step: 'a' } };
      await store.commit({
        ...emptyBatch(),
        attemptsStarted: [attempt('r1', 'a'), attempt('r1', 'b')],
        attemptsPublished: [published],
        stepRuns: ['a', 'b'].map((stepId, position) => ({ runId: 'r1', stepId, position, state: 'running' as const, attempts: 1, lostAttempts: 0, queuedAt: T0 + 4 + position })),
        runs: [{ id: 'r1', state: 'running', startedAt: T0, endedAt: null, reason: null }],
      });
      // b's attempt runs in the coordinator itself (not published): it is not waiting.
      expect(await store.api.waitingSteps()).toStrictEqual([{ version: 'v1', stepId: 'a', runPriority: 0, count: 1, oldestQueuedAt: T0 + 4 }]);
      // b began, so r1 does not wait to start.
      expect(await store.api.waitingRuns()).toBe(0);
    });

    test('waitingRuns: a running run whose only started step is published and unclaimed waits to start', async () => {
      await create('r1', {}, ['a']);
      const published: FleetAttemptInput = { id: 'r1.a.1', runId: 'r1', stepId: 'a', number: 1, startedAt: T0 + 10, priority: 0, task: { step: 'a' } };
      await store.commit({
        ...emptyBatch(),
        attemptsStarted: [attempt('r1', 'a')],
        attemptsPublished: [published],
        stepRuns: [{ runId: 'r1', stepId: 'a', position: 0, state: 'running', attempts: 1, lostAttempts: 0, queuedAt: T0 + 4 }],
        runs: [{ id: 'r1', state: 'running', startedAt: T0, endedAt: null, reason: null }],
      });
      expect(await store.api.waitingRuns()).toBe(1);
    });

    it('saves batch groups (insert, then replace by index), reads them back in index order per step', async () => {
      await create('r1');
      const failure = { type: 'Error', message: 'boom', retryable: true };
      const invalid = {
        index: -1, items: ['bad.csv'], state: 'invalid' as const, attempts: 0, updatedAt: T0,
        error: { type: 'batch-invalid', message: '1 invalid', retryable: false, details: [{ item: 'bad.csv', reason: 'not CSV' }] },
      };
      const g = (index: number, items: unknown[]) => ({ index, items: items as string[], state: 'pending' as const, attempts: 0, updatedAt: T0 });
      await store.saveBatchGroups('r1', 'a', [g(1, ['c', 'd']), g(0, ['a', { k: [1, null] }]), invalid]);
      await store.saveBatchGroups('r1', 'b', [g(0, ['z'])]);
      expect(await store.getBatchGroups('r1', 'a')).toStrictEqual([invalid, g(0, ['a', { k: [1, null] }]), g(1, ['c', 'd'])]);
      const done = { ...g(0, ['a', { k: [1, null] }]), state: 'succeeded' as const, attempts: 2, outputs: [{ rows: 3 }, null], updatedAt: T0 + 9 };
      const failed = { ...g(1, ['c', 'd']), state: 'failed' as const, attempts: 3, error: failure, updatedAt: T0 + 10 };
      await store.saveBatchGroups('r1', 'a', [done]);
      await store.saveBatchGroups('r1', 'a', [{ ...failed, attempts: 1 }, failed]); // the last entry for an index wins
      expect(await store.getBatchGroups('r1', 'a')).toStrictEqual([invalid, done, failed]);
      expect(await store.getBatchGroups('r1', 'b')).toStrictEqual([g(0, ['z'])]);
      expect(await store.getBatchGroups('r1', 'c')).toEqual([]);
      await store.saveBatchGroups('r1', 'c', []);
      expect(await store.getBatchGroups('r1', 'c')).toEqual([]);
    });

    it('run control: pauses and unpauses once each, never a finished run, with events; renewRun reports the pause', async () => {
      await create('r1');
      await create('done', { state: 'succeeded' });
      await store.acquireRun('r1', owner('one'), T0, 1000, byLease);
      expect(await store.setRunPaused('r1', true, T0 + 10, { by: 'cli:ann' })).toBe(true);
      expect(await store.setRunPaused('r1', true, T0 + 11)).toBe(false);
      expect((await store.getRun('r1'))?.pausedAt).toBe(T0 + 10);
      expect(await store.renewRun('r1', 'one', T0 + 20, 1000)).toEqual({ held: true, cancelRequested: false, paused: true });
      expect(await store.setRunPaused('r1', false, T0 + 30)).toBe(true);
      expect(await store.setRunPaused('r1', false, T0 + 31)).toBe(false);
      expect((await store.getRun('r1'))?.pausedAt).toBeUndefined();
      expect(await store.renewRun('r1', 'one', T0 + 40, 1000)).toEqual({ held: true, cancelRequested: false, paused: false });
      expect(await store.setRunPaused('done', true, T0)).toBe(false);
      expect(await store.setRunPaused('nope', true, T0)).toBe(false);
      const events = (await store.getEvents('r1')).filter((e) => e.type.startsWith('run-'));
      expect(events).toStrictEqual([
        { seq: events[0]!.seq, runId: 'r1', type: 'run-paused', at: T0 + 10, data: { by: 'cli:ann' } },
        { seq: events[1]!.seq, runId: 'r1', type: 'run-resumed', at: T0 + 30 },
      ]);
      expect(await store.getEvents('done')).toHaveLength(1);
    });

    it('run control: sets the priority of pending and queued runs only, and lists queued runs in start order', async () => {
      await create('old', { createdAt: T0, queuedAt: T0 });
      await create('mid', { createdAt: T0 + 1, queuedAt: T0 + 1 });
      await create('new', { createdAt: T0 + 2, queuedAt: T0 + 2 });
      await create('later', { state: 'pending', dueAt: T0 + 99, createdAt: T0 + 3 });
      await create('busy', { state: 'running', createdAt: T0 + 4 });
      const order = async () => (await store.listRuns({ state: ['queued'], order: 'queue' })).map((r) => r.id);
      expect(await order()).toEqual(['old', 'mid', 'new']);
      expect(await store.setRunPriority('new', 5, T0 + 10, { by: 'api' })).toBe(true);
      expect(await store.setRunPriority('later', -2, T0 + 10)).toBe(true);
      expect(await store.setRunPriority('busy', 3, T0 + 10)).toBe(false);
      expect(await store.setRunPriority('nope', 3, T0 + 10)).toBe(false);
      expect(await order()).toEqual(['new', 'old', 'mid']);
      expect(await store.getRun('new')).toStrictEqual(runRecord('new', { createdAt: T0 + 2, queuedAt: T0 + 2, priority: 5 }));
      expect((await store.getRun('busy'))?.priority).toBe(0);
      const [ev] = (await store.getEvents('new')).filter((e) => e.type === 'priority');
      expect(ev).toMatchObject({ runId: 'new', type: 'priority', at: T0 + 10, data: { by: 'api', from: 0, to: 5 } });
      // A promoted run is queued from the time it was promoted.
      await store.promoteDueRuns(T0 + 100, 10);
      expect((await store.getRun('later'))?.queuedAt).toBe(T0 + 100);
    });

    it('run control: a re-run rewrites the run, its step runs and batch groups in one guarded write', async () => {
      await create('r1', { state: 'running' });
      await store.saveBatchGroups('r1', 'b', [{ index: 0, items: [1], state: 'succeeded', attempts: 1, outputs: [2], updatedAt: T0 }]);
      await store.commit({
        ...emptyBatch(),
        stepRuns: [
          { runId: 'r1', stepId: 'a', position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, endedAt: T0 + 5, output: 1 },
          { runId: 'r1', stepId: 'b', position: 1, state: 'failed', attempts: 3, lostAttempts: 1, endedAt: T0 + 6, reason: 'exit-code', error: { type: 'x', message: 'x', retryable: true } },
        ],
        runs: [{ id: 'r1', state: 'failed', startedAt: T0 + 1, endedAt: T0 + 6, reason: 'exit-code' }],
      });
      await store.acquireRun('r1', owner('one'), T0 + 7, 1000, byLease);
      await store.setRunPaused('r1', true, T0 + 7);
      const reopen = {
        runId: 'r1', from: 'failed' as const, to: 'queued' as const, now: T0 + 50, clearBatchGroups: ['b'],
        steps: [{ runId: 'r1', stepId: 'b', position: 1, state: 'pending' as const, attempts: 3, lostAttempts: 0, retryBase: 3, runsOn: ['docker', 'gpu'] }],
        events: [{ runId: 'r1', type: 'rerun', at: T0 + 50, data: { steps: ['b'] } }],
      };
      // A live holder (lease until T0 + 1007) keeps it; so does a state that changed since it was read.
      // The first start stays: the run's duration counts from it (retry --from re-runs part of one run).
      expect(await store.reopenRun(reopen)).toBe(false);
      expect(await store.reopenRun({ ...reopen, from: 'cancelled', now: T0 + 2000 })).toBe(false);
      expect(await store.reopenRun({ ...reopen, now: T0 + 2000 })).toBe(true);
      expect(await store.reopenRun({ ...reopen, now: T0 + 2001 })).toBe(false); // queued now
      expect(await store.getRun('r1')).toStrictEqual(runRecord('r1', { state: 'queued', queuedAt: T0 + 2000, startedAt: T0 + 1 }));
      const steps = await store.getStepRuns('r1');
      expect(steps[0]).toStrictEqual({ runId: 'r1', stepId: 'a', position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, endedAt: T0 + 5, output: 1 });
      expect(steps[1]).toStrictEqual({ runId: 'r1', stepId: 'b', position: 1, state: 'pending', attempts: 3, lostAttempts: 0, retryBase: 3, runsOn: ['docker', 'gpu'] });
      expect(await store.getBatchGroups('r1', 'b')).toEqual([]);
      expect((await store.getEvents('r1')).at(-1)).toMatchObject({ type: 'rerun', at: T0 + 50, data: { steps: ['b'] } });
      // The engine's step run writes leave retryBase as it is.
      await store.commit({ ...emptyBatch(), stepRuns: [{ runId: 'r1', stepId: 'b', position: 1, state: 'queued', attempts: 3, lostAttempts: 0, queuedAt: T0 + 3000 }] });
      expect((await store.getStepRuns('r1'))[1]).toMatchObject({ state: 'queued', retryBase: 3, runsOn: ['docker', 'gpu'] });
      // A later re-run without tags clears them.
      await store.commit({ ...emptyBatch(), stepRuns: [{ runId: 'r1', stepId: 'b', position: 1, state: 'failed', attempts: 4, lostAttempts: 0, endedAt: T0 + 3001 }], runs: [{ id: 'r1', state: 'failed', endedAt: T0 + 3001 }] });
      expect(await store.reopenRun({ ...reopen, now: T0 + 4000, steps: [{ runId: 'r1', stepId: 'b', position: 1, state: 'pending', attempts: 4, lostAttempts: 0, retryBase: 4 }] })).toBe(true);
      expect((await store.getStepRuns('r1'))[1]).not.toHaveProperty('runsOn');
    });

    it('waiting steps: an answer lands once per step run with its event, is read back, and a re-run clears it', async () => {
      await create('r1', { state: 'running' });
      const answer = { name: 'go', payload: { v: [1, 'x'] }, by: 'cli:me', at: T0 + 10 };
      expect(await store.signalSteps('r1', ['b', 'a'], answer)).toEqual(['a', 'b']);
      // The first answer wins; an ended step run takes none.
      expect(await store.signalSteps('r1', ['a'], { ...answer, payload: 2 })).toEqual([]);
      await store.commit({ ...emptyBatch(), stepRuns: [{ runId: 'r1', stepId: 'c', position: 2, state: 'succeeded', attempts: 1, lostAttempts: 0 }] });
      expect(await store.signalSteps('r1', ['c'], answer)).toEqual([]);
      expect((await store.getStepRun('r1', 'a'))?.signal).toStrictEqual(answer);
      expect((await store.getStepRuns('r1'))[1]?.signal).toStrictEqual(answer);
      expect(await store.getStepRun('r1', 'nope')).toBeUndefined();
      const approval = { name: 'approval', payload: { approved: false, note: 'no' }, at: T0 + 11 };
      await create('r2', { state: 'queued' });
      expect(await store.signalSteps('r2', ['a'], approval)).toEqual(['a']);
      expect((await store.getEvents('r1')).filter((e) => e.type === 'signal').map((e) => [e.stepId, e.data])).toEqual([
        ['a', { name: 'go', by: 'cli:me' }], ['b', { name: 'go', by: 'cli:me' }],
      ]);
      expect((await store.getEvents('r2')).filter((e) => e.type === 'signal').map((e) => e.data)).toEqual([{ name: 'approval', approved: false }]);
      // The engine's step run writes keep it; an ended run takes none; a re-run clears it.
      await store.commit({ ...emptyBatch(), stepRuns: [{ runId: 'r1', stepId: 'a', position: 0, state: 'succeeded', attempts: 1, lostAttempts: 0, output: answer.payload }], runs: [{ id: 'r1', state: 'failed', endedAt: T0 + 20, reason: 'exit-code' }] });
      expect((await store.getStepRun('r1', 'a'))?.signal).toStrictEqual(answer);
      expect(await store.signalSteps('r1', ['b'], answer)).toEqual([]);
      const steps = [{ runId: 'r1', stepId: 'a', position: 0, state: 'pending' as const, attempts: 1, lostAttempts: 0, retryBase: 1 }];
      expect(await store.reopenRun({ runId: 'r1', from: 'failed', to: 'queued', now: T0 + 30, clearBatchGroups: [], steps, events: [] })).toBe(true);
      expect((await store.getStepRun('r1', 'a'))?.signal).toBeUndefined();
      expect((await store.getStepRun('r1', 'b'))?.signal).toStrictEqual(answer);
    });

    it('run control: stores the run a retry retries', async () => {
      await create('r1', { state: 'failed' });
      await create('r2', { trigger: 'retry', retryOf: 'r1', queuedAt: T0 });
      expect(await store.getRun('r2')).toStrictEqual(runRecord('r2', { trigger: 'retry', retryOf: 'r1', queuedAt: T0 }));
    });

    historyConformance(test, () => store);
    retentionConformance(test, () => store);
    alertFeedConformance(test, () => store);
    backfillConformance(test, () => store);
    breakerConformance(test, () => store, (id) => create(id));

    it('commits 5,000 step runs, attempts and events in one call each', async () => {
      const n = 5000;
      const ids = Array.from({ length: n }, (_, i) => `s${i}`);
      const t0 = performance.now();
      await create('big', {}, ids);
      const tCreate = performance.now() - t0;
      const attempts = ids.map((s) => attempt('big', s, { logPath: `/logs/big/${s}.1.log` }));
      const started = performance.now();
      await store.commit({
        attemptsStarted: attempts, attemptsEnded: [], attemptPids: attempts.map((a, i) => ({ id: a.id, pid: 10_000 + i })),
        stepRuns: ids.map((stepId, position) => ({ runId: 'big', stepId, position, state: 'running', attempts: 1, lostAttempts: 0, startedAt: T0 + 10 })),
        runs: [{ id: 'big', state: 'running', startedAt: T0 }],
        events: ids.map((stepId) => ({ runId: 'big', stepId, type: 'step', from: 'queued', to: 'running', at: T0 + 10, data: { attempt: 1 } })),
      });
      const tStart = performance.now() - started;
      const ended = performance.now();
      await store.commit({
        attemptsStarted: [],
        attemptsEnded: attempts.map((a) => ({ id: a.id, state: 'succeeded', endedAt: T0 + 20, exitCode: 0, cpuMs: 0.5, peakRssBytes: 1 << 20 })),
        stepRuns: ids.map((stepId, position) => ({ runId: 'big', stepId, position, state: 'succeeded', attempts: 1, lostAttempts: 0, startedAt: T0 + 10, endedAt: T0 + 20, output: { i: position } })),
        runs: [{ id: 'big', state: 'succeeded', endedAt: T0 + 20 }],
        events: ids.map((stepId) => ({ runId: 'big', stepId, type: 'step', from: 'running', to: 'succeeded', at: T0 + 20, data: { attempt: 1 } })),
      });
      const tEnd = performance.now() - ended;
      console.log(`[${name}] 5,000 rows: createRun ${tCreate.toFixed(0)} ms, commit starts ${tStart.toFixed(0)} ms, commit ends ${tEnd.toFixed(0)} ms`);
      expect(tStart + tEnd).toBeLessThan(5_000);
      const steps = await store.getStepRuns('big');
      expect(steps).toHaveLength(n);
      expect(steps[4999]).toStrictEqual({ runId: 'big', stepId: 's4999', position: 4999, state: 'succeeded', attempts: 1, lostAttempts: 0, startedAt: T0 + 10, endedAt: T0 + 20, output: { i: 4999 } });
      const as = await store.getAttempts('big');
      expect(as).toHaveLength(n);
      expect(as.every((a) => a.state === 'succeeded' && a.pid !== undefined)).toBe(true);
      const events = await store.getEvents('big', 0, 20_000);
      expect(events).toHaveLength(2 * n + 1);
      expect(events.at(-1)).toMatchObject({ stepId: 's4999', to: 'succeeded' }); // seq follows array order
      expect(events[1]).toMatchObject({ stepId: 's0', to: 'running' });
      expect(await store.getRun('big')).toMatchObject({ state: 'succeeded', startedAt: T0, endedAt: T0 + 20 });
    });

    test('stores shipped log chunks: byte ranges across chunks, the size, a chunk written twice kept once', async () => {
      const logs = store.logs!;
      const chunk = (offset: number, text: string) => ({ attemptId: 'r1.a.1', runId: 'r1', offset, at: T0, bytes: Buffer.from(text) });
      expect(await logs.readChunks('r1.a.1', 0, 100)).toEqual({ chunks: [], size: 0 });
      await logs.appendChunks([chunk(0, 'hello '), chunk(6, 'world\n')]);
      await logs.appendChunks([chunk(6, 'WORLD\n'), chunk(12, '\u0000\xff end\n'), { ...chunk(0, 'other'), attemptId: 'r1.b.1' }]);
      const all = await logs.readChunks('r1.a.1', 0, 1 << 20);
      expect(Buffer.concat(all.chunks.map((c) => c.bytes)).toString('latin1')).toBe('hello world\n\u0000\u00c3\u00bf end\n');
      expect(all.size).toBe(6 + 6 + 8);
      // From inside the second chunk, two bytes: the chunks overlapping [8, 10).
      const mid = await logs.readChunks('r1.a.1', 8, 2);
      expect(mid.chunks.map((c) => c.offset)).toEqual([6]);
      expect((await logs.readChunks('r1.a.1', 100, 10)).size).toBe(20);
    });
  });
}

storeConformance('SQLite', async () => {
  const dir = tempDir('baton-conformance-');
  const store = openSqliteStore(join(dir, 'baton.db'));
  await store.migrate();
  return {
    store,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, {
  'commits fleet fields: published attempts become claimable rows, applied ones are marked, in the one commit':
    'SQLite has no fleet; it refuses these fields instead (the case below)',
  'waitingSteps: a running step run whose published attempt no worker claimed is waiting': 'SQLite has no fleet: nothing is published',
  'waitingRuns: a running run whose only started step is published and unclaimed waits to start': 'SQLite has no fleet: nothing is published',
  'stores shipped log chunks: byte ranges across chunks, the size, a chunk written twice kept once':
    'SQLite has no `logs`: every attempt runs beside its file',
});

// One database per test, copied from the migrated template (milliseconds); dropped together
// at the end, since each DROP DATABASE waits on a checkpoint.
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

storeConformance('PostgreSQL', async () => {
  const db = await createTestDatabase();
  databases.push(db);
  const store = openPostgresStore(db.url, { max: 4 });
  await store.migrate();
  return { store, cleanup: () => store.close() };
}, {
  'refuses fleet fields it cannot honour, writing nothing of the commit': 'PostgreSQL is the fleet store: it honours them (the case above)',
});

describe('PostgreSQL store: several nodes on one database', () => {
  it('migrates a fresh database once when 4 stores migrate at the same time', async () => {
    const db = await createTestDatabase({ migrated: false });
    databases.push(db);
    const stores = Array.from({ length: 4 }, () => openPostgresStore(db.url, { max: 2 }));
    try {
      const results = await Promise.allSettled(stores.map((s) => s.migrate()));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const applied = await sql<{ version: number; name: string }>(db.url, 'SELECT version, name FROM schema_migrations ORDER BY version');
      // Every migration file, each applied once.
      const files = readdirSync(POSTGRES_MIGRATIONS_DIR).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
      expect(applied).toEqual(files.map((name) => ({ version: Number.parseInt(name, 10), name })));
      await stores[0]!.saveWorkflow(workflow());
      expect(await stores[3]!.getWorkflow('v1')).toStrictEqual(workflow());
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('lets exactly one of several nodes acquire a free run', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const stores = Array.from({ length: 4 }, () => openPostgresStore(db.url, { max: 1 }));
    try {
      await stores[0]!.saveWorkflow(workflow());
      await stores[0]!.createRun(runRecord('r1'), stepRows('r1', ['a']), []);
      const taken = await Promise.all(stores.map((s, i) => s.acquireRun('r1', owner(`node${i}`), T0, 10_000, byLease)));
      expect(taken.filter(Boolean)).toHaveLength(1);
      const winner = `node${taken.indexOf(true)}`;
      expect((await stores[1]!.getRun('r1'))?.owner).toBe(winner);
      // Concurrent cancel requests record one event.
      await Promise.all(stores.map((s) => s.requestCancel('r1', T0 + 1)));
      expect((await stores[2]!.getEvents('r1')).filter((e) => e.type === 'cancel-requested')).toHaveLength(1);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
