/**
 * A failure tied to the worker it ran on, recovered on a worker with a tag, for real (`npm run
 * build` first): on a real PostgreSQL, a `baton worker` whose PATH lacks `docker` fails a
 * step that runs it; once a worker with `docker` on its PATH (detected as the tag) has joined,
 * `baton explain` proposes `baton retry RUN --from STEP --on docker`, and `--apply` re-runs
 * the step there while the first worker is still live. `baton retry --on` without a fleet is
 * refused, by the CLI and by the API.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore } from '../src/index.js';
import type { Diagnosis } from '../src/observe/index.js';
import type { WorkerRecord } from '../src/store/index.js';
import { startApi } from './api-helpers.js';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
const procs: CliProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-diag-fleet-');
});
afterAll(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A `baton worker` whose PATH is only `path` (no shell needed: the step is a plain command). */
function worker(path: string): CliProcess {
  const p = spawnBaton(['worker', '--database-url', db.url, '--slots', '1', '--max-cpu', '1000', '--max-mem', '1'], dir, { PATH: path });
  procs.push(p);
  return p;
}

async function activeWorkers(n: number): Promise<WorkerRecord[]> {
  return waitFor(async () => {
    const r = await baton(['workers', '--json', '--database-url', db.url], dir);
    const ws = (JSON.parse(r.stdout || '[]') as WorkerRecord[]).filter((w) => w.state === 'active');
    return ws.length === n ? ws : undefined;
  }, 15_000, `${n} active workers`);
}

describe.skipIf(process.platform === 'win32')('a recovery on a worker with a tag', () => {
  it('proposes --on docker after a missing docker, and the applied re-run runs on the worker that has it', async () => {
    const empty = join(dir, 'empty');
    const withDocker = join(dir, 'with-docker');
    mkdirSync(empty);
    mkdirSync(withDocker);
    writeFileSync(join(withDocker, 'docker'), '#!/bin/sh\necho "Docker version 99.0 (fake)"\n');
    chmodSync(join(withDocker, 'docker'), 0o755);
    writeFileSync(join(dir, 'image.yaml'), 'name: image\nsteps:\n  - id: build\n    run: docker --version\n  - id: push\n    needs: [build]\n    run: docker --version\n');

    const bare = worker(empty);
    const [bareRec] = await activeWorkers(1);
    const r = await baton(['run', 'image.yaml', '--database-url', db.url, '--json'], dir);
    expect(r.code, r.stderr).toBe(1);
    const runId = jsonEvents(r.stdout)[0]!.runId;

    const docker = worker(withDocker);
    const dockerRec = (await activeWorkers(2)).find((w) => w.pid === docker.child.pid)!;
    expect(dockerRec.tags).toContain('docker');
    expect(bareRec!.tags).not.toContain('docker');

    const e = await baton(['explain', runId, '--json', '--database-url', db.url], dir);
    expect(e.code, e.stderr).toBe(0);
    const d = (JSON.parse(e.stdout) as Diagnosis).steps[0]!;
    expect(d).toMatchObject({ stepId: 'build', class: 'command-not-found', changes: { worker: { failed: bareRec!.id } } });
    expect(d.recoveries[0]!.command).toBe(`baton retry ${runId} --from build --on docker`);
    expect(d.recoveries[0]!.reason).toContain(`'docker' is missing on worker ${bareRec!.id}; worker ${dockerRec.id} has the tag docker`);

    const applied = await baton(['explain', runId, '--apply', '1', '--yes', '--json', '--database-url', db.url], dir);
    expect(applied.code, applied.stderr).toBe(0);
    expect(bare.child.exitCode).toBeNull();
    const store = openPostgresStore(db.url, { max: 1 });
    try {
      const attempts = await store.getAttempts(runId);
      expect(attempts.map((a) => [a.stepId, a.number, a.state, a.worker])).toEqual([
        ['build', 1, 'failed', bareRec!.id], ['build', 2, 'succeeded', dockerRec.id], ['push', 1, 'succeeded', dockerRec.id],
      ]);
      expect((await store.getStepRuns(runId)).map((s) => s.runsOn)).toEqual([['docker'], ['docker']]);
      const rerun = (await store.getEvents(runId)).find((ev) => ev.type === 'rerun');
      expect(rerun?.data).toMatchObject({ from: 'build', on: ['docker'], recovery: { rank: 1, command: `baton retry ${runId} --from build --on docker` } });
      expect(rerun?.data?.by).toEqual(expect.stringMatching(/^cli:/));
    } finally {
      await store.close();
    }
  }, 90_000);

  it('is refused without a fleet: baton retry --on on SQLite, and POST /retry with on to a server on SQLite', async () => {
    const sqlite = join(dir, 'local.db');
    writeFileSync(join(dir, 'fails.yaml'), 'name: fails\nsteps:\n  - id: a\n    run: "false"\n');
    const r = await baton(['--db', sqlite, 'run', 'fails.yaml', '--json'], dir);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const cli = await baton(['--db', sqlite, 'retry', runId, '--failed', '--on', 'docker'], dir);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('--on names tags of fleet workers: it needs a PostgreSQL store');
    const api = await startApi({ store: openSqliteStore(sqlite) });
    try {
      const res = await api.call('POST', `/api/v1/runs/${runId}/retry`, { role: 'operator', body: { mode: 'failed', on: ['docker'] } });
      expect(res.status, res.text).toBe(400);
      expect(res.text).toContain('this server has no fleet');
    } finally {
      const { store } = api;
      await api.close();
      await store.close();
    }
  });
});
