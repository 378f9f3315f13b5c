/**
 * Mapped steps (`map:`) through `baton run` on SQLite: the smallest case exactly as
 * written, folding in `show`, failure policies, globs, and a kill -9 in the middle of a map.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { AttemptRecord, RunRecord, StoredStepRun } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, fixture, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let db: string;
let proc: CliProcess | undefined;
beforeEach(() => {
  dir = tempDir('baton-map-');
  db = join(dir, 'baton.db');
});
afterEach(() => {
  proc?.child.kill('SIGKILL');
  proc = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The smallest case, exactly as a user writes it. */
const SQUARES = readFileSync(fixture('map_squares.yaml'), 'utf8');

async function snapshot(runId: string): Promise<{ run: RunRecord; steps: StoredStepRun[]; attempts: AttemptRecord[]; events: string[] }> {
  const store = openSqliteStore(db);
  try {
    const events = (await store.getEvents(runId)).map((e) => e.type);
    return { run: (await store.getRun(runId))!, steps: await store.getStepRuns(runId), attempts: await store.getAttempts(runId), events };
  } finally {
    await store.close();
  }
}

/** The most attempts of `prefix` items that overlapped in time. */
function maxOverlap(attempts: AttemptRecord[], prefix: string): number {
  const edges = attempts.filter((a) => a.stepId.startsWith(prefix)).flatMap((a) => [[a.startedAt, 1], [a.endedAt ?? Infinity, -1]] as const);
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let max = 0;
  for (const [, d] of edges) max = Math.max(max, (now += d));
  return max;
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

describe('map through baton run', () => {
  it('the smallest case as written: five item step runs, total gets the ordered outputs, cleanup runs', async () => {
    const r = await baton(['--db', db, 'run', write('squares.yaml', SQUARES), '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const s = await snapshot(runId);
    expect(s.run.state).toBe('succeeded');
    expect(s.steps.map((x) => [x.stepId, x.state])).toEqual([
      ['list', 'succeeded'], ['square', 'succeeded'],
      ['square[0]', 'succeeded'], ['square[1]', 'succeeded'], ['square[2]', 'succeeded'], ['square[3]', 'succeeded'], ['square[4]', 'succeeded'],
      ['total', 'succeeded'], ['cleanup', 'succeeded'],
    ]);
    expect(s.steps.find((x) => x.stepId === 'square[3]')).toMatchObject({ item: 4, output: { sq: 16 } });
    // Each item has its own attempt (and log); the mapped step itself runs none.
    expect(s.attempts.filter((a) => a.stepId.startsWith('square[')).map((a) => a.id).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `${runId}.square[${i}].1`));
    expect(s.attempts.some((a) => a.stepId === 'square')).toBe(false);
    expect(maxOverlap(s.attempts, 'square[')).toBeLessThanOrEqual(2);
    expect(s.events.filter((t) => t === 'map')).toHaveLength(1);
    expect((await baton(['--db', db, 'logs', runId, 'total'], dir)).stdout).toContain('[{"sq":1},{"sq":4},{"sq":9},{"sq":16},{"sq":25}]');
    expect((await baton(['--db', db, 'logs', runId, 'cleanup'], dir)).stdout).toContain('cleanup-ran');

    const show = (await baton(['--db', db, 'show', runId], dir)).stdout;
    expect(show).toMatch(/square\[0\.\.4\] +5 succeeded/);
    expect(show).not.toContain('square[3] ');
    const all = (await baton(['--db', db, 'show', runId, '--all'], dir)).stdout;
    expect(all).toMatch(/square\[3\] +succeeded +1 succeeded/);
  });

  it('a failed item fails the step (fail-fast), skips the items not started, and cleanup still runs', async () => {
    const flow = write('fails.yaml', `name: squares-fail
steps:
  - id: square
    map: { items: "\${{ params.n }}", concurrency: 1 }
    env: { N: "\${{ item }}" }
    run: 'test "$N" -ne 2'
  - id: total
    needs: [square]
    run: "true"
params:
  n: { type: array, default: [1, 2, 3, 4] }
finally:
  - id: cleanup
    run: echo cleanup-ran
`);
    const r = await baton(['--db', db, 'run', flow, '--json'], dir);
    expect(r.code).toBe(1);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const s = await snapshot(runId);
    expect(Object.fromEntries(s.steps.map((x) => [x.stepId, x.state]))).toEqual({
      square: 'failed', 'square[0]': 'succeeded', 'square[1]': 'failed', 'square[2]': 'skipped', 'square[3]': 'skipped', total: 'skipped', cleanup: 'succeeded',
    });
    expect(s.steps.find((x) => x.stepId === 'square')!.error).toMatchObject({ type: 'map-items-failed', message: expect.stringContaining('1 of 4 items failed: square[1]') as unknown });
    expect(s.run).toMatchObject({ state: 'failed', reason: 'steps failed: square' });
    const show = (await baton(['--db', db, 'show', runId], dir)).stdout;
    expect(show).toMatch(/square\[0\.\.3\] +1 succeeded, 1 failed, 2 skipped/);
    // The failed item is listed under the folded line.
    expect(show).toMatch(/square\[1\] +failed/);
    expect(r.stdout).toContain('"type":"map"');
  });

  it('continue with maxFailures, and a glob of files as the items', async () => {
    mkdirSync(join(dir, 'in'));
    for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, 'in', `${n}.txt`), n === 'b' ? 'bad' : 'ok');
    const flow = write('files.yaml', `name: files
steps:
  - id: check
    map: { items: "in/*.txt", failurePolicy: continue, maxFailures: 1 }
    env: { FILE: "\${{ item }}", I: "\${{ map.index }}" }
    run: 'grep -q ok "$FILE" && echo "{\\"i\\": $I}" > "$BATON_OUTPUT"'
  - id: after
    needs: [check]
    env: { ALL: "\${{ steps.check.output }}" }
    run: echo "$ALL"
`);
    const r = await baton(['--db', db, 'run', flow, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const runId = jsonEvents(r.stdout)[0]!.runId;
    const s = await snapshot(runId);
    expect(s.steps.find((x) => x.stepId === 'check[1]')).toMatchObject({ state: 'failed', item: join(dir, 'in', 'b.txt') });
    expect(s.steps.find((x) => x.stepId === 'check')).toMatchObject({ state: 'succeeded', output: [{ i: 0 }, null, { i: 2 }] });
    expect((await baton(['--db', db, 'logs', runId, 'after'], dir)).stdout).toContain('[{"i":0},null,{"i":2}]');
  });

  it('items that are not an array, or too many, fail the step with a clear error', async () => {
    const flow = write('bad.yaml', `name: bad-items
steps:
  - id: list
    run: |
      echo '{"items": {"a": 1}, "many": [1, 2, 3]}' > "$BATON_OUTPUT"
  - id: one
    needs: [list]
    map: { items: "\${{ steps.list.output.items }}" }
    run: "true"
  - id: two
    needs: [list]
    map: { items: "\${{ steps.list.output.many }}", maxItems: 2 }
    run: "true"
`);
    const r = await baton(['--db', db, 'run', flow, '--json'], dir);
    expect(r.code).toBe(1);
    const s = await snapshot(jsonEvents(r.stdout)[0]!.runId);
    expect(s.steps.find((x) => x.stepId === 'one')!.error).toMatchObject({ type: 'map-invalid', message: expect.stringContaining('must give an array, got an object') as unknown });
    expect(s.steps.find((x) => x.stepId === 'two')!.error).toMatchObject({ type: 'map-invalid', message: expect.stringContaining('at most 2 (map.maxItems)') as unknown });
  });

  it('validation: item outside a mapped step, and map beside batch, name the file and line', async () => {
    const flow = write('invalid.yaml', `name: invalid
steps:
  - id: a
    env: { X: "\${{ item }}" }
    run: "true"
  - id: b
    map: { items: "*.txt", maxFailures: 2 }
    batch: { items: "*.txt" }
    run: "true"
`);
    const r = await baton(['validate', flow], dir);
    expect(r.code).toBe(2);
    const text = r.stdout + r.stderr;
    expect(text).toMatch(/invalid\.yaml:4:.*item and map\.index are readable only/);
    expect(text).toMatch(/invalid\.yaml:7:.*map .*or batch/);
    expect(text).toMatch(/maxFailures applies only with failurePolicy: continue/);
  });

  it('kill -9 in the middle of a map, then resume: succeeded items do not run again, the rest do, nothing expands twice', async () => {
    const flow = write('slow.yaml', `name: slow-map
steps:
  - id: list
    run: |
      echo '{"items": [0, 1, 2, 3, 4, 5]}' > "$BATON_OUTPUT"
  - id: work
    needs: [list]
    map: { items: "\${{ steps.list.output.items }}", concurrency: 2 }
    env: { N: "\${{ item }}" }
    run: |
      echo "ran $N" >> runs.log
      if [ "$N" -eq 2 ]; then while [ ! -f go ]; do sleep 0.05; done; fi
      echo "$N" > "$BATON_OUTPUT"
  - id: total
    needs: [work]
    env: { ALL: "\${{ steps.work.output }}" }
    run: echo "$ALL"
`);
    proc = spawnBaton(['--db', db, 'run', flow, '--json'], dir);
    await waitFor(() => jsonEvents(proc!.stdout()).some((e) => e.stepId === 'work[2]' && e.to === 'running'), 15_000, 'item 2 to run');
    const runId = jsonEvents(proc.stdout())[0]!.runId;
    proc.child.kill('SIGKILL');
    await proc.exited;
    proc = undefined;
    const before = await snapshot(runId);
    const done = before.steps.filter((x) => x.stepId.startsWith('work[') && x.state === 'succeeded').map((x) => x.stepId);
    expect(done).toContain('work[0]');
    expect(done).toContain('work[1]');
    writeFileSync(join(dir, 'go'), '');
    const r = await baton(['--db', db, 'resume', runId, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const after = await snapshot(runId);
    expect(after.run.state).toBe('succeeded');
    for (const id of done) expect(after.attempts.filter((a) => a.stepId === id)).toHaveLength(1);
    expect(after.attempts.filter((a) => a.stepId === 'work[2]').map((a) => a.state)).toEqual(['lost', 'succeeded']);
    expect(after.events.filter((t) => t === 'map')).toHaveLength(1);
    expect(after.steps.find((x) => x.stepId === 'work')!.output).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await baton(['--db', db, 'logs', runId, 'total'], dir)).stdout).toContain('[0,1,2,3,4,5]');
  });
});
