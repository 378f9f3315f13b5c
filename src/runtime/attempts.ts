/**
 * @module runtime/attempts
 * Preparing, launching and ending attempts for the engine: evaluates a step's `env`,
 * `with` and `cwd`, arms its timeout, calls the executor, and turns the result into
 * machine events. The engine decides when; this file decides how.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Failure, RunMachine, RunTransition, Transition } from '../core/index.js';
import { parseMapItemId } from '../core/index.js';
import type { AbortCause, AttemptResult, BatchHooks, BatchProgress, HeldStepHooks } from '../executors/index.js';
import { AttemptLog, execute, ioFailure } from '../executors/index.js';
import { errorMessage } from '../shared/index.js';
import { fileNamePart } from '../shared/index.js';
import type { StepSpec } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import { interpolate, interpolateValue, resolveStepCwd } from '../workflow/index.js';
import type { AttemptEnd, AttemptRecord, FleetAttemptInput, Trigger } from '../store/index.js';
import type { CompiledEngineOptions } from './options.js';
import type { FleetDispatcher } from './fleet-dispatch.js';
import type { LogShipper, Shipment } from './log-shipper.js';
import type { FleetTask } from './fleet-task.js';
import { taskToJson } from './fleet-task.js';
import type { RemoteEnd } from './fleet-dispatch.js';
import { runsRemotely } from './restore.js';
import { batchHooks } from './batch.js';
import type { ChildRunHost } from './child-runs.js';
import { childRunHooks } from './child-runs.js';
import { waitHooks } from './signals.js';
import { ReadyQueue } from './ready-queue.js';
import { remainingPaths } from './critical-path.js';
import type { StepWeight } from './path-weights.js';
import { NOMINAL_STEP_MS } from './path-weights.js';
import type { RunSummary } from './engine-types.js';
import type { CancelTimer, Clock } from './clock.js';

/** An attempt in flight. */
export interface AttemptHandle {
  attemptId: string;
  graceful: AbortController;
  force: AbortController;
  /** Published to the fleet: a worker runs it, and cancelling asks the worker. */
  remote?: boolean;
}

/** A run held by the engine, with its in-memory scheduling state. */
export interface ActiveRun {
  id: string;
  /** The workflow version it runs. */
  version: string;
  machine: RunMachine;
  concurrency: number;
  priority: number;
  /** Paused by an operator (`pauseRun`): its ready steps wait in `parked`, nothing new starts. */
  paused: boolean;
  /** Attempts of this run in flight. */
  running: number;
  /** Ready items waiting for this run's concurrency, in queue order. */
  parked: ReadyQueue<{ run: ActiveRun; stepId: string }>;
  positions: Map<string, number>;
  /** Each step's remaining path to the end of the DAG (ms, by history: ./path-weights.ts), computed once when held: the queue's tie-breaker. */
  ranks: Map<string, number>;
  handles: Map<string, AttemptHandle>;
  done: { promise: Promise<RunSummary>; resolve: (s: RunSummary) => void; reject: (e: Error) => void };
  /** Set when the run reached a final state; the engine finishes it after the commit. */
  ended?: RunTransition;
  /** What created it, as recorded. */
  trigger: Trigger;
  /** Parents above it (a child run of a sub-workflow step is 1 deeper than its parent); 0 for most. */
  depth: number;
  /** Its recorded start (ms since the epoch): the stored one, else its first `running` transition (the store keeps the first too). */
  startedAt?: number;
  /** Calls `fn` in `ms` on the engine's clock (any length), unless `clearTimers` comes first. */
  addTimer(fn: () => void, ms: number): void;
  /** Cancels every timer `addTimer` set. */
  clearTimers(): void;
}

/** The in-memory state of a run this engine holds. */
export function newActiveRun(
  machine: RunMachine, version: string, concurrency: number, priority: number, agingMs: number, clock: Clock,
  recorded: { trigger: Trigger; startedAt?: number; depth?: number },
  weight: StepWeight = () => NOMINAL_STEP_MS,
): ActiveRun {
  const timers = new Set<CancelTimer>();
  let resolve!: (s: RunSummary) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<RunSummary>((res, rej) => ((resolve = res), (reject = rej)));
  // A caller may drop a run's handle (a detached start, a test); the run ending in an error
  // (its lease lost to another process, the store gone) must not then crash the process as an
  // unhandled rejection. Whoever awaits `result` still gets the error.
  promise.catch(() => undefined);
  return {
    id: machine.runId,
    version,
    machine,
    concurrency,
    priority,
    paused: false,
    running: 0,
    parked: new ReadyQueue(agingMs),
    positions: new Map(machine.spec.steps.map((s, i) => [s.id, i])),
    ranks: remainingPaths(machine.spec.steps, weight),
    handles: new Map(),
    done: { promise, resolve, reject },
    trigger: recorded.trigger,
    depth: recorded.depth ?? 0,
    ...(recorded.startedAt !== undefined ? { startedAt: recorded.startedAt } : {}),
    addTimer(fn, ms) {
      const cancel = clock.setTimer(ms, () => (timers.delete(cancel), fn()));
      timers.add(cancel);
    },
    clearTimers() {
      for (const cancel of timers) cancel();
      timers.clear();
    },
  };
}

/** An attempt whose row is staged; it starts after the commit. */
export interface Launch {
  run: ActiveRun;
  stepId: string;
  attempt: AttemptRecord;
  /** Fleet mode: its task was staged with its row, so the commit published it. */
  published?: boolean;
}

/** Callbacks into the engine. */
export interface AttemptEvents {
  started(run: ActiveRun, stepId: string, attempt: AttemptRecord): void;
  /** Fleet mode: the task to write with the attempt's row, in the same commit. */
  published(row: FleetAttemptInput): void;
  pid(attemptId: string, pid: number): void;
  /**
   * `applied`: a fleet attempt whose stored end this applies (marked in the same commit).
   * `record`: the attempt's row as it stands once this end is committed (the stored end of
   * an applied attempt, else the row with `end` written on it).
   */
  ended(run: ActiveRun, stepId: string, end: AttemptEnd, transitions: Transition[], applied: boolean, record: AttemptRecord & { endedAt: number }): void;
  /** A batch step saved group results; `progress` is the counts so far. */
  batch(run: ActiveRun, stepId: string, attemptId: string, progress: BatchProgress): void;
}

/** Runs attempts for the engine. */
export class AttemptRunner {
  private readonly madeDirs = new Set<string>();

  constructor(
    private readonly o: CompiledEngineOptions,
    private readonly events: AttemptEvents,
    /** Set in fleet mode: attempts go to workers instead of running here. */
    private readonly dispatcher?: FleetDispatcher,
    /** Set in fleet mode on a store that keeps logs: ships the logs of the attempts run here. */
    private readonly shipper?: LogShipper,
    /** Starts and holds the child runs of sub-workflow steps. */
    private readonly children?: ChildRunHost,
  ) {}

  /** Stages the start of the next attempt of a queued step (machine + row), before commit. */
  prepare(run: ActiveRun, stepId: string, now: number, worker: string): Launch {
    const number = run.machine.step(stepId).attempts + 1;
    const id = `${run.id}.${stepId}.${number}`;
    const attempt: AttemptRecord = {
      id, runId: run.id, stepId, number, state: 'running', startedAt: now, worker,
      // Bounded and encoded (step ids are user text); short plain ids keep their old names.
      logPath: join(this.o.dataDir, 'logs', fileNamePart(run.id), `${fileNamePart(stepId)}.${number}.log`),
    };
    this.events.started(run, stepId, attempt);
    const spec = run.machine.stepSpec(stepId);
    if (this.dispatcher && runsRemotely(spec)) {
      // Published in the commit that writes the row: a worker can never see a row without its
      // task, nor a task without its row. An expression that fails here fails in launch.
      let values: Evaluated | undefined;
      try {
        values = evaluate(run.machine, spec, attempt);
      } catch {
        values = undefined;
      }
      if (values) {
        this.events.published(fleetRow(run, stepId, attempt, values, this.o));
        return { run, stepId, attempt, published: true };
      }
    }
    return { run, stepId, attempt };
  }

  /** Starts a committed attempt. */
  launch({ run, stepId, attempt, published }: Launch): void {
    const m = run.machine;
    const spec = m.stepSpec(stepId);
    const handle: AttemptHandle = { attemptId: attempt.id, graceful: new AbortController(), force: new AbortController() };
    run.handles.set(stepId, handle);
    if (m.isStopping(stepId)) handle.graceful.abort('cancelled' satisfies AbortCause);
    // The log fails the attempt, never the process: the step is stopped and the failure kept.
    const log = new AttemptLog(attempt.logPath!, this.o.logCapBytes, () => {
      if (!handle.graceful.signal.aborted) handle.graceful.abort('failed' satisfies AbortCause);
    });
    // Measured from this attempt's own start, not its row's: when a CPU-bound handler held
    // the event loop, the attempts launched after it in the same turn start later.
    const clock = this.o.clock;
    const startedAt = clock.now();
    const timeoutMs = spec.timeoutMs;
    let timer: CancelTimer | undefined;
    if (timeoutMs !== undefined) timer = clock.setTimer(timeoutMs, () => handle.graceful.abort('timeout' satisfies AbortCause));
    let shipment: Shipment | undefined = undefined;
    const end = (result: AttemptResult): void => {
      timer?.();
      log.close();
      // Flushed after the end: a reader on another node may see the last bytes a moment after
      // the attempt reads ended (a fleet worker sends them with its completion instead).
      void shipment?.close();
      run.handles.delete(stepId);
      let cause = handle.graceful.signal.reason as AbortCause | undefined;
      // A result that comes after the deadline is discarded (README "Handlers"): a handler
      // that blocked the event loop past its timeout returns before its timer can run.
      if (cause === undefined && timeoutMs !== undefined && clock.now() - startedAt >= timeoutMs) cause = 'timeout';
      if (log.failure !== undefined && (cause === undefined || cause === 'failed')) {
        result = { ...usageOf(result), ok: false, failure: log.failure };
        cause = undefined;
      }
      this.end(run, stepId, attempt, result, cause);
    };
    const remoteEnd = (e: RemoteEnd): void => {
      log.close();
      run.handles.delete(stepId);
      if (e.kind === 'lost') this.lost(run, stepId, attempt, e.stored);
      else this.end(run, stepId, attempt, e.result, handle.graceful.signal.reason as AbortCause | undefined, e.local === true ? undefined : e.stored);
    };
    if (published && this.dispatcher) {
      timer?.(); // the worker enforces the step's timeout
      handle.remote = true;
      this.dispatcher.expect(attempt.id, run.id, stepId, remoteEnd);
      if (m.isStopping(stepId)) void this.dispatcher.cancel([attempt.id]);
      return;
    }
    let env: Record<string, string>;
    let inputs: JsonValue;
    let cwd: string;
    let batch: BatchHooks | undefined;
    try {
      ({ env, inputs, cwd } = evaluate(m, spec, attempt));
      if (spec.batch !== undefined) {
        batch = batchHooks(spec.batch, m.scope, this.o.store, run.id, stepId, this.o, (p) => this.events.batch(run, stepId, attempt.id, p));
      }
    } catch (e) {
      end({ ok: false, failure: { type: 'expression', message: errorMessage(e), retryable: false } });
      return;
    }
    // Fleet mode: workers run it. Batch steps and inline (SDK) handlers stay here: the first
    // needs this engine's store for its groups, the second cannot travel.
    if (this.dispatcher && runsRemotely(spec)) {
      // Taken over on resume: published again (a no-op once a worker claimed it).
      timer?.();
      handle.remote = true;
      this.dispatcher.submit(fleetRow(run, stepId, attempt, { env, inputs, cwd }, this.o), remoteEnd);
      if (m.isStopping(stepId)) void this.dispatcher.cancel([attempt.id]);
      return;
    }
    // Runs here although a fleet is there (batch steps, inline handlers): shipped like a
    // worker's log, so `baton logs` and the dashboard read it from any node.
    shipment = this.shipper?.open(run.id, attempt.id);
    if (shipment) log.shipTo(shipment);
    const outDir = join(this.o.dataDir, 'outputs', fileNamePart(run.id));
    // Batch steps keep group item lists and results there too, whatever their action.
    if ((spec.action.kind === 'run' || batch) && !this.madeDirs.has(outDir)) {
      try {
        mkdirSync(outDir, { recursive: true });
      } catch (e) {
        end({ ok: false, failure: ioFailure(e, "the attempt's output folder", outDir) });
        return;
      }
      this.madeDirs.add(outDir);
    }
    execute(
      {
        runId: run.id, workflow: m.spec.name, stepId, attemptId: attempt.id, attempt: attempt.number, step: spec,
        baseDir: m.spec.baseDir, cwd, env, params: m.scope.params, inputs, outputs: () => m.upstreamOutputs(stepId), ...mapOf(m, stepId),
        signal: handle.graceful.signal, force: handle.force.signal, log, outputPath: join(outDir, `${fileNamePart(attempt.id)}.json`),
        onSpawn: (pid) => this.events.pid(attempt.id, pid), ...(batch ? { batch } : {}),
        ...(this.children ? heldHooks(this.children, run, stepId, spec, m.spec.baseDir, inputs) : {}),
        ...(m.spec.secrets ? { secrets: m.spec.secrets } : {}),
      },
      { graceMs: this.o.graceMs, maxOutputBytes: this.o.maxOutputBytes, handlerPool: this.o.handlerPool },
    ).then(end, (e: unknown) => end({ ok: false, failure: { type: 'internal', message: errorMessage(e), retryable: true } }));
  }

  /**
   * Aborts every attempt of a run: gracefully, or at once with `force`. `stopping`: only
   * those the run's ending stops (a cancel leaves hook steps running, see `isStopping`).
   */
  abortAll(run: ActiveRun, cause: AbortCause, force: boolean, stopping = false): void {
    const remote: string[] = [];
    for (const [stepId, h] of run.handles) {
      if (stopping && !run.machine.isStopping(stepId)) continue;
      if (!h.graceful.signal.aborted) h.graceful.abort(cause);
      if (force) h.force.abort(cause);
      if (h.remote) remote.push(h.attemptId);
    }
    if (remote.length) void this.dispatcher?.cancel(remote);
  }

  /** A fleet attempt's lease expired (its worker died or stalled): the machine retries it. */
  private lost(run: ActiveRun, stepId: string, attempt: AttemptRecord, stored: AttemptRecord): void {
    const now = this.o.clock.now();
    const t = run.machine.apply({ type: 'attempt-lost', stepId }, now);
    const error: Failure = { type: 'lost', message: 'the worker running it stopped renewing its lease', retryable: true };
    const end: AttemptEnd = { id: attempt.id, state: 'lost', endedAt: now, error };
    this.events.ended(run, stepId, end, t, true, { ...attempt, ...end, ...stored, endedAt: stored.endedAt ?? now });
  }

  /**
   * Turns a result into the machine's events and the attempt's end. `stored`: a fleet
   * attempt's row as its worker (or the reaper) ended it; that end is applied, not written.
   */
  private end(run: ActiveRun, stepId: string, attempt: AttemptRecord, result: AttemptResult, cause: AbortCause | undefined, stored?: AttemptRecord): void {
    const now = this.o.clock.now();
    const applied = stored !== undefined;
    const ended = (end: AttemptEnd, t: Transition[]): void =>
      this.events.ended(run, stepId, end, t, applied, stored ? { ...attempt, ...stored, endedAt: stored.endedAt ?? end.endedAt } : { ...attempt, ...end });
    const usage = usageOf(result);
    const m = run.machine;
    // The abort cause decides first: a step that traps SIGTERM and exits 0 after its timeout
    // or a cancel did not succeed (a timeout is a failure, DESIGN.md glossary).
    if (cause === 'timeout') {
      const ms = m.stepSpec(stepId).timeoutMs ?? 0;
      const failure: Failure = { type: 'timeout', message: `timed out after ${formatMs(ms)}`, retryable: true };
      const t = m.apply({ type: 'attempt-failed', stepId, failure, reason: 'timeout' }, now, this.o.random());
      ended({ id: attempt.id, state: 'failed', endedAt: now, error: failure, ...usage }, t);
      return;
    }
    if (cause !== undefined || (m.isStopping(stepId) && !result.ok)) {
      const failure: Failure = cause === 'run-timeout'
        ? { type: 'timeout', message: 'the run timed out', retryable: false }
        : { type: 'cancelled', message: 'cancelled', retryable: false };
      const t = m.apply({ type: 'attempt-ended-by-cancel', stepId }, now);
      ended({ id: attempt.id, state: cause === 'run-timeout' ? 'failed' : 'cancelled', endedAt: now, error: failure, ...usage }, t);
      return;
    }
    if (result.ok) {
      const t = m.apply({ type: 'attempt-succeeded', stepId, output: result.output }, now);
      ended({ id: attempt.id, state: 'succeeded', endedAt: now, ...usage }, t);
      return;
    }
    // A worker enforces fleet timeouts and reports them as failures of type `timeout`.
    const type = result.failure.type;
    const reason = type === 'exit-code' ? ('exit-code' as const) : type === 'timeout' ? ('timeout' as const) : ('error' as const);
    const t = m.apply({ type: 'attempt-failed', stepId, failure: result.failure, reason }, now, this.o.random());
    ended({ id: attempt.id, state: 'failed', endedAt: now, error: result.failure, ...usage }, t);
  }
}

/** The exit code and resource figures of a result, without its outcome. */
function usageOf(result: AttemptResult): Pick<AttemptResult, 'exitCode' | 'peakRssBytes' | 'cpuMs'> {
  return {
    ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    ...(result.peakRssBytes !== undefined ? { peakRssBytes: result.peakRssBytes } : {}),
    ...(result.cpuMs !== undefined ? { cpuMs: result.cpuMs } : {}),
  };
}

/** `1500` -> `1.5s`, `300000` -> `5m`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(1)}m`;
  return `${+(ms / 3_600_000).toFixed(1)}h`;
}

/** A step's values for one attempt, expressions evaluated. */
interface Evaluated {
  env: Record<string, string>;
  inputs: JsonValue;
  cwd: string;
}

/** Evaluates `env`, `with` and `cwd` for one attempt. @throws ExpressionError */
function evaluate(m: RunMachine, spec: StepSpec, attempt: AttemptRecord): Evaluated {
  m.scope.run.attempt = attempt.number;
  const scope = m.scopeFor(attempt.stepId);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.spec.env)) env[k] = interpolate(v, m.scope);
  for (const [k, v] of Object.entries(spec.env)) env[k] = interpolate(v, scope);
  // Authors may not set BATON_* (validation), so these cannot be overridden by a step's env.
  env.BATON_RUN_STATE = m.scope.run.state ?? 'running';
  env.BATON_FAILED_STEPS = JSON.stringify(m.scope.run.failedSteps ?? []);
  // The logical time of a scheduled or backfilled run, so a step works on its tick's data.
  if (m.scope.run.tickAt !== undefined) env.BATON_TICK_AT = m.scope.run.tickAt;
  const inputs = spec.action.kind === 'uses' || spec.action.kind === 'workflow' ? interpolateValue(spec.action.with, scope) : null;
  const dir = spec.cwd === undefined ? m.spec.baseDir : interpolate(spec.cwd, scope);
  return { env, inputs, cwd: resolveStepCwd(m.spec.baseDir, spec, dir) };
}

/** `item` and `map.index` of an item of a mapped step, for the executor; nothing for any other step run. */
function mapOf(m: RunMachine, stepId: string): { map?: { item: JsonValue; index: number } } {
  const s = m.scopeFor(stepId);
  return s.map === undefined ? {} : { map: { item: s.item ?? null, index: s.map.index } };
}

/** The fleet row of an attempt: its task and what claiming orders and filters by. */
function fleetRow(
  run: ActiveRun, stepId: string, attempt: AttemptRecord, v: Evaluated, o: Pick<CompiledEngineOptions, 'agingMs' | 'queueTimeoutMs'>,
): FleetAttemptInput {
  const m = run.machine;
  const spec = m.stepSpec(stepId);
  const task: FleetTask = {
    workflow: m.spec.name, version: run.version, baseDir: m.spec.baseDir, step: spec, runId: run.id, stepId,
    attemptId: attempt.id, attempt: attempt.number, cwd: v.cwd, env: v.env, params: m.scope.params, inputs: v.inputs,
    outputs: m.upstreamOutputs(stepId), logPath: attempt.logPath!, ...mapOf(m, stepId), ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
    // Names and sources only: the worker reads the values from its own environment.
    ...(m.spec.secrets ? { secrets: m.spec.secrets } : {}),
  };
  const rec = m.step(stepId);
  const runsOn = fleetRunsOn(m, spec.runsOn, stepId);
  return {
    id: attempt.id, runId: run.id, stepId, number: attempt.number, startedAt: attempt.startedAt, logPath: attempt.logPath!,
    priority: spec.priority + run.priority, agingMs: o.agingMs, queueTimeoutMs: spec.queueTimeoutMs ?? o.queueTimeoutMs, task: taskToJson(task),
    ...(rec.queuedAt !== undefined ? { queuedAt: rec.queuedAt } : {}),
    ...(spec.pool !== undefined ? { pool: spec.pool } : {}),
    ...(runsOn.length ? { runsOn } : {}),
    ...(spec.breaker ? { breaker: spec.breaker.key } : {}),
  };
}

/** The hooks of a step this engine executes itself (a sub-workflow, a waiting step); none for the others. */
function heldHooks(host: ChildRunHost, run: ActiveRun, stepId: string, spec: StepSpec, baseDir: string, inputs: JsonValue): { held?: HeldStepHooks } {
  const kind = spec.action.kind;
  if (kind === 'workflow') return { held: childRunHooks(host, { runId: run.id, stepId, depth: run.depth, step: spec, baseDir, params: inputs }) };
  if (kind === 'wait' || kind === 'approval') return { held: waitHooks(host, run.id, spec) };
  return {};
}

/**
 * The tags a worker needs for a step run's attempt: the step's `runs-on` plus those an
 * operator's re-run asked for (`baton retry --on`), recorded on the step run or, for an item
 * of a mapped step, on its mapped step (items a re-run expands anew carry none of their own).
 */
function fleetRunsOn(m: RunMachine, own: readonly string[] | undefined, stepId: string): string[] {
  const parent = parseMapItemId(stepId)?.stepId;
  return [...new Set([...(own ?? []), ...(m.step(stepId).runsOn ?? []), ...(parent !== undefined ? m.step(parent).runsOn ?? [] : [])])];
}
