/**
 * `baton worker` processes on a real PostgreSQL advertise what they detected at start: the
 * tools on their PATH (here a fake `docker`, a real executable file) as tags that `runs-on`
 * names, their architecture, CPUs and memory as facts; `--no-detect` advertises only
 * `--tags`. Read back through `baton workers` and GET /api/v1/workers.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../src/index.js';
import { buildApi, createToken } from '../src/server/index.js';
import type { WorkerRecord } from '../src/store/index.js';
import { openFleetStore } from '../src/store/index.js';
import type { CliProcess } from './helpers.js';
import { baton, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let procs: CliProcess[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-caps-');
});
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await db.drop();
});

/** A folder for PATH holding an executable `docker` that would fail if anything ran it. */
function fakeDockerPath(): string {
  const bin = join(dir, 'with-docker');
  mkdirSync(bin);
  writeFileSync(join(bin, 'docker'), '#!/bin/sh\necho "docker must not be run by detection" >&2\nexit 3\n');
  chmodSync(join(bin, 'docker'), 0o755);
  return bin;
}

/** A worker whose PATH is only `path`: its steps use shell builtins alone (a redirect makes the step a shell one). */
function worker(path: string, ...args: string[]): CliProcess {
  const p = spawnBaton(['worker', '--database-url', db.url, '--slots', '1', '--max-cpu', '1000', '--max-mem', '1', ...args], dir, { PATH: path });
  procs.push(p);
  return p;
}

const byPid = (ws: WorkerRecord[], p: CliProcess): WorkerRecord => {
  const w = ws.find((x) => x.pid === p.child.pid);
  if (!w) throw new Error(`no worker with pid ${p.child.pid} in ${JSON.stringify(ws)}`);
  return w;
};

describe.skipIf(process.platform === 'win32')('detected capabilities', () => {
  it('only the worker with docker on its PATH runs the runs-on: [docker] steps; a tag no worker has is named; baton workers and the API show tags and facts', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const withDocker = fakeDockerPath();
    const docker = worker(withDocker, '--tags', 'blue');
    const bare = worker(empty);
    const undetected = worker(withDocker, '--no-detect', '--tags', 'blue');
    const listed = await waitFor(async () => {
      const r = await baton(['workers', '--json', '--database-url', db.url], dir);
      const ws = JSON.parse(r.stdout || '[]') as WorkerRecord[];
      return ws.filter((w) => w.state === 'active').length === 3 ? ws : undefined;
    }, 15_000, 'three workers in baton workers');

    const facts = { arch: os.arch(), cpus: os.availableParallelism(), memoryBytes: os.totalmem() };
    expect(byPid(listed, docker)).toMatchObject({ facts, platform: process.platform });
    expect([...byPid(listed, docker).tags].sort()).toEqual(['blue', 'docker', os.arch()].sort());
    expect(byPid(listed, bare)).toMatchObject({ tags: [os.arch()], facts });
    // No detection: the given tags only; the facts are still what the machine is.
    expect(byPid(listed, undetected)).toMatchObject({ tags: ['blue'], facts });
    const table = (await baton(['workers', '--database-url', db.url], dir)).stdout;
    expect(table).toContain('MACHINE');
    expect(table).toContain(`${os.arch()}, ${facts.cpus} CPUs, ${(facts.memoryBytes / 2 ** 30).toFixed(1)} GiB`);
    expect(table).toContain(`${process.platform},blue,`);

    writeFileSync(join(dir, 'build.yaml'), `name: caps-build
steps:
${[1, 2, 3, 4].map((n) => `  - id: b${n}
    runs-on: [docker${n === 4 ? `, ${os.arch()}, ${process.platform}` : ''}]
    run: 'printf ${n} > "$BATON_OUTPUT"'
`).join('')}`);
    const run = await baton(['run', 'build.yaml', '--database-url', db.url], dir);
    expect(run.code, run.stderr + run.stdout + docker.stdout()).toBe(0);
    const claimedBy = await sql<{ step_id: string; claimed_by: string }>(db.url, 'SELECT step_id, claimed_by FROM attempts ORDER BY step_id');
    expect(claimedBy).toEqual(['b1', 'b2', 'b3', 'b4'].map((step_id) => ({ step_id, claimed_by: byPid(listed, docker).id })));

    // docker is on a live worker, terraform on none: the wait names terraform alone.
    writeFileSync(join(dir, 'plan.yaml'), 'name: caps-plan\nsteps:\n  - id: plan\n    runs-on: [docker, terraform]\n    run: "true"\n');
    const plan = spawnBaton(['run', 'plan.yaml', '--database-url', db.url], dir);
    procs.push(plan);
    await waitFor(() => /step plan cannot start: no live worker has terraform \(/.test(plan.stderr()), 10_000, 'the unschedulable warning');
    plan.child.kill('SIGINT');
    expect(await plan.exited).toBe(130);
    // Detection looked docker up and never ran it.
    for (const p of [docker, bare, undetected]) expect(p.stderr()).not.toContain('must not be run');

    const store = openPostgresStore(db.url, { max: 1 });
    const fleet = openFleetStore(db.url, { max: 1 });
    const app = await buildApi({ store, dataDir: dir, fleet });
    try {
      const { token } = await createToken(store, 'viewer', 'test', Date.now());
      const res = await app.inject({ method: 'GET', url: '/api/v1/workers', headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, res.body).toBe(200);
      const workers = res.json<{ workers: WorkerRecord[] }>().workers;
      expect(byPid(workers, docker)).toMatchObject({ facts });
      expect(byPid(workers, docker).tags).toEqual(expect.arrayContaining(['docker', os.arch()]));
      expect(byPid(workers, bare).tags).not.toContain('docker');
    } finally {
      await app.close();
      await Promise.all([store.close(), fleet.close()]);
    }
  }, 60_000);
});
