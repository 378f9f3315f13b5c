/**
 * Sub-workflow steps (`workflow:`) through `baton run` on SQLite: the child is a run of its
 * own (trigger `parent`, linked both ways), its outputs are the step's output, and cancel,
 * timeout, failure, a kill -9 and cycles behave as a person expects.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { AttemptRecord, RunRecord, StoredStepRun } from '../src/index.js';
import type { CliProcess } from './helpers.js';
import { baton, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';

let dir: string;
let db: string;
let proc: CliProcess | undefined;
beforeEach(() => {
  dir = tempDir('baton-sub-');
  db = join(dir, 'baton.db');
  writeFileSync(join(dir, 'child.yaml'), `name: child
params:
  n: { type: integer, default: 2 }
  hold: { type: string, default: "" }
steps:
  - id: double
    env: { N: "\${{ params.n }}", HOLD: "\${{ params.hold }}" }
    run: |
      echo "double $N" >> runs.log
      if [ -n "$HOLD" ]; then while [ ! -f "$HOLD" ]; do sleep 0.05; done; fi
      echo "{\\"v\\": $((N * 2))}" > "$BATON_OUTPUT"
  - id: flaky
    needs: [double]
    run: |
      if [ -f fail-once ]; then rm fail-once; exit 3; fi
outputs:
  doubled: "\${{ steps.double.output.v }}"
  text: "n=\${{ params.n }}"
`);
});
afterEach(() => {
  proc?.child.kill('SIGKILL');
  proc = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function read(runId: string): Promise<{ run: RunRecord; steps: StoredStepRun[]; attempts: AttemptRecord[]; children: RunRecord[] }> {
  const store = openSqliteStore(db);
  try {
    return {
      run: (await store.getRun(runId))!, steps: await store.getStepRuns(runId), attempts: await store.getAttempts(runId),
      children: await store.listRuns({ parentRunId: runId, limit: 100 }),
    };
  } finally {
    await store.close();
  }
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

const parent = (step: string): string => write('parent.yaml', `name: parent
steps:
  - id: call
${step}
  - id: after
    needs: [call]
    env: { V: "\${{ steps.call.output.doubled }}", T: "\${{ steps.call.output.text }}" }
    run: echo "got $V $T"
`);

describe('sub-workflow steps', () => {
  it('runs the child as its own run, linked both ways, and takes its declared outputs', async () => {
    const r = await baton(['--db', db, 'run', parent('    workflow: ./child.yaml\n    with: { n: 21 }'), '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const events = jsonEvents(r.stdout);
    const runId = events[0]!.runId;
    const p = await read(runId);
    expect(p.children).toHaveLength(1);
    const child = p.children[0]!;
    expect(child).toMatchObject({ workflow: 'child', trigger: 'parent', parentRunId: runId, parentStepId: 'call', depth: 1, state: 'succeeded', params: { n: 21, hold: '' } });
    expect(p.steps.find((s) => s.stepId === 'call')!.output).toEqual({ doubled: 42, text: 'n=21' });
    expect(events.some((e) => e.type === 'child-run' && e.stepId === 'call' && e.data?.childRunId === child.id)).toBe(true);
    expect((await baton(['--db', db, 'logs', runId, 'after'], dir)).stdout).toContain('got 42 n=21');
    expect((await baton(['--db', db, 'logs', runId, 'call'], dir)).stdout).toContain(`started child run ${child.id}`);
    const show = (await baton(['--db', db, 'show', runId], dir)).stdout;
    expect(show).toMatch(new RegExp(`CHILD RUNS[\\s\\S]*call +${child.id} +child +succeeded`));
    expect((await baton(['--db', db, 'show', child.id], dir)).stdout).toContain(`trigger   parent (step call of run ${runId})`);
  });

  it('a failed child fails the step; a retry of the step starts a new child, which succeeds', async () => {
    writeFileSync(join(dir, 'fail-once'), '');
    const r = await baton(['--db', db, 'run', parent('    workflow: ./child.yaml\n    retry: { attempts: 2, delay: 10ms }'), '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const p = await read(jsonEvents(r.stdout)[0]!.runId);
    expect(p.children.map((c) => c.state)).toEqual(['succeeded', 'failed']);
    const failed = p.attempts.find((a) => a.stepId === 'call' && a.number === 1)!;
    expect(failed.error).toMatchObject({ type: 'sub-workflow', message: expect.stringContaining(`child run ${p.children[1]!.id} failed`) as unknown });
  });

  it('cancelling the parent cancels the child; a step timeout cancels it too', async () => {
    proc = spawnBaton(['--db', db, 'run', parent(`    workflow: ./child.yaml\n    with: { hold: ${join(dir, 'never')} }`), '--json'], dir);
    await waitFor(() => jsonEvents(proc!.stdout()).some((e) => e.type === 'child-run'), 15_000, 'the child run');
    const runId = jsonEvents(proc.stdout())[0]!.runId;
    await waitFor(async () => (await read(runId)).children[0]?.state === 'running', 10_000, 'the child to run');
    const c = await baton(['--db', db, 'cancel', runId], dir);
    expect(c.code, c.stderr).toBe(0);
    expect(await proc.exited).toBe(130);
    proc = undefined;
    const p = await read(runId);
    expect(p.run.state).toBe('cancelled');
    expect(p.children[0]!.state).toBe('cancelled');

    const t = await baton(['--db', db, 'run', parent(`    workflow: ./child.yaml\n    timeout: 1s\n    with: { hold: ${join(dir, 'never')} }`), '--json'], dir);
    expect(t.code).toBe(1);
    const q = await read(jsonEvents(t.stdout)[0]!.runId);
    expect(q.steps.find((s) => s.stepId === 'call')).toMatchObject({ state: 'failed', reason: 'timeout' });
    expect(q.children[0]!.state).toBe('cancelled');
  });

  it('pausing the parent pauses the child; resuming it resumes the child, which then ends', async () => {
    const go = join(dir, 'go-pause');
    proc = spawnBaton(['--db', db, 'run', parent(`    workflow: ./child.yaml\n    with: { hold: ${go} }`), '--json'], dir);
    await waitFor(() => jsonEvents(proc!.stdout()).some((e) => e.type === 'child-run'), 15_000, 'the child run');
    const runId = jsonEvents(proc.stdout())[0]!.runId;
    await waitFor(async () => (await read(runId)).children[0]?.state === 'running', 10_000, 'the child to run');
    const paused = await baton(['--db', db, 'pause', runId], dir);
    expect(paused.code, paused.stderr).toBe(0);
    const child = (await read(runId)).children[0]!;
    expect(child.pausedAt).toBeDefined();
    // The holder applies a pause within a heartbeat (1 s by default): let one pass.
    await waitFor(() => jsonEvents(proc!.stdout()).some((e) => e.type === 'run-paused'), 10_000, 'the pause to apply');
    await new Promise((r) => setTimeout(r, 1_500));
    writeFileSync(go, '');
    // The child's running step finishes; its next one does not start while it is paused.
    await waitFor(async () => (await read(child.id)).steps.find((s) => s.stepId === 'double')?.state === 'succeeded', 10_000, 'double to end');
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await read(child.id)).steps.find((s) => s.stepId === 'flaky')).toMatchObject({ state: 'queued', attempts: 0 });
    const resumed = await baton(['--db', db, 'resume', runId], dir);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await proc.exited).toBe(0);
    proc = undefined;
    const after = await read(runId);
    expect(after.run.state).toBe('succeeded');
    expect(after.children[0]).toMatchObject({ state: 'succeeded' });
    expect(after.children[0]!.pausedAt).toBeUndefined();
  });

  it('kill -9 in the middle of a child, then resume the parent: the same child goes on, its succeeded steps do not run again', async () => {
    const hold = join(dir, 'go');
    // The child's first step succeeds, its second waits for the file.
    write('child2.yaml', `name: child2
steps:
  - id: one
    run: echo one >> runs.log
  - id: two
    needs: [one]
    run: |
      while [ ! -f "${hold}" ]; do sleep 0.05; done
      echo two >> runs.log
outputs:
  done: "yes"
`);
    proc = spawnBaton(['--db', db, 'run', parent('    workflow: ./child2.yaml'), '--json'], dir);
    await waitFor(() => jsonEvents(proc!.stdout()).some((e) => e.type === 'child-run'), 15_000, 'the child run');
    const runId = jsonEvents(proc.stdout())[0]!.runId;
    const childId = await waitFor(async () => {
      const c = (await read(runId)).children[0];
      if (!c) return undefined;
      const steps = (await read(c.id)).steps;
      return steps.find((s) => s.stepId === 'two')?.state === 'running' ? c.id : undefined;
    }, 15_000, 'the child step two to run');
    proc.child.kill('SIGKILL');
    await proc.exited;
    proc = undefined;
    writeFileSync(hold, '');
    const r = await baton(['--db', db, 'resume', runId, '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const p = await read(runId);
    expect(p.run.state).toBe('succeeded');
    expect(p.children.map((c) => c.id)).toEqual([childId]);
    const child = await read(childId);
    expect(child.run.state).toBe('succeeded');
    expect(child.attempts.filter((a) => a.stepId === 'one')).toHaveLength(1);
    expect(p.steps.find((s) => s.stepId === 'call')!.output).toEqual({ done: 'yes' });
  });

  it('a file that calls itself is refused by validate at its workflow: line; a name that calls itself stops at the depth limit', async () => {
    const loop = write('loop.yaml', 'name: loop\nsteps:\n  - id: again\n    workflow: ./loop.yaml\n');
    const v = await baton(['validate', loop], dir);
    expect(v.code).toBe(2);
    expect(v.stdout + v.stderr).toMatch(/loop\.yaml:4:\d+ .*sub-workflows form a cycle: loop\.yaml -> loop\.yaml/);

    const byName = write('named.yaml', 'name: named\nsteps:\n  - id: again\n    workflow: { name: named }\n');
    const r = await baton(['--db', db, 'run', byName, '--json'], dir);
    expect(r.code).toBe(1);
    const store = openSqliteStore(db);
    try {
      const runs = await store.listRuns({ workflow: 'named', limit: 100 });
      expect(runs).toHaveLength(6);
      const deepest = runs.find((x) => x.depth === 5)!;
      const [step] = await store.getStepRuns(deepest.id);
      expect(step!.error).toMatchObject({ type: 'sub-workflow-invalid', message: expect.stringContaining('nest at most 5 deep: named -> named -> named -> named -> named -> named -> named') as unknown });
    } finally {
      await store.close();
    }
  });
});
