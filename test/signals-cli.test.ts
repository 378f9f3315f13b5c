/**
 * Waiting steps as people use them: `baton show` lists what a run waits for and since when,
 * `baton approve`/`reject`/`signal` answer it (locally or through the API), an answer given
 * while no process holds the run (the one running it killed with SIGKILL) is there when it
 * resumes, and the API refuses what does not wait with 404 and a weaker role with 403.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { TestApi } from './api-helpers.js';
import { startApi } from './api-helpers.js';
import type { CliProcess } from './helpers.js';
import { baton, spawnBaton, tempDir, waitFor } from './helpers.js';

const FLOW = `name: release
steps:
  - id: build
    run: echo built
  - id: ship
    needs: [build]
    approval: { message: "Ship the nightly build?" }
  - id: deployed
    needs: [ship]
    wait: { signal: deploy-done }
  - id: report
    needs: [deployed]
    env: { V: "\${{ steps.deployed.output.version }}", BY: "\${{ steps.ship.output.by }}" }
    run: echo "shipped $V approved by $BY"
`;

let dir: string | undefined;
let db: string;
let proc: CliProcess | undefined;
afterEach(() => {
  proc?.child.kill('SIGKILL');
  proc = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function stepState(runId: string, stepId: string): Promise<string | undefined> {
  const store = openSqliteStore(db);
  try {
    return (await store.getStepRun(runId, stepId))?.state;
  } finally {
    await store.close();
  }
}

describe('waiting steps from the CLI', () => {
  it('show lists the approval; approved while no process holds the run, the resumed run takes it; a signal ends the wait', async () => {
    dir = tempDir('baton-signals-cli-');
    db = join(dir, 'baton.db');
    const cwd = dir;
    writeFileSync(join(cwd, 'flow.yaml'), FLOW);
    proc = spawnBaton(['--db', db, 'run', 'flow.yaml'], cwd);
    const id = (await waitFor(() => /run ([0-9a-z]{16})/.exec(proc!.stderr() + proc!.stdout()), 15_000, 'the run id'))[1]!;
    await waitFor(async () => (await stepState(id, 'ship')) === 'running', 15_000, 'ship waiting');

    const shown = await baton(['--db', db, 'show', id], cwd);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/WAITING\nship +approval +since [\d-]+ \d\d:\d\d:\d\d \([\d.]+m?s\) +baton approve \w+ ship {2}\| {2}baton reject \w+ ship/);
    expect(proc.stdout()).toMatch(/step ship running \(attempt 1\) - waiting for approval: baton approve \w+ ship/);
    expect(shown.stdout).toContain('Ship the nightly build?');

    // The process running it dies; the answer is stored all the same.
    proc.child.kill('SIGKILL');
    await proc.exited;
    proc = undefined;
    const approved = await baton(['--db', db, 'approve', id.slice(0, 8), 'ship', '--note', 'numbers look right'], cwd);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toBe(`step ship of run ${id} approved\n`);
    const twice = await baton(['--db', db, 'reject', id, 'ship'], cwd);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/step ship of run \w+ was already answered by cli:/);

    proc = spawnBaton(['--db', db, 'resume', id], cwd);
    await waitFor(async () => (await stepState(id, 'deployed')) === 'running', 20_000, 'deployed waiting');
    const noSuch = await baton(['--db', db, 'signal', id, 'deploy-dne'], cwd);
    expect(noSuch.code).toBe(2);
    expect(noSuch.stderr).toContain('no step of release waits for signal "deploy-dne": it waits for "deploy-done"');
    const bad = await baton(['--db', db, 'signal', id, 'deploy-done', '--data', '{version: 1'], cwd);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/the payload is not JSON/);
    const sent = await baton(['--db', db, 'signal', id, 'deploy-done', '--data', '{"version": "1.4.2"}'], cwd);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toBe(`signal "deploy-done" given to run ${id}: deployed takes it\n`);
    expect(await proc.exited).toBe(0);
    proc = undefined;
    const logs = await baton(['--db', db, 'logs', id, 'report'], cwd);
    expect(logs.stdout).toMatch(/shipped 1\.4\.2 approved by cli:/);
    // The approval ran once: the attempt the kill interrupted was lost, not a second answer.
    const store = openSqliteStore(db);
    try {
      expect((await store.getStepRun(id, 'ship'))?.output).toMatchObject({ approved: true, note: 'numbers look right' });
    } finally {
      await store.close();
    }
  }, 90_000);
});

interface StepBody { stepId: string; state: string; signal?: unknown; output?: unknown }
interface RunBody { run: { id: string; state: string }; steps: StepBody[] }
interface ErrorBody { error: { code: string; message: string } }

describe('waiting steps through the API', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('POST /runs/{id}/signals/{name} and /steps/{step}/approval answer them; 404 for what does not wait, 403 below the role, 409 twice', async () => {
    const text = FLOW.replace('approval: { message: "Ship the nightly build?" }', 'approval: { message: "Ship?", role: admin }');
    const reg = await api.call('POST', '/api/v1/workflows', { body: text, headers: { 'content-type': 'application/yaml' } });
    expect(reg.status, reg.text).toBe(201);
    const created = await api.call('POST', '/api/v1/runs', { role: 'operator', body: { workflow: 'release' } });
    expect(created.status, created.text).toBe(201);
    const id = (created.body as RunBody).run.id;
    const detail = async (): Promise<RunBody> => (await api.call('GET', `/api/v1/runs/${id}`, { role: 'viewer' })).body as RunBody;
    const step = async (s: string): Promise<StepBody | undefined> => (await detail()).steps.find((x) => x.stepId === s);
    await waitFor(async () => (await step('ship'))?.state === 'running', 15_000, 'ship waiting');

    const early = await api.call('POST', `/api/v1/runs/${id}/signals/deploy-done`, { role: 'operator', body: { version: '2.0.0' } });
    expect(early.status, early.text).toBe(200);
    expect((early.body as { steps: string[] }).steps).toEqual(['deployed']);
    expect((await step('deployed'))?.signal).toMatchObject({ name: 'deploy-done', payload: { version: '2.0.0' }, by: 'api:test-operator' });
    expect((await api.call('POST', `/api/v1/runs/${id}/signals/deploy-done`, { role: 'operator', body: 1 })).status).toBe(409);
    const unknown = await api.call('POST', `/api/v1/runs/${id}/signals/nope`, { role: 'operator', body: {} });
    expect(unknown.status).toBe(404);
    expect((unknown.body as ErrorBody).error.code).toBe('signal-no-such-signal');
    expect((await api.call('POST', `/api/v1/runs/${id}/signals/deploy-done`, { role: 'viewer', body: {} })).status).toBe(403);

    const asOperator = await api.call('POST', `/api/v1/runs/${id}/steps/ship/approval`, { role: 'operator', body: { approved: true } });
    expect(asOperator.status).toBe(403);
    expect((asOperator.body as ErrorBody).error.message).toBe('step ship needs the admin role to answer it; this token has operator');
    expect((await api.call('POST', `/api/v1/runs/${id}/steps/build/approval`, { role: 'admin', body: { approved: true } })).status).toBe(404);
    const ok = await api.call('POST', `/api/v1/runs/${id}/steps/ship/approval`, { role: 'admin', body: { approved: true, note: 'go' } });
    expect(ok.status, ok.text).toBe(200);
    const done = await waitFor(async () => {
      const r = await detail();
      return r.run.state === 'succeeded' ? r : undefined;
    }, 20_000, 'the run to succeed');
    expect(done.steps.find((s) => s.stepId === 'ship')?.output).toMatchObject({ approved: true, by: 'api:test-admin', note: 'go' });
    expect((await api.call('POST', `/api/v1/runs/${id}/steps/ship/approval`, { role: 'admin', body: { approved: false } })).status).toBe(409);
  }, 60_000);
});
