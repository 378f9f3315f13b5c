/**
 * @module core/rerun
 * Planning an operator's re-run of part of a run: which step runs go back to `pending` and
 * what their records become. Pure: the runtime writes the plan (runtime/control.ts) and an
 * engine then starts the run as it starts any queued run, deciding readiness from the DAG.
 *
 * This is the one place where a `succeeded` step run may run again within its run, and only
 * because an operator asked for it; crashes, retries and lost leases never come here
 * (DESIGN.md invariant 3; see `canRerunStep`).
 */
import type { WorkflowSpec } from '../workflow/index.js';
import type { StepRunRecord, StepTransition } from './machine.js';
import type { StepRunState } from './states.js';
import { canRerunStep } from './states.js';
import { parseMapItemId } from './map.js';
import { BatonError } from '../shared/index.js';

/**
 * What to re-run. `from`: that step and every step downstream of it (its dependents, their
 * dependents, ...), whatever their state; steps upstream keep their outputs. `failed`: the
 * steps that failed, and the steps downstream of them that did not succeed (skipped or
 * cancelled because of them). Either way, when a main step is re-run, every hook step
 * (`onFailure`, `finally`) is re-run too, after it. A re-run mapped step keeps its recorded
 * items: `from` runs them all again, `failed` only those that did not succeed.
 *
 * `on`: tags a fleet worker must have to run the re-run steps' attempts, on top of each
 * step's `runs-on` (e.g. `['docker']` after a failure on a worker that lacks it); recorded
 * on each re-run step run ({@link StepRunRecord.runsOn}). Only a fleet (PostgreSQL) honours
 * tags: an embedded engine runs every step itself, as it does with `runs-on`.
 */
export type RerunSelection = ({ from: string } | { failed: true }) & { on?: string[] };

/** Why a selection cannot be planned. */
export type RerunProblem = 'unknown-step' | 'nothing-to-rerun' | 'step-active';

/** Thrown when a re-run selection does not fit the run: a typed, local error. */
export class RerunSelectionError extends BatonError {
  constructor(
    readonly runId: string,
    readonly problem: RerunProblem,
    /** The step concerned (`unknown-step`, `step-active`). */
    readonly stepId?: string,
    /** For `step-active`: its state. */
    readonly stepState?: StepRunState,
  ) {
    super('rerun-selection',
      problem === 'unknown-step'
        ? `run ${runId} has no step '${stepId ?? ''}'`
        : problem === 'step-active'
          ? `step ${stepId ?? ''} of run ${runId} is ${stepState ?? 'active'}; only steps that ended can be re-run`
          : `run ${runId} has no failed step to re-run`,
    );
  }
}

/** A planned re-run. */
export interface RerunPlan {
  /** Every step run's record after the re-run, in definition order. */
  steps: StepRunRecord[];
  /** The selected step runs, in definition order: back to `pending` with a fresh retry budget. */
  selected: string[];
  /** Cancelled step runs outside the selection, reopened as `baton resume` reopens them. */
  reopened: string[];
  /** The moves to `pending`, for the event log. */
  transitions: StepTransition[];
}

/**
 * Plans a re-run of `selection` over a run's step records (one per step of `spec`).
 * Selected steps keep their attempt count (attempt numbers go on) with `retryBase` moved up
 * to it, so their retry budget starts over; their output, error and times are cleared.
 * Every other cancelled step is reopened too: a re-run lifts the run's cancellation.
 * @throws RerunSelectionError for an unknown `from` step, a `failed` selection with no failed
 *   step, or a step to reset that is still queued, running or retrying.
 */
export function planRerun(spec: WorkflowSpec, runId: string, records: readonly StepRunRecord[], selection: RerunSelection, now: number): RerunPlan {
  const byId = new Map(records.map((r) => [r.stepId, r]));
  const dependents = new Map<string, string[]>(spec.steps.map((s) => [s.id, []]));
  for (const s of spec.steps) for (const need of s.needs) dependents.get(need)?.push(s.id);
  const state = (id: string): StepRunState => byId.get(id)?.state ?? 'pending';

  const picked = new Set<string>();
  /** Adds `ids` and everything downstream of them that `keep` accepts. */
  const downstream = (ids: string[], keep: (id: string) => boolean): void => {
    const stack = [...ids];
    while (stack.length) {
      const id = stack.pop()!;
      if (picked.has(id) || !keep(id)) continue;
      picked.add(id);
      stack.push(...(dependents.get(id) ?? []));
    }
  };
  if ('from' in selection) {
    if (!dependents.has(selection.from)) throw new RerunSelectionError(runId, 'unknown-step', selection.from);
    downstream([selection.from], () => true);
  } else {
    const failed = spec.steps.filter((s) => state(s.id) === 'failed').map((s) => s.id);
    if (!failed.length) throw new RerunSelectionError(runId, 'nothing-to-rerun');
    for (const id of failed) picked.add(id);
    downstream(failed.flatMap((id) => dependents.get(id) ?? []), (id) => state(id) !== 'succeeded');
  }
  // Hooks answer how the main steps end: once any main step runs again, they run again after it.
  if (spec.steps.some((s) => s.hook === undefined && picked.has(s.id))) {
    for (const s of spec.steps) if (s.hook !== undefined) picked.add(s.id);
  }

  const steps: StepRunRecord[] = [];
  const selected: string[] = [];
  const reopened: string[] = [];
  const transitions: StepTransition[] = [];
  const items = records.flatMap((r) => {
    const id = parseMapItemId(r.stepId);
    return id && dependents.has(id.stepId) ? [{ id: r.stepId, parent: id.stepId, index: id.index }] : [];
  }).sort((a, b) => a.index - b.index);
  const fromAll = 'from' in selection;
  const on = [...new Set(selection.on ?? [])];
  for (const item of items) {
    if (picked.has(item.parent) && (fromAll || state(item.id) !== 'succeeded')) picked.add(item.id);
  }
  const order = [...spec.steps.map((s) => s.id), ...items.map((i) => i.id)];
  for (const id of order) {
    const s = { id };
    const rec = byId.get(s.id) ?? { stepId: s.id, state: 'pending', attempts: 0, lostAttempts: 0 };
    const isPicked = picked.has(s.id);
    if (!isPicked && rec.state !== 'cancelled') {
      steps.push(rec);
      continue;
    }
    if (!canRerunStep(rec.state)) throw new RerunSelectionError(runId, 'step-active', s.id, rec.state);
    let next: StepRunRecord;
    if (isPicked) {
      next = {
        stepId: s.id, state: 'pending', attempts: rec.attempts, lostAttempts: 0, retryBase: rec.attempts,
        ...(rec.item !== undefined ? { item: rec.item } : {}), ...(on.length ? { runsOn: on } : {}),
      };
      selected.push(s.id);
    } else {
      // Reopened like resume reopens it: its budget and history go on.
      next = { ...rec, state: 'pending' };
      delete next.reason;
      delete next.endedAt;
      reopened.push(s.id);
    }
    steps.push(next);
    if (rec.state !== 'pending') transitions.push({ kind: 'step', stepId: s.id, from: rec.state, to: 'pending', at: now });
  }
  return { steps, selected, reopened, transitions };
}
