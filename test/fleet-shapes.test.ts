/**
 * Step shapes in the fleet (PostgreSQL): `baton run` coordinates, `baton worker`s claim the
 * items of mapped steps like any step run (a worker killed with SIGKILL mid-map loses only its
 * own items' attempts, which another worker retries) and the steps of sub-workflow children.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliProcess } from './helpers.js';
import { baton, fixture, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let procs: CliProcess[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-fleet-map-');
});
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await db.drop();
});

function worker(): CliProcess {
  const w = spawnBaton(['worker', '--database-url', db.url, '--slots', '2', '--lease', '1500ms', '--heartbeat', '300ms', '--max-cpu', '1000', '--max-mem', '1'], dir);
  procs.push(w);
  return w;
}

const activeWorkers = async (): Promise<number> => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n;

interface AttemptRow { step_id: string; state: string; claimed_by: string | null }
const attemptsOf = (runId: string): Promise<AttemptRow[]> =>
  sql<AttemptRow>(db.url, 'SELECT step_id, state, claimed_by FROM attempts WHERE run_id = $1 ORDER BY started_at, id', [runId]);

describe('fleet: step shapes', () => {
  it('the smallest case as written runs on a fleet: workers run the items, total gets the ordered outputs', async () => {
    writeFileSync(join(dir, 'squares.yaml'), readFileSync(fixture('map_squares.yaml'), 'utf8'));
    worker();
    await waitFor(async () => (await activeWorkers()) >= 1, 10_000, 'a worker');
    const r = await baton(['run', 'squares.yaml', '--database-url', db.url, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const rows = await attemptsOf(runId);
    expect(rows.filter((a) => a.step_id.startsWith('square[')).map((a) => a.step_id).sort()).toEqual(['square[0]', 'square[1]', 'square[2]', 'square[3]', 'square[4]']);
    expect(rows.every((a) => a.claimed_by !== null && a.state === 'succeeded')).toBe(true);
    const [square] = await sql<{ output: string }>(db.url, "SELECT output::text AS output FROM step_runs WHERE run_id = $1 AND step_id = 'square'", [runId]);
    expect(JSON.parse(square!.output)).toEqual([{ sq: 1 }, { sq: 4 }, { sq: 9 }, { sq: 16 }, { sq: 25 }]);
    const items = await sql<{ step_id: string; item: string }>(db.url, "SELECT step_id, item::text AS item FROM step_runs WHERE run_id = $1 AND item IS NOT NULL ORDER BY length(step_id), step_id", [runId]);
    expect(items.map((i) => JSON.parse(i.item) as unknown)).toEqual([1, 2, 3, 4, 5]);
  }, 60_000);

  it('items spread over two workers; one killed with SIGKILL mid-map loses only its own items, which are retried', async () => {
    writeFileSync(join(dir, 'spread.yaml'), `name: spread
steps:
  - id: work
    map: { items: "\${{ params.items }}", concurrency: 4 }
    env: { N: "\${{ item }}" }
    run: |
      while [ ! -f "$GO" ]; do sleep 0.05; done
      echo "$N" > "$BATON_OUTPUT"
    retry: { attempts: 1 }
params:
  items: { type: array, default: [0, 1, 2, 3, 4, 5, 6, 7] }
env:
  GO: ${join(dir, 'go')}
`);
    const w1 = worker();
    worker();
    await waitFor(async () => (await activeWorkers()) >= 2, 10_000, 'two workers');
    const run = spawnBaton(['run', 'spread.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(run);
    // Four items held, two by each worker (two slots each).
    const held = await waitFor(async () => {
      const rows = (await sql<AttemptRow>(db.url, "SELECT step_id, state, claimed_by FROM attempts WHERE state = 'running' AND claimed_by IS NOT NULL")).filter((a) => a.step_id.startsWith('work['));
      return new Set(rows.map((a) => a.claimed_by)).size === 2 && rows.length === 4 ? rows : undefined;
    }, 20_000, 'four items held by two workers');
    const [w1Row] = await sql<{ id: string }>(db.url, 'SELECT id FROM workers WHERE pid = $1', [w1.child.pid]);
    const lostItems = held.filter((a) => a.claimed_by === w1Row!.id).map((a) => a.step_id).sort();
    expect(lostItems).toHaveLength(2);
    w1.child.kill('SIGKILL');
    await w1.exited;
    writeFileSync(join(dir, 'go'), '');
    const code = await run.exited;
    expect(code).toBe(0);
    const runId = jsonEvents(run.stdout())[0]!.runId;
    const rows = await attemptsOf(runId);
    // Exactly the killed worker's items have a lost attempt, then a succeeded one.
    const lost = rows.filter((a) => a.state === 'lost').map((a) => a.step_id).sort();
    expect(lost).toEqual(lostItems);
    for (const id of lostItems) expect(rows.filter((a) => a.step_id === id).map((a) => a.state)).toEqual(['lost', 'succeeded']);
    expect(rows.filter((a) => a.state === 'succeeded')).toHaveLength(8);
    const [out] = await sql<{ output: string }>(db.url, "SELECT output::text AS output FROM step_runs WHERE run_id = $1 AND step_id = 'work'", [runId]);
    expect(JSON.parse(out!.output)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  }, 90_000);

  it('a sub-workflow on a fleet: the coordinator holds the child, a worker runs its steps', async () => {
    writeFileSync(join(dir, 'child.yaml'), `name: child
params:
  n: { type: integer }
steps:
  - id: double
    env: { N: "\${{ params.n }}" }
    run: |
      echo "{\\"v\\": $((N * 2))}" > "$BATON_OUTPUT"
outputs:
  v: "\${{ steps.double.output.v }}"
`);
    writeFileSync(join(dir, 'parent.yaml'), `name: parent
steps:
  - id: call
    workflow: ./child.yaml
    with: { n: 21 }
`);
    worker();
    await waitFor(async () => (await activeWorkers()) >= 1, 10_000, 'a worker');
    const r = await baton(['run', 'parent.yaml', '--database-url', db.url, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const [child] = await sql<{ id: string; trigger: string; state: string }>(db.url, 'SELECT id, trigger, state FROM runs WHERE parent_run_id = $1', [runId]);
    expect(child).toMatchObject({ trigger: 'parent', state: 'succeeded' });
    const rows = await attemptsOf(child!.id);
    expect(rows).toEqual([{ step_id: 'double', state: 'succeeded', claimed_by: expect.any(String) as unknown }]);
    const [call] = await sql<{ output: string }>(db.url, "SELECT output::text AS output FROM step_runs WHERE run_id = $1 AND step_id = 'call'", [runId]);
    expect(JSON.parse(call!.output)).toEqual({ v: 42 });
  }, 60_000);

  it('waiting steps on a fleet: the coordinator holds them, a signal from another node ends the wait, a worker runs the rest', async () => {
    writeFileSync(join(dir, 'gate.yaml'), `name: gate
steps:
  - id: ready
    wait: { signal: data-landed }
  - id: load
    needs: [ready]
    env: { F: "\${{ steps.ready.output.file }}" }
    run: echo "loading $F"
`);
    worker();
    await waitFor(async () => (await activeWorkers()) >= 1, 10_000, 'a worker');
    const run = spawnBaton(['run', 'gate.yaml', '--database-url', db.url, '--json'], dir);
    procs.push(run);
    const runId = (await waitFor(() => jsonEvents(run.stdout())[0]?.runId, 15_000, 'the run'));
    await waitFor(async () => (await sql<{ state: string }>(db.url, "SELECT state FROM step_runs WHERE run_id = $1 AND step_id = 'ready'", [runId]))[0]?.state === 'running', 15_000, 'ready waiting');
    // The waiting attempt is the coordinator's own: nothing is published for a worker to claim.
    expect((await attemptsOf(runId))).toEqual([{ step_id: 'ready', state: 'running', claimed_by: null }]);
    const sent = await baton(['signal', runId, 'data-landed', '--data', '{"file": "sales.csv"}', '--database-url', db.url], dir);
    expect(sent.code, sent.stderr).toBe(0);
    expect(await run.exited).toBe(0);
    const rows = await attemptsOf(runId);
    expect(rows.map((a) => [a.step_id, a.state, a.claimed_by !== null])).toEqual([['ready', 'succeeded', false], ['load', 'succeeded', true]]);
    const logs = await baton(['logs', runId, 'load', '--database-url', db.url], dir);
    expect(logs.stdout).toContain('loading sales.csv');
  }, 60_000);
});
