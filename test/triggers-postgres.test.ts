/**
 * Exactly-once firing on one PostgreSQL database shared by several schedulers and servers:
 * two stores (two pools, as two nodes would have) race on the same ticks and due runs, and
 * two real `baton server` processes serve one every-second schedule.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PgStore, RunRecord, WorkflowInput, WorkflowSpec } from '../src/index.js';
import { compileWorkflow, openPostgresStore, workflowVersion } from '../src/index.js';
import { workflowRecord } from '../src/runtime/index.js';
import { Scheduler } from '../src/triggers/index.js';
import type { CliProcess } from './helpers.js';
import { spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('two schedulers on one PostgreSQL database', () => {
  let a: PgStore;
  let b: PgStore;
  beforeEach(async () => {
    // Each test starts from empty trigger tables (one database per file).
    await sql(db.url, 'TRUNCATE runs, step_runs, attempts, events, schedules, schedule_ticks, workflows CASCADE');
    a = openPostgresStore(db.url, { max: 4 });
    b = openPostgresStore(db.url, { max: 4 });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  /** Registers a workflow with `schedule` through store a; returns one scheduler per store. */
  async function register(schedule: WorkflowInput['schedule']): Promise<[Scheduler, Scheduler, WorkflowSpec]> {
    const spec = compileWorkflow({ name: 'nightly', steps: [{ id: 'a', run: 'true' }], schedule }, { baseDir: '/' });
    const version = workflowVersion(spec);
    await a.saveWorkflow(workflowRecord(spec, version, T0));
    await a.saveSchedules(spec.name, version, spec.schedules, T0);
    const specOf = (): Promise<WorkflowSpec> => Promise.resolve(spec);
    return [new Scheduler(a, { specOf }), new Scheduler(b, { specOf }), spec];
  }

  /** Runs per (schedule, tick), and ticks recorded, read straight from the database. */
  async function tally(): Promise<{ runs: number; dupRuns: unknown[]; ticks: number; orphanTicks: unknown[] }> {
    const runs = (await sql<{ n: number }>(db.url, 'SELECT count(*)::int AS n FROM runs'))[0]!.n;
    const dupRuns = await sql(db.url, 'SELECT schedule_id, tick_at, count(*)::int AS n FROM runs GROUP BY 1, 2 HAVING count(*) > 1');
    const ticks = (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM schedule_ticks WHERE outcome = 'created'"))[0]!.n;
    const orphanTicks = await sql(db.url,
      `SELECT t.* FROM schedule_ticks t LEFT JOIN runs r ON r.id = t.run_id
       WHERE t.outcome = 'created' AND (r.id IS NULL OR r.tick_at <> t.tick_at OR r.schedule_id <> t.schedule_id)`);
    return { runs, dupRuns, ticks, orphanTicks };
  }

  it('catch-up of 40 missed ticks on 3 schedules, checked by both at once: one run per tick', async () => {
    const [s1, s2] = await register([
      { cron: '* * * * *', misfire: 'catch-up', overlap: 'allow' },
      { cron: '*/2 * * * *', misfire: 'catch-up', overlap: 'allow' },
      { cron: '*/4 * * * *', misfire: 'catch-up', overlap: 'allow' },
    ]);
    const now = T0 + 40 * MIN + 30_000;
    const [f1, f2] = await Promise.all([s1.check(now), s2.check(now)]);
    const fired = [...f1, ...f2];
    const keys = fired.map((f) => `${f.scheduleId}@${f.tickAt}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(fired.filter((f) => f.outcome === 'created')).toHaveLength(40 + 20 + 10);
    expect(await tally()).toEqual({ runs: 70, dupRuns: [], ticks: 70, orphanTicks: [] });
    // Both see the work done.
    expect([...(await s1.check(now)), ...(await s2.check(now))]).toEqual([]);
  });

  it('on-time ticks checked by both at once, tick after tick: one run per tick', async () => {
    const [s1, s2] = await register([
      { cron: '*/5 * * * *', overlap: 'allow' },
      { cron: '*/5 * * * *', overlap: 'allow', name: 'twin' },
    ]);
    for (let i = 1; i <= 5; i++) {
      const t = T0 + i * 5 * MIN;
      const [f1, f2] = await Promise.all([s1.check(t), s2.check(t)]);
      expect(f1.length + f2.length, `tick ${i}`).toBe(2);
    }
    expect(await tally()).toEqual({ runs: 10, dupRuns: [], ticks: 10, orphanTicks: [] });
  });

  it('run-once after an outage, checked by both at once: one run', async () => {
    const [s1, s2] = await register({ cron: '*/5 * * * *' });
    const now = T0 + 62 * MIN;
    await Promise.all([s1.check(now), s2.check(now)]);
    expect(await tally()).toEqual({ runs: 1, dupRuns: [], ticks: 1, orphanTicks: [] });
    const [run] = await a.listRuns();
    expect(run).toMatchObject({ tickAt: T0 + 60 * MIN, state: 'pending', trigger: 'schedule' });
  });

  it('promoteDueRuns from both stores at once moves each due run once', async () => {
    const [s1] = await register({ cron: '* * * * *', misfire: 'catch-up', overlap: 'allow' });
    const now = T0 + 60 * MIN + 1;
    expect(await s1.check(now)).toHaveLength(60);
    const drain = async (s: PgStore): Promise<string[]> => {
      const got: string[] = [];
      for (;;) {
        const ids = await s.promoteDueRuns(now, 7);
        if (!ids.length) return got;
        got.push(...ids);
      }
    };
    const [pa, pb] = await Promise.all([drain(a), drain(b)]);
    // SKIP LOCKED: a store may stop early while the other holds rows; sweep the rest.
    const rest = await a.promoteDueRuns(now, 100);
    const all = [...pa, ...pb, ...rest];
    expect(new Set(all).size).toBe(all.length);
    expect(all).toHaveLength(60);
    const events = await sql<{ n: number }>(db.url,
      "SELECT count(*)::int AS n FROM events WHERE type = 'run' AND from_state = 'pending' AND to_state = 'queued' GROUP BY run_id");
    expect(events.map((e) => e.n)).toEqual(Array<number>(60).fill(1));
    expect((await a.listRuns({ state: ['queued'], limit: 100 }))).toHaveLength(60);
  });

  it('overlap: skip sees a run created by the other node', async () => {
    const [s1, s2] = await register({ cron: '*/5 * * * *' });
    expect(await s1.check(T0 + 5 * MIN)).toMatchObject([{ outcome: 'created' }]);
    expect(await s2.check(T0 + 10 * MIN)).toMatchObject([{ outcome: 'skipped-overlap' }]);
  });

  // A run waiting behind its schedule's previous run stays pending until that run ends.
  it('overlap: queue — the second run is not promoted while the first is queued (PostgreSQL)', async () => {
    const [s1] = await register({ cron: '*/5 * * * *', overlap: 'queue' });
    const [first] = await s1.check(T0 + 5 * MIN);
    const [second] = await s1.check(T0 + 10 * MIN);
    expect((await a.getRun(second!.runId!))!.waitForSchedule).toBe(true);
    expect(await a.promoteDueRuns(T0 + 10 * MIN, 10)).toEqual([first!.runId]);
  });

  it('overlap: queue — promoted after the first ends, when the first was promoted earlier (PostgreSQL)', async () => {
    const [s1] = await register({ cron: '*/5 * * * *', overlap: 'queue' });
    const [first] = await s1.check(T0 + 5 * MIN);
    expect(await a.promoteDueRuns(T0 + 5 * MIN, 10)).toEqual([first!.runId]);
    const [second] = await s1.check(T0 + 10 * MIN);
    expect(await b.promoteDueRuns(T0 + 10 * MIN, 10)).toEqual([]);
    await a.commit({ attemptsStarted: [], attemptsEnded: [], stepRuns: [], runs: [{ id: first!.runId!, state: 'succeeded', endedAt: T0 + 11 * MIN }], events: [] });
    expect(await b.promoteDueRuns(T0 + 11 * MIN, 10)).toEqual([second!.runId]);
  });
});

describe('two baton server processes on one PostgreSQL database', () => {
  let work: string;
  let own: TestDatabase | undefined;
  const servers: CliProcess[] = [];
  beforeEach(() => {
    work = tempDir('baton-pg-servers-');
  });
  afterEach(async () => {
    const left = servers.splice(0);
    for (const s of left) s.child.kill('SIGKILL');
    await Promise.all(left.map((s) => s.exited));
    await own?.drop();
    own = undefined;
    rmSync(work, { recursive: true, force: true });
  });

  it('an every-second schedule fires each tick once; every started run succeeds, once', async () => {
    own = await createTestDatabase();
    const url = own.url;
    const flows = join(work, 'flows');
    mkdirSync(flows);
    writeFileSync(join(flows, 'every_second.yaml'), [
      'name: every_second',
      'schedule:',
      '  cron: "* * * * * *"',
      '  overlap: allow',
      'steps:',
      `  - id: mark`,
      `    run: 'echo "$BATON_RUN_ID" >> "${join(work, 'marks')}"'`,
      '',
    ].join('\n'));
    for (const node of ['n1', 'n2']) {
      mkdirSync(join(work, node));
      servers.push(spawnBaton(['--db', join(work, node, 'baton.db'), 'server', '--port', '0', '--workflows', flows, '--database-url', url], work));
    }
    const created = async (): Promise<number> =>
      (await sql<{ n: number }>(url, "SELECT count(*)::int AS n FROM schedule_ticks WHERE outcome = 'created'"))[0]!.n;
    await waitFor(async () => (await created()) >= 4, 15_000, '4 ticks recorded');
    // Both servers are up and serving (each loaded the file).
    for (const s of servers) expect(s.stdout()).toMatch(/loaded every_second/);

    for (const s of servers) s.child.kill('SIGTERM');
    const codes = await Promise.all(servers.map((s) => s.exited));
    const output = servers.map((s) => s.stdout() + s.stderr()).join('\n');
    expect(codes, output).toEqual([0, 0]);
    servers.splice(0);

    const runs = await sql<{ id: string; tick_at: string; state: RunRecord['state']; started_at: string | null }>(url,
      "SELECT id, tick_at, state, started_at FROM runs WHERE schedule_id = 'every_second/default' ORDER BY tick_at");
    const ticks = await sql<{ tick_at: string; outcome: string; run_id: string | null }>(url,
      "SELECT tick_at, outcome, run_id FROM schedule_ticks WHERE schedule_id = 'every_second/default' ORDER BY tick_at");
    expect(ticks.length).toBeGreaterThanOrEqual(4);
    // The key property: no tick has two runs, and each created tick names its one run.
    const tickAts = runs.map((r) => r.tick_at);
    expect(new Set(tickAts).size, JSON.stringify(runs)).toBe(tickAts.length);
    expect(ticks.filter((t) => t.outcome === 'created').map((t) => t.run_id).sort()).toEqual(runs.map((r) => r.id).sort());
    expect(ticks.every((t) => t.outcome === 'created'), JSON.stringify(ticks)).toBe(true);
    // Ticks are whole seconds, one second apart (a missed one would be a gap).
    const secs = ticks.map((t) => Number(t.tick_at) / 1000);
    expect(secs.every((s, i) => Number.isInteger(s) && (i === 0 || s === secs[i - 1]! + 1)), secs.join(',')).toBe(true);

    // SIGTERM drains: nothing is left running or failed. Runs fired but not yet started
    // when the servers stopped may stay pending/queued; every run that started succeeded.
    for (const r of runs) {
      if (r.started_at !== null || r.state === 'running') expect(r.state, r.id).toBe('succeeded');
      else expect(['pending', 'queued', 'succeeded'], r.id).toContain(r.state);
    }
    const succeeded = runs.filter((r) => r.state === 'succeeded');
    expect(succeeded.length).toBeGreaterThanOrEqual(3);
    // Each run's step executed once: one attempt per run, one marker line per run.
    const attempts = await sql<{ run_id: string; n: number }>(url, 'SELECT run_id, count(*)::int AS n FROM attempts GROUP BY run_id');
    expect(attempts.filter((x) => x.n !== 1)).toEqual([]);
    const marks = readFileSync(join(work, 'marks'), 'utf8').trim().split('\n');
    expect(new Set(marks).size).toBe(marks.length);
    expect(marks.sort()).toEqual(succeeded.map((r) => r.id).sort());
    // The loop itself never failed (a lost race to start a run is reported per run, see the report).
    expect(output).not.toMatch(/error: trigger loop/);
  });
});
