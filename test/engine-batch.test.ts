/**
 * Batch steps on a real engine and SQLite: validation, per-group retries, failure
 * policies, consolidation, shell groups, item sources, and resume after kill -9.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileWorkflow, openSqliteStore, workflowVersion } from '../src/index.js';
import type { JsonValue, StepInput, StoredStepRun, WorkflowInput } from '../src/index.js';
import type { NewEvent } from '../src/store/index.js';
import type { CliProcess, EngineRig } from './helpers.js';
import { baton, engineRig, fixture, jsonEvents, spawnBaton, tempDir, waitFor } from './helpers.js';

let rig: EngineRig | undefined;
let cli: CliProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  cli?.child.kill('SIGKILL');
  cli = undefined;
  await rig?.cleanup();
  rig = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const FIXTURES = dirname(fixture('batch_handlers.ts'));
type Batch = NonNullable<StepInput['batch']>;

/** A workflow whose step `work` runs batch_handlers.ts#group over `params.items`. */
function workflow(batch: Partial<Batch>, step: Partial<StepInput> = {}, extraSteps: StepInput[] = []): WorkflowInput {
  return {
    name: 'batch-test',
    params: { dir: { type: 'string', required: true }, items: { type: 'array', default: [] } },
    steps: [
      ...extraSteps,
      { id: 'work', uses: './batch_handlers.ts#group', with: { dir: '${{ params.dir }}' }, ...step, batch: { items: '${{ params.items }}', ...batch } },
    ],
  };
}

interface Outcome {
  state: string;
  step: StoredStepRun;
  output: Record<string, JsonValue>;
  calls: Record<string, number>;
  events: NewEvent[];
}

/** Runs a workflow to its end with `items`; counts group calls from `<dir>/calls`. */
async function runBatch(input: WorkflowInput, items: JsonValue[]): Promise<Outcome> {
  rig ??= await engineRig();
  const events: NewEvent[] = [];
  rig.engine.onEvent((e) => events.push(e));
  const spec = compileWorkflow(input, { baseDir: FIXTURES });
  const run = await rig.engine.startRun(spec, workflowVersion(spec), { params: { dir: rig.dir, items } });
  const { state } = await run.result;
  const step = (await rig.store.getStepRuns(run.id)).find((s) => s.stepId === 'work')!;
  const callsFile = join(rig.dir, 'calls');
  const calls: Record<string, number> = {};
  if (existsSync(callsFile)) for (const l of readFileSync(callsFile, 'utf8').split('\n').filter(Boolean)) calls[l] = (calls[l] ?? 0) + 1;
  return { state, step, output: step.output as Record<string, JsonValue>, calls, events };
}

describe('batch validation', () => {
  it('onInvalid: fail lists every invalid item and why (message and details); no group runs', async () => {
    const r = await runBatch(workflow({ validate: { uses: './batch_handlers.ts#check' }, concurrency: 2 }), ['a', 'bad1', 'b', 'worse2', 'bad3']);
    expect(r.state).toBe('failed');
    expect(r.step.error).toMatchObject({ type: 'batch-invalid', retryable: false });
    const message = r.step.error!.message;
    expect(message).toContain('3 of 5 items are invalid');
    expect(message).toContain('bad1: bad1 has no header');
    expect(message).toContain('worse2: cannot read worse2');
    expect(message).toContain('bad3: bad3 has no header');
    expect(r.step.error!.details).toEqual([
      { item: 'bad1', reason: 'bad1 has no header' },
      { item: 'worse2', reason: 'cannot read worse2' },
      { item: 'bad3', reason: 'bad3 has no header' },
    ]);
    expect(r.calls).toEqual({});
    expect(await rig!.store.getAttempts(r.step.runId, 'work')).toHaveLength(1);
  });

  it('onInvalid: skip records invalid items and processes the rest', async () => {
    const r = await runBatch(workflow({ validate: { uses: './batch_handlers.ts#check' }, onInvalid: 'skip', groupSize: 2 }), ['a', 'bad1', 'b', 'c']);
    expect(r.state).toBe('succeeded');
    expect(r.output.counts).toEqual({ total: 4, succeeded: 3, failed: 0, invalid: 1, skipped: 0 });
    expect(r.output.items).toEqual([
      { item: 'a', status: 'succeeded', output: { item: 'a', len: 1 } },
      { item: 'b', status: 'succeeded', output: { item: 'b', len: 1 } },
      { item: 'c', status: 'succeeded', output: { item: 'c', len: 1 } },
      { item: 'bad1', status: 'invalid', error: 'bad1 has no header' },
    ]);
    expect(r.calls).toEqual({ g0: 1, g1: 1 });
    const progress = r.events.filter((e) => e.type === 'batch').map((e) => e.data);
    expect(progress.at(0)).toEqual({ done: 0, failed: 0, invalid: 1, total: 4 });
    expect(progress.at(-1)).toEqual({ done: 3, failed: 0, invalid: 1, total: 4 });
  });

  it('a shell group and a shell validator: $BATON_ITEMS_FILE in, a JSON array to $BATON_OUTPUT; the last output line is the reason', async () => {
    const group = 'out="["; sep=""; while IFS= read -r it; do out="$out$sep\\"$it-done\\""; sep=","; done < "$BATON_ITEMS_FILE"; echo "$out]" > "$BATON_OUTPUT"';
    const validate = 'case "$BATON_ITEM" in bad*) echo "checking"; echo "no good: $BATON_ITEM"; exit 3;; esac';
    const r = await runBatch(workflow({ validate: { run: validate }, onInvalid: 'skip', groupSize: 2 }, { uses: undefined, with: undefined, run: group }), ['x1', 'bad', 'x2', 'x3']);
    expect(r.state).toBe('succeeded');
    expect(r.output.items).toEqual([
      { item: 'x1', status: 'succeeded', output: 'x1-done' },
      { item: 'x2', status: 'succeeded', output: 'x2-done' },
      { item: 'x3', status: 'succeeded', output: 'x3-done' },
      { item: 'bad', status: 'invalid', error: 'no good: bad' },
    ]);
  });
});

describe('batch groups and failure policies', () => {
  it('a failing group is retried on its own; the others run once', async () => {
    const r = await runBatch(workflow({ groupSize: 2, concurrency: 2 }, { retry: { attempts: 3, delay: '10ms', backoff: 'fixed' } }), ['a', 'b', 'flaky', 'c', 'd', 'e', 'f']);
    expect(r.state).toBe('succeeded');
    expect(r.calls).toEqual({ g0: 1, g1: 3, g2: 1, g3: 1 });
    expect(r.output.counts).toEqual({ total: 7, succeeded: 7, failed: 0, invalid: 0, skipped: 0 });
    // The step itself had one attempt: the retries were the group's.
    expect(r.step.attempts).toBe(1);
    const groups = await rig!.store.getBatchGroups(r.step.runId, 'work');
    expect(groups.map((g) => [g.index, g.state, g.attempts])).toEqual([[0, 'succeeded', 1], [1, 'succeeded', 3], [2, 'succeeded', 1], [3, 'succeeded', 1]]);
  });

  it('fail-fast: the first group out of retries stops new groups; the step fails naming the failed items', async () => {
    const r = await runBatch(workflow({ groupSize: 1 }, { retry: { attempts: 2, delay: '5ms' } }), ['a', 'fail1', 'b', 'c']);
    expect(r.state).toBe('failed');
    expect(r.calls).toEqual({ g0: 1, g1: 2 });
    expect(r.step.error).toMatchObject({ type: 'batch-failed', retryable: false });
    expect(r.step.error!.message).toContain('group 1 failed after 2 tries, so no further group started (fail-fast): cannot process fail1');
    expect(r.step.error!.message).toContain('1 of 4 items failed, 2 skipped. Failed items:\n  fail1: cannot process fail1');
    expect(r.step.error!.details).toMatchObject({ counts: { total: 4, succeeded: 1, failed: 1, skipped: 2 }, failures: [{ item: 'fail1', error: 'cannot process fail1' }] });
    expect(r.step.attempts).toBe(1);
  });

  it.each([
    ['a count, under the limit', 2, 'succeeded'],
    ['a count, over the limit', 1, 'failed'],
    ['a percentage, under the limit', '25%', 'succeeded'],
    ['a percentage, over the limit', '24%', 'failed'],
  ] as const)('continue with maxFailures as %s', async (_what, maxFailures, expected) => {
    const items = ['a', 'fail1', 'b', 'c', 'fail2', 'd', 'e', 'f'];
    const r = await runBatch(workflow({ groupSize: 1, concurrency: 3, failurePolicy: 'continue', maxFailures }), items);
    expect(r.state).toBe(expected);
    if (expected === 'succeeded') {
      expect(r.output.counts).toEqual({ total: 8, succeeded: 6, failed: 2, invalid: 0, skipped: 0 });
      expect(r.output.failures).toEqual([{ item: 'fail1', error: 'cannot process fail1' }, { item: 'fail2', error: 'cannot process fail2' }]);
      expect(Object.keys(r.calls)).toHaveLength(8);
    } else {
      // Once over the limit no new group starts: the rest are skipped.
      expect(r.step.error!.details).toMatchObject({ counts: { failed: 2 } });
      expect(r.step.error!.message).toMatch(/^2 of 8 items failed, more than maxFailures (1|24%) allows\n(\d items skipped\. )?Failed items:\n {2}fail1: cannot process fail1\n {2}fail2: cannot process fail2$/);
    }
  });

  it('continue without maxFailures runs every group and succeeds with the failures listed', async () => {
    const r = await runBatch(workflow({ groupSize: 2, failurePolicy: 'continue' }), ['fail1', 'a', 'b', 'c']);
    expect(r.state).toBe('succeeded');
    expect(r.output.counts).toEqual({ total: 4, succeeded: 2, failed: 2, invalid: 0, skipped: 0 });
  });

  it('consolidate: its output becomes the step output', async () => {
    const r = await runBatch(workflow({ groupSize: 2, consolidate: { uses: './batch_handlers.ts#summarize', with: { tag: '${{ params.dir }}' } } }), ['a', 'b', 'c']);
    expect(r.state).toBe('succeeded');
    expect(r.output).toEqual({ tag: rig!.dir, counts: { total: 3, succeeded: 3, failed: 0, invalid: 0, skipped: 0 }, first: 'a' });
  });
});

describe('batch items', () => {
  it('from an upstream step output array', async () => {
    const list: StepInput = { id: 'list', uses: './batch_handlers.ts#list' };
    const r = await runBatch(workflow({ items: '${{ steps.list.output.files }}', groupSize: 2 }, { needs: ['list'] }, [list]), []);
    expect(r.state).toBe('succeeded');
    expect((r.output.items as { item: string }[]).map((i) => i.item)).toEqual(['u1', 'u2', 'u3']);
    expect(r.calls).toEqual({ g0: 1, g1: 1 });
  });

  it('from an array param, JSON values included; a shell group gets them as JSON in $BATON_ITEMS', async () => {
    const r = await runBatch(workflow({ groupSize: 5 }, { run: 'printf "%s" "$BATON_ITEMS" > "$BATON_OUTPUT"', uses: undefined, with: undefined }), [{ id: 1 }, 'two', 3]);
    expect(r.state).toBe('succeeded');
    // The group wrote its items back as its outputs: one per item, in order.
    expect(r.output.items).toEqual([
      { item: { id: 1 }, status: 'succeeded', output: { id: 1 } },
      { item: 'two', status: 'succeeded', output: 'two' },
      { item: 3, status: 'succeeded', output: 3 },
    ]);
  });

  it('an items expression that does not give an array fails the step clearly', async () => {
    const r = await runBatch(workflow({ items: '${{ params.dir }}' }), []);
    expect(r.state).toBe('failed');
    expect(r.step.error?.message).toMatch(/batch items "\$\{\{ params.dir \}\}" must give an array, got string/);
  });
});

describe('batch resume', () => {
  it('kill -9 mid-batch, then baton resume: succeeded groups are not run again', async () => {
    const dir = tempDir('baton-batch-resume-');
    dirs.push(dir);
    const db = join(dir, 'baton.db');
    cli = spawnBaton(['--db', db, 'run', fixture('batch_resume.yaml'), '-p', `dir=${dir}`, '--json'], dir);
    // Groups 0 and 1 are saved and group 2 (the `hang` item) has started.
    await waitFor(() => jsonEvents(cli!.stdout()).some((e) => e.type === 'batch' && e.data?.done === 2), 10_000, 'two groups done');
    await waitFor(() => existsSync(join(dir, 'calls')) && readFileSync(join(dir, 'calls'), 'utf8').includes('g2'), 5_000, 'group 2 to start');
    const runId = jsonEvents(cli.stdout())[0]!.runId;
    cli.child.kill('SIGKILL');
    expect(await cli.exited).toBe('SIGKILL');
    cli = undefined;

    writeFileSync(join(dir, 'GO'), '');
    const r = await baton(['--db', db, 'resume', runId, '--json'], dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean)).toEqual(['g0', 'g1', 'g2', 'g2', 'g3']);
    const store = openSqliteStore(db);
    try {
      const [step] = await store.getStepRuns(runId);
      expect(step).toMatchObject({ state: 'succeeded', attempts: 2, lostAttempts: 1 });
      expect((step!.output as { counts: unknown }).counts).toEqual({ total: 4, succeeded: 4, failed: 0, invalid: 0, skipped: 0 });
      expect((await store.getAttempts(runId)).map((a) => a.state)).toEqual(['lost', 'succeeded']);
      expect((await store.getBatchGroups(runId, 'work')).map((g) => [g.index, g.state, g.attempts])).toEqual([[0, 'succeeded', 1], [1, 'succeeded', 1], [2, 'succeeded', 1], [3, 'succeeded', 1]]);
    } finally {
      await store.close();
    }
  });
});
