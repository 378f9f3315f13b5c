/**
 * @module runtime/control
 * Operating runs from outside the process that executes them (the CLI, the HTTP API):
 * pause and unpause, re-run part of a run, retry it as a new run, change the priority of a
 * waiting run. Each function reads and writes only the store, records an event saying what
 * was asked and by whom, and throws typed errors for requests that do not fit the run.
 *
 * A holder engine learns of a pause at its next heartbeat (`Store.renewRun`); a process that
 * holds the run in its own engine applies it at once with `engine.refresh(runId)`. A re-run
 * leaves the run `queued` with no holder: `baton server`, a fleet worker or `baton retry`
 * in the foreground starts it like any queued run.
 */
import type { RerunSelection, RunState, StepRunState } from '../core/index.js';
import { RerunSelectionError, canRerunRun, isRunDone, planRerun } from '../core/index.js';
import type { JsonObject } from '../shared/index.js';
import type { NewEvent, RunRecord, Store } from '../store/index.js';
import { RunNotFoundError } from '../store/index.js';
import { newRun } from './records.js';
import { runDefinition } from './restore.js';
import { BatonError } from '../shared/index.js';
import { MAX_WORKFLOW_DEPTH } from './child-runs.js';

export { RerunSelectionError };
export type { RerunProblem, RerunSelection } from '../core/index.js';

/** Who asked, for the event log. */
export interface ControlOptions {
  /**
   * Who or what asked (e.g. `cli:alice@host`, `api:token-name`): stored as `by` in the
   * event's data. Absent: not recorded.
   */
  by?: string;
  /**
   * The diagnosis recovery a re-run applies (`baton explain --apply N`): its step, rank from 1
   * and command, stored as `recovery` in the `rerun` event. Absent: a plain re-run.
   */
  recovery?: { stepId: string; rank: number; command: string };
}

/** What an operator asked of a run. */
export type RunAction = 'pause' | 'rerun' | 'priority';

/**
 * Thrown when a request does not fit the run's state: pausing a finished run, re-running a
 * running one (or one a live process holds), setting the priority of a run that already
 * started. An HTTP API answers it with 409 Conflict.
 */
export class RunStateError extends BatonError {
  constructor(
    readonly runId: string,
    readonly action: RunAction,
    readonly state: RunState,
    /** True when the refusal is because a live process holds the run. */
    readonly held = false,
  ) {
    super('run-state', runStateMessage(runId, action, state, held));
  }
}

function runStateMessage(runId: string, action: RunAction, state: RunState, held: boolean): string {
  if (action === 'pause') return `run ${runId} has ${state}; only a run that has not ended can be paused`;
  if (action === 'priority') return `run ${runId} is ${state}; the priority of a run can change only while it is pending or queued`;
  if (held || state === 'running') {
    return `run ${runId} is ${held && state !== 'running' ? 'held by a running process' : 'running'}; re-run it once it has ended (wait, or 'baton cancel ${runId}' first)`;
  }
  return `run ${runId} is ${state}; it cannot be re-run`;
}

/** Thrown for a priority outside −10..+10 or not an integer. An HTTP API answers it with 400. */
export class PriorityRangeError extends BatonError {
  constructor(readonly priority: number) {
    super('priority-range', `priority must be an integer from -10 to 10, got ${priority}`);
  }
}

/** What a pause or unpause did. */
export interface RunControlResult {
  /** The run as stored after the request. */
  run: RunRecord;
  /** False when the run was already in the state asked for (the request is idempotent). */
  changed: boolean;
}

/** What a re-run did. */
export interface RerunResult {
  /** The run as stored after the re-run: `queued` (or still `pending`), no holder. */
  run: RunRecord;
  /** Steps put back to `pending` with a fresh retry budget, in definition order. */
  steps: string[];
  /** Cancelled steps outside the selection, reopened as `baton resume` does. */
  reopened: string[];
}

const byData = (o: ControlOptions): JsonObject => (o.by === undefined ? {} : { by: o.by });

async function mustGet(store: Store, runId: string): Promise<RunRecord> {
  const run = await store.getRun(runId);
  if (!run) throw new RunNotFoundError(runId);
  return run;
}

/**
 * Pauses a run: it starts no new step until `unpauseRun`. Attempts already running finish
 * and their results are applied (dependents become ready, then wait); a `pending` or
 * `queued` run does not start. The pause is stored on the run (`pausedAt`, event
 * `run-paused`), so it survives restarts of its holder. Idempotent.
 * @param now - ms since the epoch.
 * @returns the run after the request; `changed` false when it was already paused.
 * @throws RunNotFoundError; RunStateError (`action: 'pause'`) when the run has ended.
 * @example
 * await pauseRun(store, runId, Date.now(), { by: 'api:ops' });
 * engine.refresh(runId); // in a process whose engine holds the run: apply it now
 */
export async function pauseRun(store: Store, runId: string, now: number, opts: ControlOptions = {}): Promise<RunControlResult> {
  const before = await mustGet(store, runId);
  if (isRunDone(before.state)) throw new RunStateError(runId, 'pause', before.state);
  const changed = await store.setRunPaused(runId, true, now, byData(opts));
  const run = await mustGet(store, runId);
  // Ended between the read and the write.
  if (!changed && run.pausedAt === undefined) throw new RunStateError(runId, 'pause', run.state);
  await pauseChildren(store, runId, true, now, opts);
  return { run, changed };
}

/**
 * A pause goes down to the child runs of the run's sub-workflow steps (and theirs), as a cancel
 * does: a paused parent would otherwise wait on children that go on. Each child records its
 * own `run-paused` / `run-resumed`, with the parent that asked.
 */
async function pauseChildren(store: Store, runId: string, paused: boolean, now: number, opts: ControlOptions, depth = 0): Promise<void> {
  if (depth >= MAX_WORKFLOW_DEPTH) return;
  for (const child of await store.listRuns({ parentRunId: runId, limit: 1_000 })) {
    if (isRunDone(child.state)) continue;
    await store.setRunPaused(child.id, paused, now, { ...byData(opts), parentRunId: runId });
    await pauseChildren(store, child.id, paused, now, opts, depth + 1);
  }
}

/**
 * Unpauses a run (event `run-resumed`): its holder starts the steps that became ready
 * meanwhile, within a heartbeat (or at once after `engine.refresh(runId)`); a queued run can
 * start again. Idempotent: `changed` is false when it was not paused. Never throws for a
 * finished run (a run that ended while paused only loses the flag).
 * @throws RunNotFoundError.
 */
export async function unpauseRun(store: Store, runId: string, now: number, opts: ControlOptions = {}): Promise<RunControlResult> {
  await mustGet(store, runId);
  const changed = await store.setRunPaused(runId, false, now, byData(opts));
  await pauseChildren(store, runId, false, now, opts);
  return { run: await mustGet(store, runId), changed };
}

/**
 * Re-runs part of a run, within the same run: `{ from: stepId }` re-runs that step and
 * everything downstream of it, keeping the outputs of the steps upstream; `{ failed: true }`
 * re-runs the failed steps and the steps downstream of them that did not succeed (skipped
 * or cancelled because of them). Cancelled steps elsewhere are reopened too. Re-run steps
 * keep their attempt count (the next attempt is numbered after the last) and start a fresh
 * retry budget; batch steps among them run all their items again.
 *
 * This is the only way a `succeeded` step runs again within its run (DESIGN.md invariant 3
 * holds for everything automatic: crash, retry, lost lease); it is recorded as a `rerun`
 * event with the selection and `by`, plus one `step` event per step put back to `pending`.
 *
 * The run must not be running: a finished run (`succeeded`, `failed`, `cancelled`) goes back
 * to `queued` with no holder, its end, pause and cancel request cleared, and `baton server`,
 * a fleet worker or `baton resume`/`baton retry` starts it; a `pending` or `queued` run keeps
 * its state. To change a running run, wait for it to end or cancel it first.
 *
 * With `selection.on` (tags), the re-run steps' attempts go to fleet workers having those tags
 * as well as their `runs-on` (stored on each step run, recorded as `on` in the event). Only a
 * fleet honours tags: callers without one (SQLite, `--local`) should refuse `on` rather than
 * have it ignored.
 * @returns the run after the re-run and the step ids re-run.
 * @throws RunNotFoundError; RunStateError (`action: 'rerun'`) when the run is running or a
 *   live process holds it; RerunSelectionError for an unknown step or, with `failed`, a run
 *   without failed steps; ResumeError when the run's definition is missing from the store.
 */
export async function rerunRun(store: Store, runId: string, selection: RerunSelection, now: number, opts: ControlOptions = {}): Promise<RerunResult> {
  const run = await mustGet(store, runId);
  if (!canRerunRun(run.state)) throw new RunStateError(runId, 'rerun', run.state);
  const spec = await runDefinition(store, run);
  const records = await store.getStepRuns(runId);
  const plan = planRerun(spec, runId, records, selection, now);
  const to: RunState = isRunDone(run.state) ? 'queued' : run.state;
  const positions = new Map(records.map((s) => [s.stepId, s.position]));
  const touched = new Set([...plan.selected, ...plan.reopened]);
  const events: NewEvent[] = [{
    runId, type: 'rerun', at: now,
    data: {
      ...byData(opts), ...('from' in selection ? { from: selection.from } : { failed: true }), steps: plan.selected, reopened: plan.reopened,
      ...(selection.on?.length ? { on: [...selection.on] } : {}),
      ...(opts.recovery ? { recovery: { ...opts.recovery } } : {}),
    },
  }];
  for (const t of plan.transitions) events.push({ runId, stepId: t.stepId, type: 'step', from: t.from, to: t.to, at: now, data: { reason: 'rerun' } });
  if (run.pausedAt !== undefined) events.push({ runId, type: 'run-resumed', at: now, data: { ...byData(opts), reason: 'rerun' } });
  if (to !== run.state) events.push({ runId, type: 'run', from: run.state, to, at: now, data: { reason: 'rerun' } });
  const ok = await store.reopenRun({
    runId, from: run.state, to, now, events,
    steps: plan.steps.filter((s) => touched.has(s.stepId)).map((s) => ({ ...s, runId, position: positions.get(s.stepId) ?? 0 })),
    clearBatchGroups: spec.steps.filter((s) => s.batch !== undefined && plan.selected.includes(s.id)).map((s) => s.id),
  });
  if (!ok) {
    const now2 = await mustGet(store, runId);
    throw new RunStateError(runId, 'rerun', now2.state, now2.state === run.state);
  }
  return { run: await mustGet(store, runId), steps: plan.selected, reopened: plan.reopened };
}

/**
 * Retries a run as a new run: the same workflow version and params (and priority and
 * concurrency override), trigger `retry`, `retryOf` set to the original. The new run is
 * `queued` with no holder; the original gets a `retried` event naming it. Any state of the
 * original is accepted.
 * @returns the new run's record.
 * @throws RunNotFoundError; ResumeError when the original's definition is missing.
 */
export async function retryAsNewRun(store: Store, runId: string, now: number, opts: ControlOptions = {}): Promise<RunRecord> {
  const original = await mustGet(store, runId);
  const spec = await runDefinition(store, original);
  const made = newRun(spec, original.version, {
    params: original.params, trigger: 'retry', priority: original.priority,
    ...(original.concurrency !== undefined ? { concurrency: original.concurrency } : {}),
  }, now);
  made.record.retryOf = original.id;
  made.events[0]!.data = { ...made.events[0]!.data, retryOf: original.id, ...byData(opts) };
  made.events.push({ runId: original.id, type: 'retried', at: now, data: { run: made.record.id, ...byData(opts) } });
  await store.createRun(made.record, made.steps, made.events);
  return mustGet(store, made.record.id);
}

/**
 * Sets the priority of a `pending` or `queued` run (event `priority` with `from` and `to`):
 * queued runs start highest priority first (then longest waiting), and a run's priority
 * adds to each of its steps'.
 * @param priority - an integer from −10 to +10.
 * @returns the run after the change.
 * @throws PriorityRangeError; RunNotFoundError; RunStateError (`action: 'priority'`) when the
 *   run is in another state.
 */
export async function setRunPriority(store: Store, runId: string, priority: number, now: number, opts: ControlOptions = {}): Promise<RunRecord> {
  if (!Number.isInteger(priority) || priority < -10 || priority > 10) throw new PriorityRangeError(priority);
  const run = await mustGet(store, runId);
  if (!(await store.setRunPriority(runId, priority, now, byData(opts)))) {
    throw new RunStateError(runId, 'priority', (await store.getRun(runId))?.state ?? run.state);
  }
  return mustGet(store, runId);
}

/** How long a queued run or step run has waited, ms (0 when it is not queued). */
export function queuedForMs(item: { state: RunState | StepRunState; queuedAt?: number; createdAt?: number }, now: number): number {
  if (item.state !== 'queued') return 0;
  const since = item.queuedAt ?? item.createdAt;
  return since === undefined ? 0 : Math.max(0, now - since);
}

