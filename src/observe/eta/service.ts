/**
 * @module observe/eta/service
 * The ETA of runs as the API, the CLI and alerting ask for it: reads a run, its step runs
 * and its workflow version through the Store, the workflow's duration history through
 * {@link DurationHistory} (cached a short while), and hands them to the pure
 * {@link estimateEta}. Results are cached per run under a change marker built from the
 * run's and its step runs' states (so a transition recomputes, at O(steps) read cost plus
 * O(steps × draws) compute), and recomputed anyway after {@link ETA_MAX_AGE_MS} or once
 * the predicted p50 has passed, since a running step's elapsed time moves the estimate.
 */
import { isRunDone, parseMapItemId } from '../../core/index.js';
import type { RunRecord, Store, StoredStepRun } from '../../store/index.js';
import { RunNotFoundError } from '../../store/index.js';
import type { WorkflowSpec } from '../../workflow/index.js';
import { decodeDefinition, runDeadline } from '../../workflow/index.js';
import type { EtaStep, RunEta } from './estimate.js';
import { estimateEta, UNKNOWN_ETA } from './estimate.js';
import type { DurationHistoryOptions } from './history.js';
import { DurationHistory } from './history.js';

/** How long a cached ETA of an unchanged run is served, ms. */
export const ETA_MAX_AGE_MS = 5_000;
/** Slots of an engine when the caller does not say (the engine's own default). */
export const DEFAULT_ETA_SLOTS = 256;
/** Runs whose ETA is cached at once; past it the cache starts over. */
const MAX_CACHED_RUNS = 10_000;
/** Workflow versions decoded and kept at once. */
const MAX_CACHED_SPECS = 256;

/** Options of {@link createEtaService}. */
export interface EtaServiceOptions {
  /** Where runs, step runs, workflow versions and the history are read. */
  store: Store;
  /** Now, ms since the epoch: a function or an engine `Clock`. @default Date.now */
  clock?: (() => number) | { now(): number };
  /** Steps the engine runs at once (its `slots`): bounds a run's parallelism. @default DEFAULT_ETA_SLOTS */
  slots?: number;
  /** How much history is read and how long it is reused. */
  history?: DurationHistoryOptions;
  /** How long an unchanged run's ETA is reused, ms. @default ETA_MAX_AGE_MS */
  maxAgeMs?: number;
}

/** ETAs of runs, cached (see the module comment). Every method rejects with the store's error when it fails. */
export interface EtaService {
  /**
   * The ETA of one run (a full id): null figures for a run that has ended, or one of
   * whose workflow nothing is known. @throws RunNotFoundError (rejects) for an unknown id
   */
  forRun(runId: string): Promise<RunEta>;
  /** The ETAs of several runs (full ids), by id; unknown ids are left out. */
  forRuns(runIds: readonly string[]): Promise<Map<string, RunEta>>;
  /** The ETA of a run already read (its step runs too, when the caller has them). */
  ofRun(run: RunRecord, steps?: readonly StoredStepRun[]): Promise<RunEta>;
  /** Forgets cached history (of one workflow, or all): the next ETA reads it again. */
  invalidate(workflow?: string): void;
}

/**
 * Creates an {@link EtaService}.
 * @example
 * const etas = createEtaService({ store, clock: Date.now });
 * const { p50, p90, basis } = await etas.forRun(run.id);
 */
export function createEtaService(o: EtaServiceOptions): EtaService {
  const { store } = o;
  const clock = o.clock;
  const now = clock === undefined ? Date.now : typeof clock === 'function' ? clock : () => clock.now();
  const slots = Math.max(1, o.slots ?? DEFAULT_ETA_SLOTS);
  const maxAgeMs = o.maxAgeMs ?? ETA_MAX_AGE_MS;
  const history = new DurationHistory(store, o.history);
  const cache = new Map<string, { marker: string; at: number; eta: RunEta }>();
  const specs = new Map<string, WorkflowSpec | null>();

  const specOf = async (version: string): Promise<WorkflowSpec | null> => {
    const known = specs.get(version);
    if (known !== undefined) return known;
    const w = await store.getWorkflow(version);
    let spec: WorkflowSpec | null = null;
    try {
      if (w) spec = decodeDefinition(w);
    } catch {
      spec = null; // a definition this build cannot read: nothing to say about its steps
    }
    if (specs.size >= MAX_CACHED_SPECS) specs.clear();
    specs.set(version, spec);
    return spec;
  };

  const ofRun = async (run: RunRecord, given?: readonly StoredStepRun[]): Promise<RunEta> => {
    if (isRunDone(run.state)) {
      cache.delete(run.id);
      return UNKNOWN_ETA;
    }
    const steps = given ?? await store.getStepRuns(run.id);
    const t = now();
    const marker = markerOf(run, steps);
    const hit = cache.get(run.id);
    if (hit && hit.marker === marker && t - hit.at < maxAgeMs && t >= hit.at && (hit.eta.p50 === null || hit.eta.p50 > t)) return hit.eta;
    const spec = await specOf(run.version);
    if (!spec) return UNKNOWN_ETA;
    const h = await history.of(run.workflow, t);
    // A run not due yet cannot start before it is.
    const start = run.startedAt === undefined && run.dueAt !== undefined ? Math.max(t, run.dueAt) : t;
    const eta = estimateEta({
      steps: etaSteps(spec, steps),
      stepDurations: h.steps,
      runDurations: h.runs,
      now: start,
      ...(run.startedAt !== undefined ? { runStartedAt: run.startedAt } : {}),
      parallelism: Math.min(slots, Math.max(1, run.concurrency ?? spec.concurrency)),
      pools: spec.pools,
      seed: run.id,
    });
    const deadline = runDeadline(spec, run);
    const withDeadline = deadline === undefined ? eta : { ...eta, deadline };
    if (cache.size >= MAX_CACHED_RUNS) cache.clear();
    cache.set(run.id, { marker, at: t, eta: withDeadline });
    return withDeadline;
  };

  return {
    ofRun,
    async forRun(runId) {
      const run = await store.getRun(runId);
      if (!run) throw new RunNotFoundError(runId);
      return ofRun(run);
    },
    async forRuns(runIds) {
      const out = new Map<string, RunEta>();
      for (const id of runIds) {
        const run = await store.getRun(id);
        if (run) out.set(id, await ofRun(run));
      }
      return out;
    },
    invalidate: (workflow) => history.invalidate(workflow),
  };
}

/** What changes when the run makes a transition: its state, and each step run's state, attempt and start. */
function markerOf(run: RunRecord, steps: readonly StoredStepRun[]): string {
  let m = `${run.state}:${run.startedAt ?? ''}:${run.pausedAt ?? ''}`;
  for (const s of steps) m += `|${s.state}:${s.attempts}:${s.startedAt ?? ''}:${s.dueAt ?? ''}`;
  return m;
}

/**
 * The run's steps as the estimate sees them: the definition's DAG with each step run's
 * state. Items of a mapped step are left out (the mapped step's own step run spans them);
 * hook steps wait for every main step, as the engine has them, and an `onFailure` hook is
 * left out while it has not started.
 */
export function etaSteps(spec: WorkflowSpec, steps: readonly StoredStepRun[]): EtaStep[] {
  const byId = new Map(steps.filter((s) => parseMapItemId(s.stepId) === undefined).map((s) => [s.stepId, s]));
  const main = spec.steps.filter((s) => s.hook === undefined).map((s) => s.id);
  return spec.steps.flatMap((st): EtaStep[] => {
    const sr = byId.get(st.id);
    if (!sr) return [];
    const e: EtaStep = { id: st.id, needs: st.hook === undefined ? st.needs : main, state: sr.state };
    if (st.pool !== undefined) e.pool = st.pool;
    if (st.priority !== 0) e.priority = st.priority;
    if (sr.startedAt !== undefined) e.startedAt = sr.startedAt;
    if (sr.dueAt !== undefined) e.dueAt = sr.dueAt;
    if (st.hook === 'onFailure') e.onlyOnFailure = true;
    return [e];
  });
}
