/**
 * Circuit breakers in the fleet (PostgreSQL): one breaker row shared by every node. Workers
 * claim no published attempt behind a breaker that is not closed, except its half-open
 * trial; and failures that real worker A ran open the breaker for steps bound for worker B,
 * which then wait `queued` (circuit-open) with nothing published, until the breaker closes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFleetStore, openPostgresStore } from '../src/store/index.js';
import type { FleetAttemptInput, PgFleetStore, PgStore } from '../src/store/index.js';
import { BREAKER_DEFAULTS } from '../src/core/index.js';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let procs: CliProcess[] = [];
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  for (const c of closers.splice(0)) await c();
  await db.drop();
});

const attempt = (step: string, opts: Partial<FleetAttemptInput> = {}): FleetAttemptInput =>
  ({ id: `r1.${step}.1`, runId: 'r1', stepId: step, number: 1, startedAt: 1, priority: 0, task: { step }, ...opts });

describe('fleet: circuit breakers', () => {
  it('claims skip attempts behind an open breaker; its trial alone is claimable; closed, the rest are', async () => {
    const fleet: PgFleetStore = openFleetStore(db.url, { max: 2 });
    const store: PgStore = openPostgresStore(db.url, { max: 2 });
    closers.push(() => fleet.close(), () => store.close());
    await fleet.registerWorker({ id: 'w1', host: 'h', pid: 1, platform: 'linux', tags: [], slots: 8, version: '0' });
    const policy = { ...BREAKER_DEFAULTS, failures: 1, cooldownMs: 0 };
    const now = Date.now();
    await store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [], events: [],
      breakerCalls: [{ key: 'api', policy, runId: 'r0', stepId: 's', attemptId: 'r0.s.1', outcome: 'failed', at: now }] });
    expect((await store.breakers.list(['api']))[0]?.state).toBe('open');
    await fleet.enqueueAttempts([attempt('x', { breaker: 'api' }), attempt('y', { breaker: 'api' }), attempt('free'), attempt('other', { breaker: 'elsewhere' })]);
    const ids = async () => (await fleet.claimAttempts('w1', { tags: [], platform: 'linux', leaseMs: 60_000, max: 10 })).map((c) => c.id).sort();
    // The breaker that has no row is closed: `other` goes, `x` and `y` wait.
    expect(await ids()).toEqual(['r1.free.1', 'r1.other.1']);
    // baton show and the API say why they wait.
    expect((await fleet.waitingAttempts(['r1'])).map((w) => [w.stepId, w.reason])).toEqual([['x', 'circuit-open'], ['y', 'circuit-open']]);
    expect(await store.breakers.claimTrial('api', { runId: 'r1', stepId: 'y', attemptId: 'r1.y.1' }, now + 1)).toMatchObject({ state: 'half-open' });
    expect(await ids()).toEqual(['r1.y.1']);
    await store.breakers.reset('api', now + 2, 'test');
    expect(await ids()).toEqual(['r1.x.1']);
  });

  it('failures run by worker A open the breaker for worker B: its step waits queued, circuit-open, unpublished, until a reset', async () => {
    const dir = tempDir('baton-fleet-breaker-');
    const breaker = 'breaker: { key: api, failures: 2, cooldown: 1h }';
    writeFileSync(join(dir, 'fail.yaml'), `name: fails-on-a
retry: { attempts: 1 }
steps:
  - { id: one, run: "exit 3", runs-on: [side-a], ${breaker} }
  - { id: two, run: "exit 4", runs-on: [side-a], ${breaker} }
`);
    writeFileSync(join(dir, 'later.yaml'), `name: runs-on-b
steps:
  - { id: call, run: "echo b", runs-on: [side-b], ${breaker} }
`);
    const worker = (tag: string): CliProcess => spawnBaton(['worker', '--database-url', db.url, '--tags', tag, '--no-detect', '--slots', '2', '--lease', '1500ms', '--heartbeat', '300ms', '--max-cpu', '1000', '--max-mem', '1'], dir);
    procs.push(worker('side-a'), worker('side-b'));
    await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= 2, 15_000, 'two workers');

    const failed = await baton(['run', 'fail.yaml', '--database-url', db.url, '--json'], dir);
    expect(failed.code, failed.stderr).toBe(1);
    const first = jsonEvents(failed.stdout)[0]!.runId;
    const ranOn = async (runId: string) => (await sql<{ tags: string[]; state: string }>(db.url,
      'SELECT w.tags, a.state FROM attempts a JOIN workers w ON w.id = a.worker WHERE a.run_id = $1 ORDER BY a.id', [runId])).map((a) => [a.tags.includes('side-a') ? 'A' : 'B', a.state]);
    expect(await ranOn(first)).toEqual([['A', 'failed'], ['A', 'failed']]);
    expect((await sql<{ state: string; consecutive_failures: number }>(db.url, "SELECT state, consecutive_failures FROM breakers WHERE key = 'api'"))[0])
      .toEqual({ state: 'open', consecutive_failures: 2 });

    const later = spawnBaton(['run', 'later.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(later);
    const [held] = await waitFor(async () => {
      const rows = await sql<{ run_id: string; state: string; circuit: string | null }>(db.url, "SELECT s.run_id, s.state, s.circuit FROM step_runs s JOIN runs r ON r.id = s.run_id WHERE r.workflow = 'runs-on-b'");
      return rows[0]?.circuit ? rows : undefined;
    }, 15_000, 'the step bound for B to wait behind the breaker');
    expect(held!.state).toBe('queued');
    expect(JSON.parse(held!.circuit!)).toMatchObject({ reason: 'circuit-open', breaker: 'api' });
    expect(await sql(db.url, 'SELECT id FROM attempts WHERE run_id = $1', [held!.run_id])).toEqual([]);

    const reset = await baton(['breakers', 'reset', 'api', '--database-url', db.url], dir);
    expect(reset.code, reset.stderr).toBe(0);
    expect(await later.exited).toBe(0);
    expect(await ranOn(held!.run_id)).toEqual([['B', 'succeeded']]);
  });

  it('attempts published before the breaker opened are not stranded: one of them is each trial, then the run ends', async () => {
    const dir = tempDir('baton-fleet-breaker-');
    writeFileSync(join(dir, 'many.yaml'), `name: many
retry: { attempts: 1 }
breaker: { key: flaky, failures: 2, cooldown: 1s }
steps:
${[1, 2, 3, 4, 5, 6].map((i) => `  - { id: s${i}, run: "sleep 0.3; exit ${i}" }`).join('\n')}
`);
    procs.push(spawnBaton(['worker', '--database-url', db.url, '--slots', '1', '--lease', '1500ms', '--heartbeat', '300ms', '--max-cpu', '1000', '--max-mem', '1'], dir));
    await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= 1, 15_000, 'a worker');
    const r = await baton(['run', 'many.yaml', '--database-url', db.url, '--json'], dir);
    expect(r.code, r.stderr).toBe(1);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    expect((await sql<{ state: string }>(db.url, 'SELECT state FROM attempts WHERE run_id = $1', [runId])).map((a) => a.state)).toEqual(Array(6).fill('failed'));
    // Two failures open it (an attempt the worker had claimed meanwhile still runs: its end no
    // longer counts); every later one, published all along, ran as a trial that opened it again.
    const changes = (await sql<{ from_state: string; to_state: string }>(db.url, "SELECT from_state, to_state FROM events WHERE type = 'breaker' ORDER BY seq")).map((e) => `${e.from_state}->${e.to_state}`);
    expect(changes[0]).toBe('closed->open');
    const trials = changes.slice(1);
    expect(trials.length).toBeGreaterThanOrEqual(2);
    expect(trials).toEqual(trials.map((_, i) => (i % 2 === 0 ? 'open->half-open' : 'half-open->open')));
  }, 60_000);
});
