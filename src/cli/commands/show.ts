import type { Command } from 'commander';
import type { AttemptRecord, FleetStore, RunRecord, StepWaiting, Store, StoredStepRun } from '../../store/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { openCliProcess } from '../context.js';
import { queuedForMs, waitingFor } from '../../runtime/index.js';
import { limitsText } from '../../executors/index.js';
import type { WorkflowSpec } from '../../workflow/index.js';
import { decodeDefinition } from '../../workflow/index.js';
import { parseMapItemId } from '../../core/index.js';
import { traceIdOf } from '../../shared/index.js';
import { dim, elapsed, etaText, formatMs, formatTime, paintState, runStateText, table } from '../format.js';
import type { RunEta } from '../../observe/index.js';
import { createEtaService } from '../../observe/index.js';
import { isRunDone } from '../../core/index.js';

/** `baton show RUN`: one run's steps and attempts, from the store or a server's API (`--server`). */
export function registerShow(program: Command, globals: () => GlobalOptions): void {
  program
    .command('show')
    .description("show a run: each step's state, attempts, durations, exit codes and errors, and while it runs its ETA")
    .argument('<run>', 'run id or a unique prefix of it')
    .option('--json', 'print JSON (run, its OpenTelemetry traceId, steps with outputs, attempts)')
    .option('--all', "list every item of a mapped step (map:) on its own; by default they are folded into one line, e.g. forecast[0..249], with counts, and only failed items are listed")
    .addHelpText('after', `
A queued or running run shows its ETA: the predicted end at p50 and p90, from the
durations of its steps in recent runs of the workflow along what remains of its DAG
("from step history"), else from the workflow's recent run durations ("from run
durations"), else "unknown". --json carries it as run.eta {p50, p90, basis} (ms since
the epoch, null when unknown).

With --server the run is read through the server's API, with the same output except the
BATCH section (item counts of batch steps), which only a local store has.`)
    .action(async (id: string, o: { json?: boolean; all?: boolean }) => {
      const fold = o.all !== true;
      const api = connect(globals());
      if (api) {
        const { run, steps, attempts } = await api.getRun(id);
        const hooks = o.json === true ? undefined : stepNotes(await api.getWorkflowVersion(run.workflow, run.version), run.id);
        printRun({ run, steps: steps.map((s) => ({ runId: run.id, ...s })), attempts, batches: new Map(), fold, ...(hooks ? { hooks } : {}), ...(run.eta ? { eta: run.eta } : {}) }, o.json === true);
        return;
      }
      // One process: its store for the record and, on PostgreSQL, its fleet for why attempts wait.
      const proc = await openCliProcess(globals(), 'embedded');
      const { store } = proc;
      try {
        const runId = await store.resolveRunId(id);
        const [run, steps, attempts] = await Promise.all([store.getRun(runId), store.getStepRuns(runId), store.getAttempts(runId)]);
        if (!run) return;
        const waiting = run.state === 'running' && proc.fleet ? await waitingSteps(proc.fleet, run.id) : new Map<string, StepWaiting>();
        const shown = steps.map((s) => (waiting.has(s.stepId) ? { ...s, waiting: waiting.get(s.stepId)! } : s));
        const hooks = stepNotes(await store.getWorkflow(run.version), run.id);
        const children = await store.listRuns({ parentRunId: run.id, limit: 1_000 });
        const eta = await createEtaService({ store }).ofRun(run, steps);
        printRun({ run, steps: shown, attempts, batches: await batchCounts(store, run.id, run.version), hooks, fold, children, eta }, o.json === true);
      } finally {
        await proc.close();
      }
    });
}

/** What `show` says of a step beside its record, from the definition: its hook, what it waits for. */
interface StepNote {
  /** `onFailure` or `finally`. */
  hook?: string;
  /** A waiting step: what for, and how to answer it. */
  waits?: ReturnType<typeof waitingFor>;
  /** A shell step's `memory`/`cpu` limits and how they are enforced. */
  limits?: string;
}

/** Notes on the steps of a stored definition, by step id; none when it cannot be read. */
function stepNotes(stored: { definition?: unknown; version?: string } | undefined, runId: string): Map<string, StepNote> {
  let spec: WorkflowSpec;
  try {
    if (stored === undefined) return new Map();
    spec = decodeDefinition({ definition: stored.definition, ...(stored.version !== undefined ? { version: stored.version } : {}) });
  } catch {
    return new Map();
  }
  return new Map(spec.steps.flatMap((st) => {
    const waits = waitingFor(runId, st);
    const limits = st.action.kind === 'run' ? limitsText(st) : undefined;
    const note: StepNote = { ...(st.hook !== undefined ? { hook: st.hook } : {}), ...(waits ? { waits } : {}), ...(limits ? { limits } : {}) };
    return Object.keys(note).length ? [[st.id, note] as const] : [];
  }));
}

/** Item and group counts of one batch step. */
interface BatchCounts { done: number; failed: number; invalid: number; total: number; groups: number; groupsDone: number }

/** Fleet mode: why the run's published attempts wait for a worker, by step id. */
async function waitingSteps(fleet: FleetStore, runId: string): Promise<Map<string, StepWaiting>> {
  return new Map((await fleet.waitingAttempts([runId])).map(({ stepId, reason, detail, missingTags, waitedMs }) =>
    [stepId, { reason, detail, waitedMs, ...(missingTags ? { missingTags } : {}) }]));
}

/**
 * What `show` prints; `waitedMs` is how long a queued run or step has waited, as a server
 * measured it; `waiting`, in fleet mode, why a running step's attempt has no worker yet.
 */
interface RunView {
  run: RunRecord & { waitedMs?: number };
  steps: (StoredStepRun & { waitedMs?: number; waiting?: StepWaiting })[];
  attempts: AttemptRecord[];
  batches: Map<string, BatchCounts>;
  /** Notes by step id from the definition: hook steps (`onFailure`, `finally`) labelled so, waiting steps listed under WAITING. */
  hooks?: ReadonlyMap<string, StepNote>;
  /** Fold the items of each mapped step into one line (`--all` unfolds them). */
  fold?: boolean;
  /** The child runs its sub-workflow steps started, newest first. */
  children?: RunRecord[];
  /** The run's ETA, as the API's run resource carries it. */
  eta?: RunEta;
}

/** Failed items of a folded mapped step listed under its line, at most. */
const FAILED_ITEMS_SHOWN = 10;

/**
 * The table's step runs with the items of each mapped step replaced by one summary line
 * (`forecast[0..249]`, its states counted) followed by its failed items (up to
 * {@link FAILED_ITEMS_SHOWN}), as a person reading a 250-item run wants it.
 */
function foldItems<S extends StoredStepRun>(steps: S[]): (S | { fold: string; states: string; failed: S[]; more: number })[] {
  const out: (S | { fold: string; states: string; failed: S[]; more: number })[] = [];
  for (let i = 0; i < steps.length;) {
    const id = parseMapItemId(steps[i]!.stepId);
    if (!id) {
      out.push(steps[i++]!);
      continue;
    }
    const group: S[] = [];
    while (i < steps.length && parseMapItemId(steps[i]!.stepId)?.stepId === id.stepId) group.push(steps[i++]!);
    const counts = new Map<string, number>();
    for (const s of group) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
    const failed = group.filter((s) => s.state === 'failed');
    out.push({
      fold: `${id.stepId}[${parseMapItemId(group[0]!.stepId)!.index}..${parseMapItemId(group.at(-1)!.stepId)!.index}]`,
      states: [...counts].map(([state, n]) => `${n} ${paintState(state as StoredStepRun['state'])}`).join(', '),
      failed: failed.slice(0, FAILED_ITEMS_SHOWN),
      more: Math.max(0, failed.length - FAILED_ITEMS_SHOWN),
    });
  }
  return out;
}

/** Prints a run with its steps and attempts, as text or as JSON (the stored records). */
function printRun({ run: runView, steps: stepViews, attempts, batches, hooks, fold, children = [], eta: etaGiven }: RunView, json: boolean): void {
  const { waitedMs: runWaited, eta: etaOfView, ...record } = runView as RunView['run'] & { eta?: RunEta };
  const eta = etaGiven ?? etaOfView;
  const run = eta ? { ...record, eta } : record;
  const steps = stepViews.map(({ waitedMs: _w, ...s }) => s);
  const traceId = traceIdOf(run.id);
  if (json) {
    process.stdout.write(JSON.stringify({ run, traceId, steps, attempts, ...(batches.size ? { batches: Object.fromEntries(batches) } : {}), ...(children.length ? { children } : {}) }, null, 2) + '\n');
    return;
  }
  const now = Date.now();
  const waited = new Map(stepViews.map((s) => [s.stepId, s.waitedMs ?? queuedForMs(s, now)]));
  const out: string[] = [
    `run       ${run.id}`,
    `workflow  ${run.workflow} ${dim(`(version ${run.version})`)}`,
    `state     ${runStateText(run)}${run.reason ? ` (${run.reason})` : ''}`,
    `trigger   ${run.trigger}${run.retryOf ? ` (retry of ${run.retryOf})` : ''}${run.parentRunId ? ` (step ${run.parentStepId ?? '?'} of run ${run.parentRunId})` : ''}`,
    `priority  ${run.priority}`,
    `created   ${formatTime(run.createdAt)}   duration ${elapsed(run.startedAt, run.endedAt)}`,
    `params    ${JSON.stringify(run.params)}`,
    `trace     ${traceId}`,
  ];
  const etaLine = isRunDone(run.state) ? undefined : etaText(eta, now);
  if (etaLine) out.push(etaLine.replace(/^ETA /, 'ETA       '));
  if (run.state === 'queued') out.push(`queued    since ${formatTime(run.queuedAt ?? run.createdAt)} (waiting ${formatMs(runWaited ?? queuedForMs(run, now))})`);
  if (run.pausedAt !== undefined && !['succeeded', 'failed', 'cancelled'].includes(run.state)) {
    out.push(`paused    since ${formatTime(run.pausedAt)}: no new step starts; 'baton resume ${run.id}' continues it`);
  }
  out.push('');
  const byStep = new Map<string, AttemptRecord[]>();
  for (const a of attempts) byStep.set(a.stepId, [...(byStep.get(a.stepId) ?? []), a]);
  const rows = [['STEP', 'STATE', 'ATTEMPT', 'STARTED', 'DURATION', 'EXIT', 'CPU', 'MEM', 'ERROR']];
  const listed = fold === true ? foldItems(stepViews) : stepViews;
  const lines = listed.flatMap((l) => ('fold' in l ? [l, ...l.failed] : [l]));
  for (const line of lines) {
    if ('fold' in line) {
      rows.push([`  ${line.fold}`, line.states, '', '', '', '', '', '', line.more ? dim(`failed items below, and ${line.more} more (--all)`) : '']);
      continue;
    }
    const step = line;
    const hook = hooks?.get(step.stepId)?.hook;
    const s = hook === undefined ? step : { ...step, stepId: `${step.stepId} ${dim(`(${hook})`)}` };
    const tries = byStep.get(step.stepId) ?? [];
    const unclaimed = s.waiting ? `waiting: ${s.waiting.detail} (${formatMs(s.waiting.waitedMs)})`.slice(0, 200) : undefined;
    const waiting = s.state === 'queued' ? dim(`queued ${formatMs(waited.get(step.stepId) ?? 0)}`) : '';
    // Held back by an open circuit breaker: which, and when its trial may start.
    const circuit = s.state === 'queued' && s.circuit
      ? `circuit-open: breaker ${s.circuit.breaker}${s.circuit.until !== undefined ? `, next trial ${formatTime(s.circuit.until)}` : ', a trial is running'}`
      : '';
    if (!tries.length) {
      rows.push([s.stepId, paintState(s.state), '', waiting, '', '', '', '', circuit || (s.reason ?? '')]);
      continue;
    }
    if (waiting) rows.push([s.stepId, paintState(s.state), `${s.attempts + 1} next`, waiting, '', '', '', '', circuit]);
    tries.forEach((a, i) => {
      rows.push([
        i === 0 && !waiting ? s.stepId : '',
        i === 0 && !waiting ? paintState(s.state) : '',
        `${a.number} ${paintState(a.state)}`,
        formatTime(a.startedAt),
        elapsed(a.startedAt, a.endedAt),
        a.exitCode === undefined ? '' : String(a.exitCode),
        a.cpuMs === undefined ? '' : formatMs(Math.round(a.cpuMs)),
        a.peakRssBytes === undefined ? '' : `${(a.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
        a.error ? a.error.message.split('\n')[0]!.slice(0, 100) : (a.state === 'running' && unclaimed) || '',
      ]);
    });
  }
  out.push(table(rows));
  const waiting = stepViews.flatMap((st) => {
    const w = hooks?.get(st.stepId)?.waits;
    return w && st.signal === undefined && st.state === 'running' ? [{ st, w }] : [];
  });
  if (waiting.length) {
    out.push('', 'WAITING');
    const since = (t: number | undefined): string => (t === undefined ? '' : `since ${formatTime(t)} (${formatMs(Math.max(0, now - t))})`);
    out.push(table(waiting.flatMap(({ st, w }) => [[st.stepId, w.what, since(st.startedAt), w.how], ...(w.message ? [['', dim(w.message.split('\n')[0]!.slice(0, 200)), '', '']] : [])])));
  }
  const limited = [...(hooks ?? [])].flatMap(([id, n]) => (n.limits ? [[id, n.limits.replace(/^limits: /, '')]] : []));
  if (limited.length) {
    out.push('', 'LIMITS');
    out.push(table(limited));
  }
  if (children.length) {
    out.push('', 'CHILD RUNS');
    out.push(table([['STEP', 'RUN', 'WORKFLOW', 'STATE', 'DURATION'], ...[...children].reverse().map((c) => [c.parentStepId ?? '', c.id, c.workflow, paintState(c.state), elapsed(c.startedAt, c.endedAt)])]));
  }
  if (batches.size) {
    out.push('', 'BATCH');
    const items = [...batches].map(([stepId, b]) => [stepId, `items ${b.done}/${b.failed}/${b.total} done/failed/total`, b.invalid ? `${b.invalid} invalid` : '', dim(`${b.groupsDone}/${b.groups} groups ended`)]);
    out.push(table(items));
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** Item and group counts of each batch step of a run, read from its stored groups. */
async function batchCounts(store: Store, runId: string, version: string): Promise<Map<string, BatchCounts>> {
  const out = new Map<string, BatchCounts>();
  const def = (await store.getWorkflow(version))?.definition as { steps?: { id: string; batch?: unknown }[] } | undefined;
  for (const step of def?.steps ?? []) {
    if (step.batch === undefined) continue;
    const b = { done: 0, failed: 0, invalid: 0, total: 0, groups: 0, groupsDone: 0 };
    const groups = await store.getBatchGroups(runId, step.id);
    if (!groups.length) continue; // not started, or stopped at validation (its error says why)
    for (const g of groups) {
      b.total += g.items.length;
      if (g.state === 'succeeded') b.done += g.items.length;
      if (g.state === 'failed') b.failed += g.items.length;
      if (g.state === 'invalid') b.invalid += g.items.length;
      if (g.index >= 0) b.groups++;
      if (g.state === 'succeeded' || g.state === 'failed') b.groupsDone++;
    }
    out.set(step.id, b);
  }
  return out;
}
