/**
 * @module runtime/engine
 * The engine loop: claim -> execute -> report, for runs held by this process. This file
 * admits runs (start, resume, adopt), applies operator requests (cancel, pause) and keeps
 * leases alive by heartbeat; the commit discipline — every change committed before its
 * effect, by group commit — lives in ./engine-commit.ts.
 */
import type { RunMachine } from '../core/index.js';
import type { WorkflowSpec } from '../workflow/index.js';
import type { NewEvent } from '../store/index.js';
import type { EngineOptions } from './options.js';
import type { CompiledEngineOptions } from './options.js';
import { compileEngineOptions } from './options.js';
import type { ThrottleEvent, ThrottleStatus } from './throttle.js';
import { AdaptiveLimit } from './throttle.js';
import type { ActiveRun } from './attempts.js';
import { newActiveRun } from './attempts.js';
import { holderAlive } from './liveness.js';
import { ResumeError, loadRunForResume, newMachine } from './restore.js';
import { newRun, workflowRecord } from './records.js';
import { every } from './clock.js';
import { CommitLoop } from './engine-commit.js';
import type { StepWeight } from './path-weights.js';
import { PathWeights } from './path-weights.js';
import type { CommitListener, Engine, EngineListener, RunHandle, StartRunOptions } from './engine-types.js';
import { RunHeldError } from './engine-types.js';
import type { Trigger } from '../store/index.js';

export type { CommitListener, CommittedEnds, CommittedRun, Engine, EngineListener, FinishedRun, RunHandle, RunSummary, StartRunOptions } from './engine-types.js';
export { RunHeldError } from './engine-types.js';

/**
 * Creates an engine over a store: it holds the runs it starts or resumes and executes them
 * durably (DESIGN.md "Invariants"). Call `close()` when done: it stops its timers and lets go
 * of its runs, which stay resumable.
 * @throws RangeError when a limit (slots, lease, heartbeat…) is not positive.
 */
export function createEngine(options: EngineOptions): Engine {
  return new EngineLoop(compileEngineOptions(options));
}

/**
 * The {@link Engine} a process runs: admits runs, applies operator requests, keeps leases
 * alive by heartbeat; see ./engine-commit.ts for the commit discipline. Internal: callers
 * hold it as an `Engine`, so the commit loop's state is not part of the public API.
 */
export class EngineLoop extends CommitLoop implements Engine {
  /** Versions this engine saved: immutable, so saved once per process, not once per run. */
  private readonly savedVersions = new Set<string>();
  /** Median step durations by workflow: the critical path's weights. */
  private readonly pathWeights = new PathWeights(this.store);
  /** The adaptive slots; absent when the engine does not throttle. */
  private readonly adaptive: AdaptiveLimit | undefined;
  private readonly throttleListeners = new Set<(e: ThrottleEvent) => void>();

  constructor(options: CompiledEngineOptions) {
    super(options);
    if (options.throttle) {
      this.adaptive = new AdaptiveLimit(options.slots, options.throttle, options.clock, () => this.slots.running, (e) => {
        this.slots.setLimit(e.to);
        // A raised limit starts what waits; a lowered one only starts fewer from now on.
        if (e.to > e.from) this.scheduleFlush();
        for (const l of this.throttleListeners) {
          try {
            l(e);
          } catch {
            // a listener's failure must not stop the throttle
          }
        }
      });
      this.adaptive.start();
    }
  }

  throttle(): ThrottleStatus | undefined {
    return this.adaptive?.status();
  }

  onThrottle(listener: (e: ThrottleEvent) => void): () => void {
    this.throttleListeners.add(listener);
    return () => this.throttleListeners.delete(listener);
  }

  /** Subscribes to committed events. Returns the unsubscribe function. */
  onEvent(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Subscribes to what each commit ended: attempts with their rows, finished runs (what
   * traces are built from). While nobody listens the engine stages nothing for it.
   * Returns the unsubscribe function.
   */
  onCommitted(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /**
   * Registers the workflow version, creates a run and starts it. The run is created in the
   * commit that records its start and its first attempts (one commit, not two); resolves
   * once that commit is durable.
   * @throws the store's error when that commit failed: then nothing of the run was written
   *   and it does not run.
   */
  async startRun(spec: WorkflowSpec, version: string, opts: StartRunOptions = {}): Promise<RunHandle> {
    const now = this.options.clock.now();
    if (!this.savedVersions.has(version)) {
      await this.store.saveWorkflow(workflowRecord(spec, version, now));
      this.savedVersions.add(version);
    }
    const weight = await this.pathWeights.of(spec.name, now);
    if (this.fatal) throw this.fatal;
    const created = newRun(spec, version, { ...opts, trigger: opts.trigger ?? 'manual' }, now);
    const { record } = created;
    // Held from its first row: no other engine (a fleet worker adopting queued runs) can take it.
    Object.assign(record, { owner: this.owner.owner, ownerPid: this.owner.pid, ownerHost: this.owner.host, leaseExpiresAt: now + this.options.leaseMs });
    const committed = new Promise<void>((resolve, reject) => this.creating.set(record.id, { resolve, reject }));
    (this.batch.runsCreated ??= []).push(created);
    const machine = newMachine(spec, record.id, record.params, this.options);
    const run = this.adopt(machine, version, opts.concurrency ?? spec.concurrency, opts.priority ?? 0, record, weight);
    this.record(run, machine.apply({ type: 'start' }, now));
    this.scheduleFlush();
    await committed;
    return { id: record.id, result: run.done.promise, record };
  }

  /**
   * Starts a run that another process recorded as `queued` (a delayed run that came due, a
   * schedule tick). @throws RunHeldError when another process took it first; RunNotFoundError.
   */
  async startQueuedRun(runId: string, spec?: WorkflowSpec): Promise<RunHandle> {
    const now = this.options.clock.now();
    if (!(await this.store.acquireRun(runId, this.owner, now, this.options.leaseMs, holderAlive))) {
      throw new RunHeldError(runId, 'another process');
    }
    // Read after taking it: a cancel or another engine may have ended it since it was listed.
    const current = await this.store.getRun(runId);
    if (current?.state !== 'queued') {
      await this.store.releaseRun(runId, this.owner.owner);
      throw new ResumeError(runId, `run ${runId} is ${current?.state ?? 'gone'}, not queued; nothing to start`);
    }
    if (current.pausedAt !== undefined) {
      await this.store.releaseRun(runId, this.owner.owner);
      throw new ResumeError(runId, `run ${runId} is paused; it starts once unpaused ('baton resume ${runId}')`);
    }
    const loaded = await loadRunForResume(this.store, runId, this.options, now, spec);
    const weight = await this.pathWeights.of(loaded.machine.spec.name, now);
    const run = this.adopt(loaded.machine, loaded.record.version, loaded.record.concurrency ?? loaded.machine.spec.concurrency, loaded.record.priority, loaded.record, weight);
    this.record(run, loaded.machine.apply({ type: 'start' }, now));
    this.scheduleFlush();
    return { id: runId, result: run.done.promise };
  }

  /**
   * Continues an interrupted or cancelled run from its store records: succeeded steps stay
   * done, attempts whose holder died become `lost` and are retried.
   * @param spec - needed only when the workflow has inline function handlers (SDK).
   * @throws RunHeldError when another live process holds the run; RunNotFoundError.
   */
  async resumeRun(runId: string, spec?: WorkflowSpec): Promise<RunHandle> {
    const now = this.options.clock.now();
    const taken = await this.store.acquireRun(runId, this.owner, now, this.options.leaseMs, holderAlive);
    if (!taken) {
      const r = await this.store.getRun(runId);
      throw new RunHeldError(runId, `pid ${r?.ownerPid ?? '?'} on ${r?.ownerHost ?? '?'}`);
    }
    const loaded = await loadRunForResume(this.store, runId, this.options, now, spec, { fleet: this.dispatcher !== undefined });
    const weight = await this.pathWeights.of(loaded.machine.spec.name, now);
    const run = this.adopt(loaded.machine, loaded.record.version, loaded.record.concurrency ?? loaded.machine.spec.concurrency, loaded.record.priority, loaded.record, weight);
    // A pause outlives its holder: the run goes on paused where it stood.
    run.paused = loaded.record.pausedAt !== undefined;
    // Attempts still out with workers occupy their slots; they are published again (a no-op
    // once claimed) and their ends awaited after the next commit.
    for (const a of loaded.reattach) {
      this.slots.occupy(run, a.stepId);
      this.heldLaunches.push({ run, stepId: a.stepId, attempt: a });
    }
    // Steps queued before the interruption; those queued by the transitions below enqueue themselves.
    const requeued = new Set(loaded.transitions.flatMap((t) => (t.kind === 'step' && t.to === 'queued' ? [t.stepId] : [])));
    const wasQueued = loaded.machine.queuedSteps().filter((id) => !requeued.has(id));
    this.recordLost(run, loaded.lostAttempts, loaded.lostRows);
    for (const t of loaded.transitions) this.record(run, [t]);
    this.record(run, loaded.machine.apply({ type: 'resume' }, now));
    for (const { stepId, dueAt } of loaded.machine.retryingSteps()) this.armRetry(run, stepId, dueAt);
    for (const stepId of wasQueued) this.enqueue(run, stepId);
    this.scheduleFlush();
    return { id: runId, result: run.done.promise };
  }

  /**
   * Cancels a run held here: nothing new starts, running steps get SIGTERM / their
   * AbortSignal (`force`: SIGKILL at once). Hook steps (`onFailure`, `finally`) still run
   * after the main steps have ended; `force`, or a second call, stops them too.
   * Resolves when the request is recorded.
   */
  cancelRun(runId: string, opts: { force?: boolean } = {}): boolean {
    const run = this.runs.get(runId);
    if (!run) return false;
    const force = opts.force ?? false;
    this.record(run, run.machine.apply({ type: 'cancel', reason: 'cancelled', force }, this.options.clock.now()));
    this.attempts.abortAll(run, 'cancelled', force, true);
    this.scheduleFlush();
    return true;
  }

  /**
   * Re-reads a held run's operator requests from the store and applies them now rather than
   * at the next heartbeat: a pause (`pauseRun`) or unpause, and a cancel request. For a
   * process that holds the run and took the request itself (an HTTP API server).
   * @returns false when this engine does not hold the run.
   */
  async refresh(runId: string): Promise<boolean> {
    const run = this.runs.get(runId);
    if (!run) return false;
    const r = await this.store.getRun(runId);
    if (!r || !this.runs.has(runId)) return false;
    this.applyRequests(run, { cancelRequested: r.cancelRequestedAt !== undefined, paused: r.pausedAt !== undefined });
    return true;
  }

  /** Whether a run held here is paused (undefined when not held here). */
  isPaused(runId: string): boolean | undefined {
    return this.runs.get(runId)?.paused;
  }

  /** Runs held by this engine. */
  activeRunIds(): string[] {
    return [...this.runs.keys()];
  }

  /** Stops timers and releases held runs (they stay resumable). Running attempts are force-stopped. */
  async close(): Promise<void> {
    this.adaptive?.stop();
    this.heartbeat?.();
    this.heartbeat = undefined;
    this.breakers.close();
    for (const run of this.runs.values()) {
      // Fleet attempts are left to their workers: the next coordinator takes them over.
      if (!this.dispatcher) this.attempts.abortAll(run, 'cancelled', true);
      run.clearTimers();
      await this.store.releaseRun(run.id, this.owner.owner);
    }
    this.runs.clear();
    await this.dispatcher?.close();
    await this.shipper?.close();
    // After the force-stop above: a handler still in a thread is terminated with it.
    if (this.options.ownsHandlerPool) await this.options.handlerPool.close();
  }

  private adopt(machine: RunMachine, version: string, concurrency: number, priority: number, recorded: { trigger: Trigger; startedAt?: number; depth?: number }, weight: StepWeight): ActiveRun {
    const spec = machine.spec;
    this.slots.declarePools(spec.pools);
    // Fleet-wide, workers enforce the pool at claim time (the last declared limit wins).
    if (this.options.fleet) {
      for (const [name, limit] of Object.entries(spec.pools)) this.options.fleet.setPoolLimit(name, limit).catch((e: unknown) => this.storeFailed(e));
    }
    const run = newActiveRun(machine, version, concurrency, priority, this.options.agingMs, this.options.clock, recorded, weight);
    this.runs.set(run.id, run);
    if (spec.timeoutMs !== undefined) {
      run.addTimer(() => {
        this.record(run, machine.apply({ type: 'cancel', reason: 'run-timeout' }, this.options.clock.now()));
        this.attempts.abortAll(run, 'run-timeout', false, true);
        this.scheduleFlush();
      }, spec.timeoutMs);
    }
    this.heartbeat ??= every(this.options.clock, this.options.heartbeatMs, () => void this.beat());
    return run;
  }

  /** Renews leases and picks up cancel requests made by other processes (`baton cancel`). */
  private async beat(): Promise<void> {
    const now = this.options.clock.now();
    for (const run of [...this.runs.values()]) {
      try {
        const { held, cancelRequested, paused } = await this.store.renewRun(run.id, this.owner.owner, now, this.options.leaseMs);
        if (!held) {
          // Another process took the run over (our lease had expired): stop touching it.
          this.attempts.abortAll(run, 'cancelled', true);
          this.runs.delete(run.id);
          run.clearTimers();
          run.done.reject(new RunHeldError(run.id, 'another process (this one lost its lease)'));
        } else {
          this.applyRequests(run, { cancelRequested, paused });
        }
      } catch (e) {
        // The next beat tries again; storeFailed gives up once the lease could have lapsed.
        this.storeFailed(e);
      }
    }
  }

  /** Applies an operator's requests read from the store: cancel, pause, unpause. */
  private applyRequests(run: ActiveRun, r: { cancelRequested: boolean; paused: boolean }): void {
    if (r.cancelRequested && !run.machine.isEnding) this.cancelRun(run.id);
    if (r.paused === run.paused) return;
    run.paused = r.paused;
    // The event is already committed (by pauseRun / unpauseRun); listeners hear it is now in effect.
    const e: NewEvent = { runId: run.id, type: r.paused ? 'run-paused' : 'run-resumed', at: this.options.clock.now() };
    for (const l of this.listeners) l(e);
    if (r.paused) return;
    // Ready steps that waited go back to the queue, where dispatch weighs them again.
    this.slots.requeueParked(run);
    this.scheduleFlush();
  }

}
