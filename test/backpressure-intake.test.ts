/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument -- API responses are JSON read loosely; the tests check their shape */
/**
 * Backpressure on intake over a real HTTP server on a real SQLite store: a bounded flood of
 * `POST /api/v1/runs` with no slot free admits exactly up to `reject` and answers the rest
 * 429 with Retry-After, losing nothing admitted; the intake alerts fire at warning and
 * critical on the alert service's virtual clock and resolve under 90 %; a webhook is
 * refused the same way; a schedule tick refused is recorded as missed and raises
 * schedule-missed. Plus the gate's count over time, and the CLI client's message.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord, SqliteStore } from '../src/index.js';
import { compileWorkflow, openSqliteStore, workflowVersion } from '../src/index.js';
import { VirtualClock, workflowRecord } from '../src/runtime/index.js';
import { signWebhook } from '../src/server/index.js';
import { backpressureLimits, decodeDefinition, formatSpecError, validateConfigText } from '../src/workflow/index.js';
import { IntakeGate, IntakeRefusedError, Scheduler } from '../src/triggers/index.js';
import { AlertService, intakeRules, RuleSet } from '../src/observe/index.js';
import { ApiClient, ClientError } from '../src/cli/client.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { baton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';
import type { PgStore } from '../src/index.js';
import { openPostgresStore } from '../src/index.js';
import type { PgFleetStore } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';

const SECRET = 'intake-hook-secret';
const LIMITS = { warning: 5, critical: 10, reject: 20, retryAfterMs: 30_000 };

describe('backpressure on intake over HTTP', () => {
  let api: TestApi;
  let release: string;
  const alertClock = new VirtualClock();
  const admitted: string[] = [];

  beforeAll(async () => {
    // One slot, held by a run started beside the API: every admitted run's step waits for it.
    // The count is read once for the whole flood (a long cache), so the bound is exact.
    api = await startApi({ slots: 1, backpressure: LIMITS, intakeCacheMs: 3_600_000, alertClock, env: { HOOK_SECRET: SECRET } });
    release = join(api.dir, 'release');
    const yaml = `name: held\nsteps:\n  - id: wait\n    run: "while [ ! -f ${release} ]; do sleep 0.05; done"\n`;
    const r = await api.call('POST', '/api/v1/workflows', { body: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(r.status, r.text).toBe(201);
    const hook = `name: hooked\nsecrets: [HOOK_SECRET]\nwebhook: { secret: HOOK_SECRET }\nsteps:\n  - id: a\n    run: "true"\n`;
    expect((await api.call('POST', '/api/v1/workflows', { body: hook, headers: { 'content-type': 'application/yaml' } })).status).toBe(201);
    const rec = (await api.store.getWorkflow(r.body.version))!;
    const blocker = await api.server.loop.startNew(decodeDefinition(rec), rec.version, { trigger: 'manual' });
    await waitFor(async () => (await api.store.getStepRuns(blocker.id))[0]?.state === 'running', 10_000, 'the blocker to hold the slot');
    expect(await api.store.api.waitingRuns()).toBe(0);
  }, 30_000);

  afterAll(async () => {
    writeFileSync(release, '');
    await api?.close();
  });

  const alertsOf = async (rule: string): Promise<AlertRecord[]> => (await api.store.alerts.list({ limit: 100 })).filter((a) => a.rule === rule);
  /** One sweep of the alert service, 15 s later on its clock. */
  const sweep = async (): Promise<void> => {
    alertClock.advance(15_000);
    await api.server.alerts.idle();
    await api.server.alerts.pass();
  };

  it('admits exactly `reject` runs of 60 sent at once; the rest get 429, Retry-After and the depth; nothing admitted is lost', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, () => api.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: 'held' } })));
    const ok = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(20);
    expect(refused).toHaveLength(40);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toBe('30');
      expect(r.body.error).toEqual({
        code: 'intake-refused',
        message: 'intake refused: 20 runs are queued (limit 20); retry after 30 s',
        details: { queued: 20, limit: 20, retryAfterSec: 30 },
      });
    }
    admitted.push(...ok.map((r) => r.body.run.id as string));
    expect(new Set(admitted).size).toBe(20);
    // Every admitted run is in the store, waiting for the slot.
    for (const id of admitted) expect((await api.store.getRun(id))?.state).toMatch(/^(queued|running)$/);
    expect(await api.store.api.waitingRuns()).toBe(20);
    expect((await api.store.listRuns({ limit: 1000 })).filter((r) => r.workflow === 'held')).toHaveLength(21);

    const metrics = (await api.call('GET', '/metrics', { role: 'viewer' })).text;
    expect(metrics).toMatch(/^baton_intake_waiting_runs 20$/m);
    expect(metrics).toMatch(/^baton_intake_refused_total\{source="api"\} 40$/m);
    expect(metrics).toMatch(/^baton_intake_refused_total\{source="webhook"\} 0$/m);
  }, 30_000);

  it('refuses a webhook with 429 and Retry-After, starting nothing', async () => {
    const body = '{}';
    const ts = Math.floor(Date.now() / 1000);
    const r = await api.call('POST', '/hooks/hooked', {
      role: 'none', raw: body,
      headers: { 'content-type': 'application/json', 'x-baton-timestamp': String(ts), 'x-baton-delivery': 'd-1', 'x-baton-signature': signWebhook(SECRET, ts, 'd-1', body) },
    });
    expect(r.status, r.text).toBe(429);
    expect(r.headers.get('retry-after')).toBe('30');
    expect(r.body.error.code).toBe('intake-refused');
    expect((await api.store.api.queryRuns({ workflow: 'hooked', limit: 10 })).runs).toEqual([]);
    expect((await api.call('GET', '/metrics', { role: 'viewer' })).text).toMatch(/^baton_intake_refused_total\{source="webhook"\} 1$/m);
  });

  it('the CLI client reports a refused run with the retry-after and fails (status 429)', async () => {
    const client = new ApiClient(api.url, api.tokens.operator);
    const e = await client.createRun({ workflow: 'held' }).then(() => undefined, (x: unknown) => x);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).status).toBe(429);
    expect((e as ClientError).retryAfterSec).toBe(30);
    expect((e as ClientError).message).toBe(`the server at ${api.url} is busy: intake refused: 20 runs are queued (limit 20); retry after 30 s`);
  });

  it('baton run --server prints the refusal with its retry-after and exits 1; baton run without --server is not refused', async () => {
    const flow = join(api.dir, 'held.yaml');
    writeFileSync(flow, `name: held\nsteps:\n  - id: wait\n    run: "while [ ! -f ${release} ]; do sleep 0.05; done"\n`);
    const r = await baton(['run', flow, '--server', api.url, '--token', api.tokens.admin], api.dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`error: the server at ${api.url} is busy: intake refused: 20 runs are queued (limit 20); retry after 30 s`);
    // Embedded, on the server's own store (20 runs waiting): someone asked for this run directly.
    const local = join(api.dir, 'quick.yaml');
    writeFileSync(local, 'name: quick\nsteps:\n  - id: a\n    run: "true"\n');
    const own = await baton(['--db', join(api.dir, 'baton.db'), 'run', local], api.dir);
    expect(own.code, own.stderr).toBe(0);
    expect(await api.store.api.waitingRuns()).toBe(20);
  }, 30_000);

  it('fires the warning and critical intake alerts and resolves each under 90 % of its threshold', async () => {
    await sweep();
    const [warning] = await alertsOf('intake-warning');
    const [critical] = await alertsOf('intake-critical');
    expect(warning).toMatchObject({ state: 'firing', severity: 'warning', kind: 'backpressure', details: { waitingRuns: 20, threshold: 5 } });
    expect(critical).toMatchObject({ state: 'firing', severity: 'critical', kind: 'backpressure', details: { waitingRuns: 20, threshold: 10 } });

    const cancel = async (n: number): Promise<void> => {
      const ids = admitted.splice(0, n);
      for (const id of ids) expect((await api.call('POST', `/api/v1/runs/${id}/cancel`, { role: 'operator', body: {} })).status).toBe(200);
      await waitFor(async () => (await Promise.all(ids.map((id) => api.store.getRun(id)))).every((r) => r?.state === 'cancelled'), 10_000, 'cancelled runs');
    };
    // 9 waiting: under critical (10) but not under 90 % of it: still firing.
    await cancel(11);
    expect(await api.store.api.waitingRuns()).toBe(9);
    await sweep();
    expect((await alertsOf('intake-critical'))[0]!.state).toBe('firing');
    // 8 < 9: critical resolves; warning (5) stays.
    await cancel(1);
    await sweep();
    expect((await alertsOf('intake-critical'))[0]!.state).toBe('resolved');
    expect((await alertsOf('intake-warning'))[0]!.state).toBe('firing');
    // 4 < 4.5: warning resolves.
    await cancel(4);
    expect(await api.store.api.waitingRuns()).toBe(4);
    await sweep();
    expect((await alertsOf('intake-warning'))[0]!.state).toBe('resolved');
  }, 60_000);
});

describe('the intake gate and schedule ticks on a store', () => {
  let dir: string;
  let store: SqliteStore;
  beforeAll(async () => {
    dir = tempDir('baton-intake-');
    store = openSqliteStore(join(dir, 'baton.db'));
    await store.migrate();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the count at most once per cache window, counts its own admissions in between, and admits again once the depth fell', async () => {
    let depth = 0;
    let reads = 0;
    let now = 0;
    const gate = new IntakeGate({ store: { api: { waitingRuns: () => Promise.resolve((reads++, depth)) } } as never, limits: { ...LIMITS, reject: 3 }, now: () => now });
    const admit = (): Promise<string> => gate.admit('api', () => Promise.resolve('run'));
    await Promise.all([admit(), admit(), admit()]);
    await expect(admit()).rejects.toBeInstanceOf(IntakeRefusedError);
    expect(reads).toBe(1);
    // A second later the store says 1 (two of them started): two more fit.
    now = 1000;
    depth = 1;
    await admit();
    await admit();
    const refused = await admit().then(() => undefined, (e: unknown) => e as IntakeRefusedError);
    expect(refused).toMatchObject({ source: 'api', depth: 3, limit: 3, retryAfterSec: 30 });
    expect(reads).toBe(2);
    // A create that fails holds no place.
    now = 2000;
    depth = 2;
    await expect(gate.admit('api', () => Promise.reject(new Error('no such workflow')))).rejects.toThrow('no such workflow');
    await admit();
    await expect(admit()).rejects.toBeInstanceOf(IntakeRefusedError);
  });

  it('records a refused schedule tick as missed with outcome skipped-backpressure, raising schedule-missed; later ticks run once the depth fell', async () => {
    const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
    const spec = compileWorkflow({ name: 'nightly', steps: [{ id: 'a', run: 'true' }], schedule: { cron: '*/5 * * * *' } }, { baseDir: dir });
    const version = workflowVersion(spec);
    await store.saveWorkflow(workflowRecord(spec, version, T0));
    await store.saveSchedules(spec.name, version, spec.schedules, T0);
    let now = T0;
    const gate = new IntakeGate({ store, limits: { ...LIMITS, reject: 1 }, now: () => now, cacheMs: 0 });
    const scheduler = new Scheduler(store, { specOf: () => Promise.resolve(spec), intake: gate });
    // One run waits: the limit of 1 is reached.
    const other = compileWorkflow({ name: 'other', steps: [{ id: 'a', run: 'true' }] }, { baseDir: dir });
    const otherVersion = workflowVersion(other);
    await store.saveWorkflow(workflowRecord(other, otherVersion, T0));
    const { newRun } = await import('../src/runtime/index.js');
    const waiting = newRun(other, otherVersion, { trigger: 'manual' }, T0);
    await store.createRun(waiting.record, waiting.steps, waiting.events);

    now = T0 + 5 * 60_000;
    const fired = await scheduler.check(now);
    expect(fired).toEqual([{ scheduleId: 'nightly/default', tickAt: now, outcome: 'skipped-backpressure', refused: 'intake refused: 1 runs are queued (limit 1); retry after 30 s' }]);
    expect((await store.listRuns({ limit: 10 })).filter((r) => r.workflow === 'nightly')).toEqual([]);
    // Recorded: the schedule moved past it, and no server fires it again.
    expect((await store.listSchedules())[0]).toMatchObject({ lastTickAt: now, lastOutcome: 'skipped-backpressure' });
    expect(await scheduler.check(now)).toEqual([]);
    expect(await store.fireTick({ scheduleId: 'nightly/default', tickAt: now, now, overlap: 'allow' })).toBeUndefined();

    const clock = new VirtualClock(now);
    const alerts = new AlertService({ store, clock, channels: new Map() });
    await alerts.tick({ ...fired[0]! });
    const [missed] = (await store.alerts.list({ limit: 10 })).filter((a) => a.kind === 'schedule-missed');
    expect(missed).toMatchObject({ state: 'firing', subject: { schedule: 'nightly/default' }, details: { tickAt: now, reason: 'backpressure' } });
    expect(missed!.summary).toContain('intake refused: 1 runs are queued');

    // The waiting run ends: the next tick makes its run.
    await store.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [{ id: waiting.record.id, state: 'cancelled', endedAt: now }], events: [] });
    now += 5 * 60_000;
    expect(await scheduler.check(now)).toMatchObject([{ outcome: 'created' }]);
  });
});

describe('backpressure: in baton.config.yaml', () => {
  const check = (text: string) => validateConfigText(text, { label: 'baton.config.yaml', baseDir: '.' });

  it('compiles the thresholds with their defaults, and refuses them out of order or misspelt', () => {
    expect(backpressureLimits(undefined)).toEqual({ warning: 100, critical: 500, reject: 1000, retryAfterMs: 30_000 });
    const { config, errors } = check('backpressure:\n  reject: 50\n  critical: 40\n  warning: 10\n  retryAfter: 2m\n');
    expect(errors).toEqual([]);
    expect(backpressureLimits(config!.backpressure)).toEqual({ warning: 10, critical: 40, reject: 50, retryAfterMs: 120_000 });

    const order = check('backpressure:\n  reject: 300\n').errors.map(formatSpecError);
    expect(order).toEqual([expect.stringContaining('critical (500) must not be above reject (300)')]);
    const typo = check('backpressure:\n  rejct: 10\n').errors;
    expect(typo[0]).toMatchObject({ message: 'unknown field "rejct"', suggestion: 'reject' });
    expect(check('backpressure:\n  warning: 0\n').errors[0]!.message).toContain('at least 1');
  });
});

describe('backpressure on PostgreSQL: two servers judge the one depth', () => {
  let db: TestDatabase;
  const stores: PgStore[] = [];
  const fleets: PgFleetStore[] = [];
  const apis: TestApi[] = [];
  let release: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    for (let i = 0; i < 2; i++) {
      const store = openPostgresStore(db.url, { max: 4 });
      const fleet = openFleetStore(db.url, { max: 2 });
      stores.push(store);
      fleets.push(fleet);
      // One slot each (engine and worker), held by a blocker; a long cache: one read per flood.
      apis.push(await startApi({ store, fleet, slots: 1, backpressure: { warning: 5, critical: 8, reject: 10, retryAfterMs: 5000 }, intakeCacheMs: 3_600_000 }));
    }
    release = join(apis[0]!.dir, 'release');
    const yaml = `name: held\nsteps:\n  - id: wait\n    run: "while [ ! -f ${release} ]; do sleep 0.05; done"\n`;
    const r = await apis[0]!.call('POST', '/api/v1/workflows', { body: yaml, headers: { 'content-type': 'application/yaml' } });
    expect(r.status, r.text).toBe(201);
    const rec = (await stores[0]!.getWorkflow(r.body.version))!;
    for (const api of apis) await api.server.loop.startNew(decodeDefinition(rec), rec.version, { trigger: 'manual' });
    // Both blockers claimed by the two workers: nothing waits to start.
    await waitFor(async () => (await stores[0]!.api.waitingRuns()) === 0, 20_000, 'the blockers to be claimed');
  }, 60_000);

  afterAll(async () => {
    if (release) writeFileSync(release, '');
    for (const api of apis) await api.close();
    for (const f of fleets) await f.close();
    for (const s of stores) await s.close();
    await db?.drop();
  }, 60_000);

  it('one server admits exactly its limit of a flood; the other, reading the shared count, refuses at once', async () => {
    const [a, b] = apis as [TestApi, TestApi];
    const results = await Promise.all(Array.from({ length: 15 }, () => a.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: 'held' } })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(10);
    expect(results.filter((r) => r.status === 429)).toHaveLength(5);
    // Published to the fleet and unclaimed, or not yet published: all ten wait to start.
    expect(await stores[1]!.api.waitingRuns()).toBe(10);
    const other = await b.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: 'held' } });
    expect(other.status).toBe(429);
    expect(other.headers.get('retry-after')).toBe('5');
    expect(other.body.error.message).toBe('intake refused: 10 runs are queued (limit 10); retry after 5 s');
  }, 30_000);
});

describe('the intake alert rules', () => {
  it('are built in beside the step-run backpressure rule; a rule of the same name replaces one', () => {
    const builtin = new RuleSet(undefined, [], undefined, undefined, intakeRules({ warning: 100, critical: 500 }));
    const bp = builtin.server.filter((r) => r.kind === 'backpressure').map((r) => [r.name, r.severity, r.maxQueuedRuns, r.maxQueued, r.source]);
    expect(bp).toEqual([['backpressure', 'warning', undefined, 1000, 'builtin'], ['intake-warning', 'warning', 100, 1000, 'builtin'], ['intake-critical', 'critical', 500, 1000, 'builtin']]);
    const config = new RuleSet([{ name: 'intake-warning', rule: 'backpressure', enabled: false }], [], undefined, undefined, intakeRules({ warning: 100, critical: 500 }));
    expect(config.server.map((r) => [r.name, r.enabled, r.source])).toEqual([['intake-warning', false, 'config'], ['intake-critical', true, 'builtin']]);
    expect(config.applicable(config.server, 'backpressure').map((r) => r.name)).toEqual(['intake-critical']);
  });
});
