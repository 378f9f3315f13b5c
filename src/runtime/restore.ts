/**
 * @module runtime/restore
 * Rebuilding a run from the store alone (DESIGN.md invariant 1): the machine from step run
 * records, interrupted attempts marked `lost`, and their leftover processes ended.
 */
import type { Transition } from '../core/index.js';
import { RunMachine, failures } from '../core/index.js';
import type { StepAction, StepSpec, WorkflowSpec } from '../workflow/index.js';
import { decodeDefinition } from '../workflow/index.js';
import type { JsonObject } from '../shared/index.js';
import type { AttemptEnd, AttemptRecord, RunRecord, Store } from '../store/index.js';
import { RunNotFoundError } from '../store/index.js';
import { holderAlive, killOrphanGroups } from './liveness.js';
import type { CompiledEngineOptions } from './options.js';
import { BatonError } from '../shared/index.js';
import { isHeldStep } from './slots.js';

/** A machine for a new run. */
export function newMachine(spec: WorkflowSpec, runId: string, params: JsonObject, o: Pick<CompiledEngineOptions, 'maxLostAttempts'>): RunMachine {
  return new RunMachine(spec, { runId, params }, { maxLostAttempts: o.maxLostAttempts });
}

/** Thrown when a run cannot be resumed from its records. */
export class ResumeError extends BatonError {
  constructor(
    /** The run that cannot be resumed. */
    readonly runId: string,
    message: string,
  ) {
    super('resume', message);
  }
}

/** What resuming a run starts from. */
export interface LoadedRun {
  record: RunRecord;
  machine: RunMachine;
  /** Attempt ends to record: the interrupted attempts, as `lost`. */
  lostAttempts: AttemptEnd[];
  /** The same attempts' rows as they stand once those ends are recorded. */
  lostRows: (AttemptRecord & { endedAt: number })[];
  /** The machine's transitions from marking those attempts lost. */
  transitions: Transition[];
  /** Fleet attempts still out with workers: the new coordinator takes over waiting for them. */
  reattach: AttemptRecord[];
}

/**
 * Loads a run's records and rebuilds its machine, marking every `running` attempt lost.
 * @param spec - the live definition, required when the stored one has inline handlers.
 * @throws RunNotFoundError; ResumeError when the run has succeeded or its definition is gone.
 */
export async function loadRunForResume(
  store: Store,
  runId: string,
  o: Pick<CompiledEngineOptions, 'maxLostAttempts'>,
  now: number,
  spec?: WorkflowSpec,
  opts: { fleet?: boolean } = {},
): Promise<LoadedRun> {
  const record = await store.getRun(runId);
  if (!record) throw new RunNotFoundError(runId);
  if (record.state === 'succeeded') throw new ResumeError(runId, `run ${runId} already succeeded; there is nothing to resume`);
  if (record.state === 'pending') throw new ResumeError(runId, `run ${runId} is not due yet (pending); 'baton server' starts it when due, or cancel it with 'baton cancel ${runId}'`);
  if (record.state === 'failed') {
    throw new ResumeError(runId, `run ${runId} failed; resume continues interrupted or cancelled runs. Start a new run with 'baton run'`);
  }
  const def = spec ?? (await storedSpec(store, record));
  const steps = await store.getStepRuns(runId);
  // A queued run was never started: the caller applies `start`. Otherwise it resumes.
  const state = record.state === 'cancelled' || record.state === 'queued' ? record.state : 'running';
  const machine = new RunMachine(def, { runId, params: record.params, state, steps, ...(record.tickAt !== undefined ? { tickAt: record.tickAt } : {}) }, {
    maxLostAttempts: o.maxLostAttempts,
  });
  const lostAttempts: AttemptEnd[] = [];
  const lostRows: (AttemptRecord & { endedAt: number })[] = [];
  const transitions: Transition[] = [];
  const reattach: AttemptRecord[] = [];
  const attempts = await store.getAttempts(runId);
  if (opts.fleet) {
    // In fleet mode the latest attempt of a running step is the new coordinator's to wait
    // for, whatever its row says: a worker may hold it still (its lease, not this process,
    // decides; the reaper makes it lost when it lapses), or may have completed it after the
    // old coordinator died, before that end was applied. Steps kept local were the old
    // holder's own and are lost with it.
    const latest = new Map<string, AttemptRecord>();
    for (const a of attempts) if ((latest.get(a.stepId)?.number ?? 0) < a.number) latest.set(a.stepId, a);
    for (const s of machine.steps()) {
      const a = latest.get(s.stepId);
      if (s.state === 'running' && a && runsRemotely(machine.stepSpec(s.stepId))) reattach.push(a);
    }
  }
  const kept = new Set(reattach.map((a) => a.id));
  const interrupted = attempts.filter((a) => a.state === 'running' && !kept.has(a.id));
  // One pass over /proc for all of them, not one per attempt.
  killOrphanGroups(interrupted);
  for (const a of interrupted) {
    const end: AttemptEnd = { id: a.id, state: 'lost', endedAt: now, error: failures.lost('the process running it died before it reported') };
    lostAttempts.push(end);
    lostRows.push({ ...a, ...end, endedAt: now });
  }
  const keptSteps = new Set(reattach.map((a) => a.stepId));
  for (const s of machine.steps()) {
    // A mapped step runs no attempt of its own: its items' attempts are what was interrupted.
    if (s.state === 'running' && !keptSteps.has(s.stepId) && !machine.isMapped(s.stepId)) transitions.push(...machine.apply({ type: 'attempt-lost', stepId: s.stepId }, now));
  }
  return { record, machine, lostAttempts, lostRows, transitions, reattach };
}

/** Whether fleet workers run this step (batch steps, inline handlers and held steps stay with the coordinator). */
export function runsRemotely(step: StepSpec): boolean {
  // Sub-workflow steps (their child is a run this coordinator holds) and waiting steps (they read the store) run nothing a worker could.
  if (isHeldStep(step)) return false;
  return step.batch === undefined && !(step.action.kind === 'uses' && typeof step.action.handler === 'function');
}

/**
 * The workflow a run was created from, read back from the store and checked.
 * @throws ResumeError when the version is missing from the store
 * @throws DefinitionDecodeError when the stored definition does not have a workflow's shape
 */
export async function runDefinition(store: Store, run: RunRecord): Promise<WorkflowSpec> {
  const w = await store.getWorkflow(run.version);
  if (!w) throw new ResumeError(run.id, `the definition of run ${run.id} (version ${run.version}) is missing from the store`);
  return decodeDefinition(w);
}

async function storedSpec(store: Store, record: RunRecord): Promise<WorkflowSpec> {
  const spec = await runDefinition(store, record);
  const isInline = (a: StepAction | undefined): boolean => a?.kind === 'uses' && typeof a.handler === 'string' && a.handler.startsWith('inline:');
  const inline = spec.steps.find((s) => isInline(s.action) || isInline(s.batch?.validate) || isInline(s.batch?.consolidate));
  if (inline) {
    throw new ResumeError(record.id, `step ${inline.id} of run ${record.id} has an inline handler; resume it from the program that defined it (engine.resumeRun(id, spec))`);
  }
  return spec;
}

/**
 * Cancels a run from outside its holder. If a live process holds it, records a request
 * that the holder picks up at its next heartbeat; otherwise (its holder died) ends the
 * run here: interrupted attempts become `lost`, every unfinished step `cancelled`.
 * @returns `requested` (a holder will act) or `cancelled` (done here) or `finished` (already over).
 */
export async function cancelStoredRun(store: Store, runId: string, now: number): Promise<'requested' | 'cancelled' | 'finished'> {
  const record = await store.getRun(runId);
  if (!record) throw new RunNotFoundError(runId);
  if (record.state === 'succeeded' || record.state === 'failed' || record.state === 'cancelled') return 'finished';
  const held = holderAlive(record, now);
  await store.requestCancel(runId, now);
  if (held) return 'requested';
  if (record.state === 'pending' || record.state === 'queued') {
    // Never started: nothing runs, so every step run simply ends cancelled.
    const steps = await store.getStepRuns(runId);
    await store.commit({
      attemptsStarted: [],
      attemptsEnded: [],
      stepRuns: steps.map((s) => ({ ...s, state: 'cancelled', endedAt: now, reason: 'cancelled' })),
      runs: [{ id: runId, state: 'cancelled', endedAt: now, reason: 'cancelled' }],
      events: [{ runId, type: 'run', from: record.state, to: 'cancelled', at: now, data: { reason: 'cancelled' } }],
    });
    return 'cancelled';
  }
  const loaded = await loadRunForResume(store, runId, { maxLostAttempts: Number.MAX_SAFE_INTEGER }, now);
  const m = loaded.machine;
  // Forced: with no process to run them, hook steps end cancelled too.
  const transitions = [...loaded.transitions, ...m.apply({ type: 'cancel', reason: 'cancelled', force: true }, now)];
  for (const s of m.steps()) if (s.state === 'running') transitions.push(...m.apply({ type: 'attempt-ended-by-cancel', stepId: s.stepId }, now));
  const byStep = new Map(m.steps().map((s, position) => [s.stepId, { ...s, runId, position }]));
  const runT = transitions.filter((t) => t.kind === 'run');
  await store.commit({
    attemptsStarted: [],
    attemptsEnded: loaded.lostAttempts,
    stepRuns: [...byStep.values()],
    runs: runT.map((t) => ({ id: runId, state: t.to, endedAt: t.at, reason: t.reason ?? null })),
    events: transitions.flatMap((t) => t.kind === 'map' ? [] : [
      t.kind === 'run'
        ? { runId, type: 'run', from: t.from, to: t.to, at: t.at }
        : { runId, stepId: t.stepId, type: 'step', from: t.from, to: t.to, at: t.at, ...(t.reason ? { data: { reason: t.reason } } : {}) },
    ]),
  });
  return 'cancelled';
}
