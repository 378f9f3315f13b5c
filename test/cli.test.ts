import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { RunRecord } from '../src/index.js';
import { baton, fixture, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let db: string;
beforeAll(() => {
  dir = tempDir('baton-cli-');
  db = join(dir, 'baton.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs baton with `--db` on this file's database. */
const withDb = (...args: string[]) => baton(['--db', db, ...args], dir);

describe('baton run: exit codes', () => {
  it('0 when the run succeeds, with the store in ./.baton by default', async () => {
    const cwd = tempDir('baton-cli-cwd-');
    try {
      const r = await baton(['run', fixture('succeeds.yaml')], cwd);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/run \w+ succeeded in .*: 1 succeeded, 0 failed, 0 skipped, 0 cancelled/);
      expect(existsSync(join(cwd, '.baton', 'baton.db'))).toBe(true);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('1 when a step fails, naming the step and its error', async () => {
    const r = await withDb('run', fixture('exit_code_3.yaml'));
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('1 succeeded, 1 failed');
    expect(r.stdout).toMatch(/boom: exited with code 3 +\(logs: baton logs \w+ boom\)/);
  });

  it('2 for an invalid file, with file:line:col of the problem', async () => {
    const file = fixture('invalid_unknown_needs.yaml');
    const r = await withDb('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:6:16  steps[1].needs[1]  needs unknown step "nope"`);
  });

  it('2 for a missing file, an unknown param, and a usage error', async () => {
    expect((await withDb('run', fixture('no_such_file.yaml'))).code).toBe(2);
    const r = await withDb('run', fixture('param_metacharacters.yaml'), '-p', 'text=x', '-p', `dir=${dir}`, '-p', 'txet=1');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown param "txet" (did you mean "text"?)');
    expect((await withDb('run', fixture('succeeds.yaml'), '--concurrency', '0')).code).toBe(2);
    expect((await withDb('frobnicate')).code).toBe(2);
  });

  it('a param with shell metacharacters given by -p reaches the command as inert text', async () => {
    const work = tempDir('baton-cli-param-');
    try {
      const text = "$(touch PWNED); rm -rf x; `id` \"quoted\" 'single' a=b";
      writeFileSync(join(work, 'x'), 'keep');
      const r = await withDb('run', fixture('param_metacharacters.yaml'), '-p', `text=${text}`, '-p', `dir=${work}`);
      expect(r.code).toBe(0);
      expect(readFileSync(join(work, 'out.txt'), 'utf8')).toBe(text);
      expect(existsSync(join(work, 'PWNED'))).toBe(false);
      expect(existsSync(join(work, 'x'))).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('baton validate and graph', () => {
  it('validate: 2 with file:line:col for an invalid file, 0 for a valid one', async () => {
    const bad = fixture('invalid_unknown_needs.yaml');
    const r = await baton(['validate', bad], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: 1 problem`);
    expect(r.stderr).toMatch(/invalid_unknown_needs\.yaml:6:16 {2}steps\[1\]\.needs\[1\]/);
    const ok = await baton(['validate', fixture('diamond_outputs.yaml')], dir);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok (diamond_outputs, 4 steps)');
    // One invalid file among valid ones still exits 2.
    expect((await baton(['validate', fixture('succeeds.yaml'), bad], dir)).code).toBe(2);
  });

  it('graph prints a Mermaid flowchart with every edge', async () => {
    const r = await baton(['graph', fixture('diamond_outputs.yaml')], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^flowchart/);
    expect(r.stdout.match(/-->/g)).toHaveLength(4);
    expect((await baton(['graph', fixture('invalid_unknown_needs.yaml')], dir)).code).toBe(2);
  });
});

describe('baton runs, show and logs', () => {
  let runId: string;
  beforeAll(async () => {
    const r = await withDb('run', fixture('exit_code_3.yaml'), '--json');
    expect(r.code).toBe(1);
    const events = jsonEvents(r.stdout);
    runId = events[0]!.runId;
    // --json: one committed event per line, ending with the run's end.
    expect(events.filter((e) => e.type === 'step' && e.stepId === 'boom').map((e) => e.to)).toEqual(['queued', 'running', 'failed']);
    expect(events.at(-1)).toMatchObject({ type: 'run', to: 'failed' });
  });

  it('runs lists the run, newest first, and filters by state', async () => {
    const r = await withDb('runs');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^RUN +WORKFLOW +STATE/);
    expect(r.stdout).toMatch(new RegExp(`${runId} +exit_code_3 +failed +2 `));
    const json = JSON.parse((await withDb('runs', '--json', '--state', 'failed', '-w', 'exit_code_3')).stdout) as RunRecord[];
    expect(json[0]).toMatchObject({ id: runId, state: 'failed', stepCount: 2 });
    expect(json.every((x) => x.state === 'failed' && x.workflow === 'exit_code_3')).toBe(true);
    expect((await withDb('runs', '--state', 'bogus')).code).toBe(2);
  });

  it('show prints step ids, states, exit codes and the error; a unique prefix is enough', async () => {
    const r = await withDb('show', runId.slice(0, 10));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`run       ${runId}`);
    expect(r.stdout).toMatch(/state +failed/);
    expect(r.stdout).toMatch(/hello +succeeded +1 succeeded .* 0\s*\n/);
    expect(r.stdout).toMatch(/boom +failed +1 failed .* 3 +exited with code 3/);
    const json = JSON.parse((await withDb('show', runId, '--json')).stdout) as { steps: { stepId: string }[]; attempts: { exitCode?: number }[] };
    expect(json.steps.map((s) => s.stepId)).toEqual(['hello', 'boom']);
    expect(json.attempts.map((a) => a.exitCode)).toEqual([0, 3]);
    expect((await withDb('show', 'zzzz-no-such-run')).code).toBe(2);
  });

  it('logs prints what a step echoed, for one step or all with a prefix', async () => {
    const one = await withDb('logs', runId, 'hello');
    expect(one.code).toBe(0);
    expect(one.stdout).toBe('== hello (attempt 1) ==\nhello from hello\n');
    const all = await withDb('logs', runId);
    expect(all.stdout).toContain('[hello] hello from hello\n');
    expect(all.stdout).toContain('[boom] about to fail\n');
    const bad = await withDb('logs', runId, 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('its steps: hello, boom');
  });

  it('logs --follow prints new output as it comes and ends when the run ends', async () => {
    const work = tempDir('baton-cli-follow-');
    const run = spawnBaton(['--db', db, 'run', fixture('logs_follow.yaml'), '-p', `dir=${work}`, '--json'], dir);
    try {
      const id = (await waitFor(() => jsonEvents(run.stdout())[0], 10_000, 'the first event')).runId;
      const follow = spawnBaton(['--db', db, 'logs', id, 'talk', '--follow'], dir);
      await waitFor(() => follow.stdout().includes('first line\n'), 10_000, 'the first line');
      expect(follow.stdout()).not.toContain('second line');
      writeFileSync(join(work, 'GO'), '');
      expect(await run.exited).toBe(0);
      expect(await follow.exited).toBe(0);
      expect(follow.stdout()).toBe('== talk (attempt 1) ==\nfirst line\nsecond line\n');
    } finally {
      run.child.kill('SIGKILL');
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('the store the CLI wrote is readable through the library', async () => {
    const store = openSqliteStore(db);
    try {
      const steps = await store.getStepRuns(runId);
      expect(steps.map((s) => [s.stepId, s.state, s.reason ?? null])).toEqual([['hello', 'succeeded', null], ['boom', 'failed', 'exit-code']]);
    } finally {
      await store.close();
    }
  });
});
