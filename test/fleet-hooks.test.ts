/**
 * Hook steps in the fleet (PostgreSQL): `baton run` coordinates, a `baton worker` executes
 * every step, hooks included, through the same publish-claim-complete path as any step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let dir: string;
let procs: CliProcess[] = [];

beforeEach(async () => {
  db = await createTestDatabase();
  dir = tempDir('baton-fleet-hooks-');
});
afterEach(async () => {
  for (const p of procs) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  procs = [];
  await db.drop();
});

describe('fleet: hooks', () => {
  it('a worker runs the main steps, the always() step, onFailure and finally; the run fails naming the failed step', async () => {
    writeFileSync(join(dir, 'flow.yaml'), `name: fleet-hooks
steps:
  - id: work
    run: exit 3
  - id: after
    needs: [work]
    if: \${{ always() }}
    run: "true"
onFailure:
  - id: page
    env: { STATE: "\${{ run.state }}" }
    run: 'echo "{\\"failed\\": $BATON_FAILED_STEPS, \\"state\\": \\"$STATE\\"}" > "$BATON_OUTPUT"'
finally:
  - id: cleanup
    run: 'echo "{\\"state\\": \\"$BATON_RUN_STATE\\"}" > "$BATON_OUTPUT"'
`);
    const w = spawnBaton(['worker', '--database-url', db.url, '--slots', '2', '--lease', '1500ms', '--heartbeat', '300ms', '--max-cpu', '1000', '--max-mem', '1'], dir);
    procs.push(w);
    await waitFor(async () => (await sql<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM workers WHERE state = 'active'"))[0]!.n >= 1, 10_000, 'a worker');
    const run = await baton(['run', 'flow.yaml', '--database-url', db.url, '--json'], dir);
    expect(run.code, run.stderr).toBe(1);
    const runId = jsonEvents(run.stdout)[0]!.runId;
    const [r] = await sql<{ state: string; reason: string }>(db.url, 'SELECT state, reason FROM runs WHERE id = $1', [runId]);
    expect(r).toEqual({ state: 'failed', reason: 'steps failed: work' });
    const rows = await sql<{ step_id: string; state: string; claimed_by: string | null }>(db.url, 'SELECT step_id, state, claimed_by FROM attempts WHERE run_id = $1 ORDER BY started_at, id', [runId]);
    expect(rows.map((a) => [a.step_id, a.state])).toEqual([['work', 'failed'], ['after', 'succeeded'], ['page', 'succeeded'], ['cleanup', 'succeeded']]);
    expect(rows.every((a) => a.claimed_by !== null)).toBe(true);
    const outputs = Object.fromEntries((await sql<{ step_id: string; output: string | null }>(db.url, 'SELECT step_id, output::text AS output FROM step_runs WHERE run_id = $1', [runId]))
      .map((s) => [s.step_id, s.output === null ? null : JSON.parse(s.output) as unknown]));
    expect(outputs.page).toEqual({ failed: ['work'], state: 'failed' });
    expect(outputs.cleanup).toEqual({ state: 'failed' });
  });
});
