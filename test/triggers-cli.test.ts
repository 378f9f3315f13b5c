/**
 * Delayed runs (`baton run --at/--in/--detach`), `baton server` and `baton schedules`
 * through the real CLI on a SQLite file in a temp dir.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../src/index.js';
import { openSqliteStore } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { ROOT, baton, spawnBaton, tempDir, waitFor } from './helpers.js';

const fixture = (name: string): string => join(ROOT, 'test', 'fixtures', 'triggers', name);
const FLOW = fixture('delayed_marker.yaml');

let dir: string;
let db: string;
let marks: string;
const spawned: CliProcess[] = [];
beforeEach(() => {
  dir = tempDir('baton-triggers-cli-');
  db = join(dir, 'baton.db');
  marks = join(dir, 'marks');
});
afterEach(async () => {
  const left = spawned.splice(0);
  for (const p of left) p.child.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) => baton(['--db', db, ...args], dir);
const serve = (...args: string[]): CliProcess => {
  const p = spawnBaton(['--db', db, 'server', '--port', '0', ...args], dir);
  spawned.push(p);
  return p;
};
/** Resolves once the server printed its startup line (its first iteration is done by then). */
const ready = (p: CliProcess) => waitFor(() => /baton server: \d+ workflows? loaded/.test(p.stdout()), 10_000, 'the server to start');
const stop = async (p: CliProcess): Promise<number | string> => {
  p.child.kill('SIGTERM');
  const code = await p.exited;
  spawned.splice(spawned.indexOf(p), 1);
  return code;
};

async function getRun(id: string): Promise<{ run: RunRecord; events: [string | undefined, string | undefined][]; attempts: number }> {
  const store = openSqliteStore(db);
  try {
    const run = (await store.getRun(id))!;
    const events = (await store.getEvents(id)).filter((e) => e.type === 'run').map((e) => [e.from, e.to] as [string | undefined, string | undefined]);
    return { run, events, attempts: (await store.getAttempts(id)).length };
  } finally {
    await store.close();
  }
}
const state = async (id: string) => (await getRun(id)).run.state;
const markLines = (): string[] => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n') : []);
/** Submits a detached delayed run; returns its id and due time. */
async function detach(delay: string): Promise<{ id: string; dueAt: number }> {
  const r = await cli('run', FLOW, '-p', `marks=${marks}`, '--in', delay, '--detach');
  expect(r.code, r.stderr).toBe(0);
  const id = r.stdout.trim();
  expect(id).toMatch(/^[0-9a-z]{16}$/);
  const { run } = await getRun(id);
  return { id, dueAt: run.dueAt! };
}

describe('delayed runs', () => {
  it('--in 1s in the foreground waits, then runs here: pending -> queued -> succeeded, the step once', async () => {
    const before = Date.now();
    const r = await cli('run', FLOW, '-p', `marks=${marks}`, '--in', '1s');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/is pending until/);
    const lines = markLines();
    expect(lines).toHaveLength(1);
    const { run, events, attempts } = await getRun(lines[0]!);
    expect(run).toMatchObject({ state: 'succeeded', trigger: 'manual' });
    expect(run.dueAt! - before).toBeGreaterThanOrEqual(1000);
    expect(run.startedAt!).toBeGreaterThanOrEqual(run.dueAt!);
    expect(events.slice(0, 3)).toEqual([[undefined, 'pending'], ['pending', 'queued'], ['queued', 'running']]);
    expect(events.at(-1)).toEqual(['running', 'succeeded']);
    expect(attempts).toBe(1);
  });

  it('--detach --in 1s prints the id and leaves the run pending; baton server starts it when due, once', async () => {
    const { id, dueAt } = await detach('1s');
    expect(await state(id)).toBe('pending');
    expect((await getRun(id)).run.priority).toBe(0);
    expect(markLines()).toEqual([]);

    const server = serve();
    await waitFor(async () => (await state(id)) === 'succeeded', 10_000, 'the run to succeed');
    expect(await stop(server)).toBe(0);
    const { run, events, attempts } = await getRun(id);
    expect(run.startedAt!).toBeGreaterThanOrEqual(dueAt);
    expect(events.slice(0, 2)).toEqual([[undefined, 'pending'], ['pending', 'queued']]);
    expect(attempts).toBe(1);
    expect(markLines()).toEqual([id]);
    expect(server.stdout()).toMatch(new RegExp(`started run ${id}`));
  });

  it('a detached run is durable: a server killed -9 before it is due, then another server, runs it once', async () => {
    // Due late enough that a server starts and is killed first even on a loaded machine.
    const { id, dueAt } = await detach('6s');
    const first = serve('--workflows', mkdirIn('empty'));
    await ready(first);
    expect(Date.now()).toBeLessThan(dueAt); // killed before the run came due
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    spawned.splice(spawned.indexOf(first), 1);
    expect(await state(id)).toBe('pending');

    const second = serve();
    await waitFor(async () => (await state(id)) === 'succeeded', 20_000, 'the run to succeed');
    expect(await stop(second)).toBe(0);
    expect(markLines()).toEqual([id]);
    expect((await getRun(id)).attempts).toBe(1);
  });

  it('--priority is recorded on a delayed run', async () => {
    const r = await cli('run', FLOW, '-p', `marks=${marks}`, '--in', '1h', '--detach', '--priority', '-3');
    expect(r.code, r.stderr).toBe(0);
    expect((await getRun(r.stdout.trim())).run).toMatchObject({ state: 'pending', priority: -3 });
  });

  it('baton cancel of a pending run: cancelled, and a server never runs it', async () => {
    const { id, dueAt } = await detach('1s');
    const c = await cli('cancel', id);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/cancelled/);
    expect(await state(id)).toBe('cancelled');
    // Past its due time, a server's first iteration (done before its startup line) leaves it.
    await waitFor(() => Date.now() > dueAt, 5_000, 'the due time to pass');
    const server = serve();
    await ready(server);
    expect(await stop(server)).toBe(0);
    expect(await state(id)).toBe('cancelled');
    expect(markLines()).toEqual([]);
    expect(server.stdout()).not.toMatch(id);
  });

  // The wait ends with the run cancelled by `baton cancel`: the command says so and exits 130.
  // Due in 10 s, so `baton cancel` (a second process) comes first however loaded the machine is.
  it('a foreground delayed run cancelled while it waits exits 130 and says it was cancelled', async () => {
    const fg = spawnBaton(['--db', db, 'run', FLOW, '-p', `marks=${marks}`, '--in', '10s'], dir);
    spawned.push(fg);
    const id = (await waitFor(() => /run ([0-9a-z]{16}) is pending until/.exec(fg.stderr()), 10_000, 'the pending line'))[1]!;
    const c = await cli('cancel', id);
    expect(c.code, c.stderr).toBe(0);
    const code = await fg.exited;
    spawned.splice(spawned.indexOf(fg), 1);
    expect(await state(id)).toBe('cancelled');
    expect(markLines()).toEqual([]);
    expect(fg.stderr()).not.toMatch(/started by another process/);
    expect(code).toBe(130);
  });
});

describe('invalid delayed-run options', () => {
  it('--priority out of -10..+10, or not an integer: exit 2', async () => {
    for (const p of ['11', '1.5']) {
      const r = await cli('run', FLOW, '-p', `marks=${marks}`, '--in', '1h', '--priority', p);
      expect(r.code, `--priority ${p}`).toBe(2);
      expect(r.stderr).toMatch(/--priority expects an integer from -10 to 10/);
    }
  });

  it('--at in the past: exit 2 with a clear message; nothing is recorded', async () => {
    const r = await cli('run', FLOW, '-p', `marks=${marks}`, '--at', '2020-01-01T00:00:00Z');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--at 2020-01-01T00:00:00Z is in the past/);
    const bad = await cli('run', FLOW, '-p', `marks=${marks}`, '--at', 'tomorrow');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--at expects a date-time/);
    const both = await cli('run', FLOW, '-p', `marks=${marks}`, '--at', '2099-01-01T00:00:00Z', '--in', '1m');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--at or --in, not both/);
    expect(markLines()).toEqual([]);
  });
});

function mkdirIn(name: string): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  return p;
}

interface ListedSchedule { id: string; paused: boolean; spec: { cron: string; timezone: string }; next: number[] }
async function schedulesJson(...extra: string[]): Promise<ListedSchedule[]> {
  const r = await cli('schedules', '--json', ...extra);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as ListedSchedule[];
}

describe('baton server --workflows and baton schedules', () => {
  it('serves the valid file, reports the invalid one with file:line:col, and picks up an edit', async () => {
    const flows = mkdirIn('flows');
    copyFileSync(fixture('schedule_nightly.yaml'), join(flows, 'schedule_nightly.yaml'));
    copyFileSync(fixture('schedule_bad_cron.yaml'), join(flows, 'schedule_bad_cron.yaml'));
    const server = serve('--workflows', flows);
    await ready(server);
    const out = server.stdout();
    expect(out).toMatch(/baton server: 1 workflow loaded, 1 invalid/);
    expect(out).toMatch(/invalid .*schedule_bad_cron\.yaml, not served/);
    expect(out).toMatch(/schedule_bad_cron\.yaml:4:\d+\s+schedule\.cron\s+invalid cron "61 \* \* \* \*"/);
    expect(out).toMatch(/loaded schedule_nightly/);

    const [s] = await schedulesJson();
    expect(s).toMatchObject({ id: 'schedule_nightly/default', paused: false, spec: { cron: '0 3 * * *', timezone: 'Europe/Paris' } });
    expect((await schedulesJson()).map((x) => x.id)).toEqual(['schedule_nightly/default']);

    writeFileSync(join(flows, 'schedule_nightly.yaml'), readFileSync(fixture('schedule_nightly.yaml'), 'utf8').replace('0 3 * * *', '15 4 * * *'));
    await waitFor(async () => (await schedulesJson())[0]?.spec.cron === '15 4 * * *', 10_000, 'the edited cron');
    expect(await stop(server)).toBe(0);
  });

  it('lists next fire times, pauses and resumes by name; an unknown name is exit 2', async () => {
    const flows = mkdirIn('flows');
    copyFileSync(fixture('schedule_nightly.yaml'), join(flows, 'schedule_nightly.yaml'));
    const server = serve('--workflows', flows);
    await ready(server);
    expect(await stop(server)).toBe(0); // the schedule stays registered in the store

    const text = await cli('schedules');
    expect(text.code, text.stderr).toBe(0);
    // LAST TICK: no tick fired yet (the time the schedule was registered, or '-'), then the next fire times.
    expect(text.stdout).toMatch(/schedule_nightly\/default\s+0 3 \* \* \*\s+Europe\/Paris\s+active\s+run-once\s+skip\s+(?:-|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+[12])\s+\d{4}-\d\d-\d\d 03:00:00 GMT\+[12]/);

    const [s] = await schedulesJson('--next', '5');
    expect(s!.next).toHaveLength(5);
    const now = Date.now();
    expect(s!.next[0]!).toBeGreaterThan(now);
    for (let i = 1; i < 5; i++) expect(s!.next[i]! - s!.next[i - 1]!).toBeGreaterThanOrEqual(23 * 3600_000);

    const p = await cli('schedules', 'pause', 'schedule_nightly');
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/paused: schedule_nightly\/default/);
    expect((await schedulesJson())[0]).toMatchObject({ paused: true, next: [] });
    expect((await cli('schedules')).stdout).toMatch(/schedule_nightly\/default\s+0 3 \* \* \*\s+Europe\/Paris\s+paused\s/);

    const r = await cli('schedules', 'resume', 'schedule_nightly/default');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/resumed: schedule_nightly\/default/);
    expect((await schedulesJson())[0]).toMatchObject({ paused: false, next: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)] });

    const unknown = await cli('schedules', 'pause', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/no schedule matches 'nope'/);
    expect((await cli('schedules', 'resume', 'schedule_nightly/nope')).code).toBe(2);
  });

  it('an empty store lists no schedules with a hint', async () => {
    const r = await cli('schedules');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/no schedules/);
  });
});
