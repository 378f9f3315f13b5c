/**
 * The CLI against a server: a real `serve()` on a SQLite file and the real CLI with
 * `--server URL` and `BATON_TOKEN`. What it prints must equal what the same command prints
 * with `--db` on the server's own file.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttemptRecord, RunRecord, StoredStepRun } from '../src/index.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import { baton, fixture, spawnBaton, tempDir, waitFor } from './helpers.js';

let api: TestApi;
let cwd: string;
let db: string;
beforeAll(async () => {
  api = await startApi();
  cwd = tempDir('baton-cli-server-');
  db = join(api.dir, 'baton.db');
});
afterAll(async () => {
  await api.close();
  rmSync(cwd, { recursive: true, force: true });
});

/** The CLI through the API with a role's token. */
const remote = (args: string[], role: 'viewer' | 'operator' | 'admin' = 'admin'): ReturnType<typeof baton> =>
  baton(['--server', api.url, ...args], cwd, { BATON_TOKEN: api.tokens[role] });
/** The CLI on the server's SQLite file. */
const local = (args: string[]): ReturnType<typeof baton> => baton(['--db', db, ...args], cwd);

/** A fresh directory for a fixture's files. */
function workDir(name: string): string {
  const d = join(cwd, name);
  mkdirSync(d, { recursive: true });
  return d;
}

async function stateOf(runId: string): Promise<RunRecord | undefined> {
  return api.store.getRun(runId);
}

async function untilState(runId: string, ...states: RunRecord['state'][]): Promise<RunRecord> {
  return waitFor(async () => {
    const r = await stateOf(runId);
    return r && states.includes(r.state) ? r : undefined;
  }, 15_000, `run ${runId} to be ${states.join(' or ')}`);
}

/** `run FILE --detach` through the API: the run id it printed. */
async function detach(file: string, ...args: string[]): Promise<string> {
  const r = await remote(['run', fixture(file), ...args, '--detach']);
  expect(r.stderr).not.toContain('error');
  expect(r.code).toBe(0);
  return r.stdout.trim();
}

describe('baton --server: reading runs', () => {
  it('run --detach registers the file and the server executes the run; runs, show and logs print what local mode prints', async () => {
    const d = workDir('read');
    const runId = await detach('retry_failed_only.yaml', '-p', `dir=${d}`);
    expect(runId).toMatch(/^[a-z0-9]+$/);
    const run = await untilState(runId, 'failed');
    expect(run.trigger).toBe('api');
    const loud = await detach('exit_code_3.yaml');
    await untilState(loud, 'failed');

    for (const args of [['runs'], ['runs', '--json'], ['runs', '--state', 'failed,succeeded', '-n', '5'], ['show', runId], ['show', runId.slice(0, 10), '--json'], ['logs', runId], ['logs', loud], ['logs', loud, 'boom']]) {
      const [r, l] = [await remote(args), await local(args)];
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      // JSON: the same values (the API may order an object's keys differently); text: the same text.
      if (args.includes('--json')) expect(JSON.parse(r.stdout), args.join(' ')).toEqual(JSON.parse(l.stdout));
      else expect(r.stdout, args.join(' ')).toBe(l.stdout);
    }
    const shown = JSON.parse((await remote(['show', runId, '--json'])).stdout) as { run: RunRecord; steps: StoredStepRun[]; attempts: AttemptRecord[] };
    expect(shown.steps.map((s) => [s.stepId, s.state])).toEqual([['a', 'succeeded'], ['b', 'failed'], ['c', 'skipped'], ['d', 'succeeded']]);
    expect((await remote(['logs', loud])).stdout).toMatch(/^== hello \(attempt 1\) ==\n\[hello\] hello from hello\n/);

    // Errors read the same too.
    for (const args of [['show', 'nosuchrun'], ['logs', runId, 'nosuchstep'], ['runs', '--state', 'bogus']]) {
      const [r, l] = [await remote(args), await local(args)];
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: l.code, stderr: l.stderr });
      expect(r.code).toBe(2);
    }
  }, 60_000);

  it('logs --follow prints what a running step writes until the run ends', async () => {
    const d = workDir('follow');
    const runId = await detach('logs_follow.yaml', '-p', `dir=${d}`);
    const p = spawnBaton(['--server', api.url, 'logs', runId, '--follow'], cwd, { BATON_TOKEN: api.tokens.viewer });
    await waitFor(() => p.stdout().includes('[talk] first line'), 10_000, 'the first line');
    expect(p.stdout()).not.toContain('second line');
    writeFileSync(join(d, 'GO'), '');
    expect(await p.exited).toBe(0);
    expect(p.stdout()).toBe('== talk (attempt 1) ==\n[talk] first line\n[talk] second line\n');
  });
});

describe('baton --server: changing runs', () => {
  it('run in the foreground follows the server executing it and exits with its outcome', async () => {
    const r = await remote(['run', fixture('succeeds.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step hello succeeded/);
    expect(r.stdout).toMatch(/run \w+ succeeded in .*: 1 succeeded, 0 failed, 0 skipped, 0 cancelled/);

    const q = await remote(['run', fixture('exit_code_3.yaml'), '--quiet']);
    expect(q.code).toBe(1);
    expect(q.stdout).toMatch(/^run \w+ failed in/);
  });

  it('retry re-runs the failed steps on the server (followed, or detached) and retry --new makes a new run', async () => {
    const d = workDir('retry');
    const runId = await detach('retry_failed_only.yaml', '-p', `dir=${d}`);
    await untilState(runId, 'failed');

    const r = await remote(['retry', runId], 'operator');
    expect(r.stderr).toContain(`run ${runId}: re-running b, c`);
    expect(r.stdout).toContain(`run ${runId} succeeded in`);
    expect(r.stdout).toMatch(/step b running \(attempt 3\)/);
    expect(r.code).toBe(0);
    expect(readFileSync(join(d, 'ran'), 'utf8').trim().split('\n')).toEqual(expect.arrayContaining(['a', 'b', 'c', 'd']));

    const again = await remote(['retry', runId, '--from', 'c', '--detach'], 'operator');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(runId);
    expect(again.stderr).toContain(`run ${runId}: re-running c`);
    await waitFor(async () => (await api.store.getAttempts(runId, 'c')).some((a) => a.number === 2 && a.state === 'succeeded'), 10_000, 'c to run again');

    const fresh = await remote(['retry', runId, '--new', '--detach'], 'operator');
    expect(fresh.code).toBe(0);
    const newId = fresh.stdout.trim();
    expect(newId).not.toBe(runId);
    expect(fresh.stderr).toContain(`run ${newId} retries run ${runId} (same version and params)`);
    expect((await untilState(newId, 'succeeded', 'failed')).retryOf).toBe(runId);
  });

  it('pause holds the next step, runs shows it, resume lets the server go on', async () => {
    const d = workDir('pause');
    const runId = await detach('pause_gate.yaml', '-p', `dir=${d}`);
    await waitFor(async () => (await api.store.getStepRuns(runId)).find((s) => s.stepId === 'first')?.state === 'running', 10_000, 'first to run');

    const p = await remote(['pause', runId.slice(0, 10)], 'operator');
    expect(p.stdout).toBe(`run ${runId} paused: no new step starts, running steps finish; 'baton resume ${runId}' continues it\n`);
    expect(p.code).toBe(0);
    expect((await remote(['pause', runId], 'operator')).stdout).toContain(`run ${runId} is already paused`);
    expect((await remote(['runs'], 'viewer')).stdout).toMatch(new RegExp(`${runId}\\s+pause_gate\\s+running \\(paused\\)`));

    writeFileSync(join(d, 'gate'), '');
    await waitFor(async () => (await api.store.getStepRuns(runId)).find((s) => s.stepId === 'second')?.state === 'queued', 10_000, 'second to be ready');
    const shown = await remote(['show', runId]);
    expect(shown.stdout).toContain(`paused    since`);
    // The same lines but for how long it has run and each has waited: each look is at its own moment.
    const waitless = (text: string): string => text.replace(/(queued|waiting|duration) \d[\dhms.]*/g, '$1 …');
    expect(waitless(shown.stdout)).toBe(waitless((await local(['show', runId])).stdout));
    expect(shown.stdout).toMatch(/second\s+queued\s+queued \d/);

    const r = await remote(['resume', runId, '--detach'], 'operator');
    expect(r.stdout).toBe(`run ${runId} resumed: the process running it starts new steps again\n`);
    expect(r.code).toBe(0);
    await untilState(runId, 'succeeded');
    expect(readFileSync(join(d, 'ran'), 'utf8').trim().split('\n')).toEqual(['first', 'second', 'third']);
  });

  it('cancel stops a running run; priority reorders a pending one; both read as in local mode', async () => {
    const d = workDir('cancel');
    const runId = await detach('cancel_sleep.yaml', '-p', `pidfile=${join(d, 'pid')}`);
    await waitFor(() => existsSync(join(d, 'pid')), 10_000, 'the step to start');
    const c = await remote(['cancel', runId], 'operator');
    expect(c.stdout).toBe(`cancel requested for run ${runId}; the process running it stops its steps now\n`);
    await untilState(runId, 'cancelled');
    expect((await remote(['cancel', runId], 'operator')).stdout).toBe(`run ${runId} has already ended; nothing to cancel\n`);

    const later = await remote(['run', fixture('succeeds.yaml'), '--in', '1h', '--detach']);
    const laterId = later.stdout.trim();
    expect(later.stderr).toContain(`run ${laterId} is pending until`);
    expect((await stateOf(laterId))?.state).toBe('pending');
    const p = await remote(['priority', laterId, '5'], 'operator');
    expect(p.stdout).toBe(`run ${laterId} (pending) now has priority 5\n`);
    expect((await stateOf(laterId))?.priority).toBe(5);
    const [bad, badLocal] = [await remote(['priority', laterId, '11'], 'operator'), await local(['priority', laterId, '11'])];
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 2, stderr: badLocal.stderr });
    expect((await remote(['cancel', laterId], 'operator')).stdout).toBe(`run ${laterId} cancelled (no process was running it)\n`);
  });
});

describe('baton --server: failures', () => {
  it('run --server resolves the file\'s relative paths from its own folder when the server sees it, as a local run does', async () => {
    const d = workDir('relative');
    writeFileSync(join(d, 'build.sh'), `#!/bin/sh\necho built > "${join(d, 'built')}"\n`, { mode: 0o755 });
    writeFileSync(join(d, 'relative.yaml'), 'name: relative-paths\nsteps:\n  - id: build\n    run: ./build.sh\n');
    const r = await remote(['run', join(d, 'relative.yaml'), '--quiet']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(readFileSync(join(d, 'built'), 'utf8').trim()).toBe('built');
  });

  it('a viewer token may read but not change runs: a clear 403 message and exit code 2', async () => {
    const runId = (await api.store.listRuns({ limit: 1 }))[0]?.id ?? 'x';
    const r = await remote(['cancel', runId], 'viewer');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: not allowed: this route needs the operator role; the token has viewer (use a token with that role: baton token create --role …)\n');
    const reg = await remote(['run', fixture('diamond_outputs.yaml'), '--detach'], 'operator');
    expect(reg.code).toBe(2);
    expect(reg.stderr).toContain('needs the admin role; the token has operator');
  });

  it('an unreachable server, a wrong token, no token and store-only commands give clear errors', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const down = await baton(['--server', `http://127.0.0.1:${port}`, 'runs'], cwd, { BATON_TOKEN: 'x' });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error: cannot reach the baton server at http://127.0.0.1:${port}: ECONNREFUSED\n`);

    const wrong = await baton(['runs'], cwd, { BATON_SERVER: api.url, BATON_TOKEN: 'not-a-token' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`error: the server at ${api.url} refused the token`);

    const none = await baton(['--server', api.url, 'runs'], cwd, { BATON_TOKEN: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--server ${api.url} needs an API token: give --token or set BATON_TOKEN`);

    const token = await baton(['--server', `${api.url}/api/v1/`, '--token', api.tokens.viewer, 'runs', '--json'], cwd);
    expect(token.code).toBe(0);
    expect(Array.isArray(JSON.parse(token.stdout))).toBe(true);

    const sched = await remote(['schedules']);
    expect(sched.code).toBe(2);
    expect(sched.stderr).toContain('baton schedules does not work against a server');
    const res = await remote(['run', fixture('succeeds.yaml'), '--resume']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--resume works on a local store');
  });
});
