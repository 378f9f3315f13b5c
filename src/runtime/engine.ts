/**
 * @module runtime/engine
 * The engine loop: claim -> execute -> report, for runs held by this process.
 *
 * Write-ahead by group commit: machine transitions and attempt starts accumulate in one
 * batch; a flush (one `setImmediate` after the first change) commits the batch in one
 * transaction, and only then are the new attempts started and listeners told. So a process
 * never starts before its attempt row exists, and dependents never start before the result
 * they depend on is durable, while thousands of transitions share one commit.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { RunMachine, Transition } from '../core/index.js';
import type { WorkflowSpec } from '../workflow/index.js';
import type { AttemptRecord, Batch, NewEvent, RunOwner, RunRecord, Store, StoredStepRun } from '../store/index.js';
import { Slots } from './slots.js';
import type { CompiledEngineOptions, EngineOptions } from './options.js';
import { compileEngineOptions } from './options.js';
import type { ActiveRun, Launch } from './attempts.js';
import { newActiveRun } from './attempts.js';
import { emptyBatch, isEmpty, mergeBatches, stepEvent, withoutRuns } from './batching.js';
import { FleetDispatcher } from './fleet-dispatch.js';
import { AttemptRunner } from './attempts.js';
import { progressData } from './batch.js';
import { isOwnerDead } from './liveness.js';
import { ResumeError, loadRunForResume, newMachine } from './restore.js';
import { newRun, workflowRecord } from './records.js';
import type { NewRunOptions } from './records.js';
import { BatonError, coerceError } from '../shared/errors.js';
import { StoreDiskFullError, isDiskFull } from './store-failure.js';
import type { CancelTimer } from './clock.js';
import { every } from './clock.js';

/** A run's end, as `RunHandle.result` reports it. */
export interface RunSummary {
  id: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  reason?: string;
}

/** A run held by this engine. */
export interface RunHandle {
  id: string;
  /** Settles when the run ends; rejects only if the store fails. */
  result: Promise<RunSummary>;
  /** The run as created, for runs this engine created (`startRun`). */
  record?: RunRecord;
}

/** Options for a run started in this engine. */
export type StartRunOptions = Omit<NewRunOptions, 'dueAt' | 'schedule'>;

/** Listener of committed events (they are durable when a listener sees them). */
export type EngineListener = (e: NewEvent) => void;

/** Thrown when a run is held by another live process. */
export class RunHeldError extends BatonError {
  constructor(
    readonly runId: string,
    readonly holder: string,
  ) {
    super('run-held', `run ${runId} is being executed by ${holder}; stop it there or wait for it, or 'baton cancel ${runId}'`);
  }
}

/** Creates an engine over a store. */
export function createEngine(options: EngineOptions): Engine {
  return new Engine(compileEngineOptions(options));
}

/** Executes runs durably; see the module comment for the commit discipline. */
export class Engine {
  readonly owner: RunOwner;
  private readonly store: Store;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly slots: Slots;
  private readonly listeners = new Set<EngineListener>();
  /** Versions this engine saved: immutable, so saved once per process, not once per run. */
  private readonly savedVersions = new Set<string>();
  private readonly attempts: AttemptRunner;
  private batch = emptyBatch();
  private stepRows = new Map<string, StoredStepRun>();
  private flushScheduled = false;
  private flushing = false;
  private flushAgain = false;
  /** Stops the heartbeat; set while this engine holds runs. */
  private heartbeat: CancelTimer | undefined;
  private fatal: Error | undefined;
  /** Since when the store has been failing (ms), while commits are retried. */
  private outageSince: number | undefined;
  /** Attempts whose rows wait in an uncommitted batch: they start once it commits. */
  private heldLaunches: Launch[] = [];
  /** Fleet mode: publishes attempts to workers and brings back their ends. */
  private readonly dispatcher: FleetDispatcher | undefined;
  /** Runs `startRun` staged for creation in an uncommitted batch, with their creators' answers. */
  private readonly creating = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(readonly options: CompiledEngineOptions) {
    this.store = options.store;
    this.slots = new Slots(options.slots, options.agingMs);
    this.owner = { owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`, pid: process.pid, host: hostname() };
    if (options.fleet) {
      this.dispatcher = new FleetDispatcher(options.fleet, options.fleetPollMs, (e) => void this.storeFailed(e), (u) => {
        this.batch.events.push({
          runId: u.runId, stepId: u.stepId, attemptId: u.attemptId, type: 'unschedulable', at: this.options.clock.now(), data: { reason: u.reason },
        });
        this.scheduleFlush();
      });
    }
    this.attempts = new AttemptRunner(options, {
      started: (run, stepId, attempt) => this.recordAttemptStart(run, stepId, attempt),
      published: (row) => (this.batch.attemptsPublished ??= []).push(row),
      // A hint for ending orphans after a crash, committed with the next flush: the sweep in
      // killOrphanGroups finds an attempt's processes by its id even without it.
      pid: (id, pid) => (this.batch.attemptPids ??= []).push({ id, pid }),
      ended: (run, stepId, end, transitions, applied) => this.onAttemptEnded(run, stepId, end, transitions, applied),
      // Group results are already durable (saved by the batch executor); the event only tells listeners.
      batch: (run, stepId, attemptId, p) => {
        this.batch.events.push({ runId: run.id, stepId, attemptId, type: 'batch', at: this.options.clock.now(), data: progressData(p) });
        this.scheduleFlush();
      },
    }, this.dispatcher);
  }

  /** Subscribes to committed events. Returns the unsubscribe function. */
  onEvent(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
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
    if (this.fatal) throw this.fatal;
    const created = newRun(spec, version, { ...opts, trigger: opts.trigger ?? 'manual' }, now);
    const { record } = created;
    // Held from its first row: no other engine (a fleet worker adopting queued runs) can take it.
    Object.assign(record, { owner: this.owner.owner, ownerPid: this.owner.pid, ownerHost: this.owner.host, leaseExpiresAt: now + this.options.leaseMs });
    const committed = new Promise<void>((resolve, reject) => this.creating.set(record.id, { resolve, reject }));
    (this.batch.runsCreated ??= []).push(created);
    const machine = newMachine(spec, record.id, record.params, this.options);
    const run = this.adopt(machine, version, opts.concurrency ?? spec.concurrency, opts.priority ?? 0);
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
    if (!(await this.store.acquireRun(runId, this.owner, now, this.options.leaseMs, isOwnerDead))) {
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
    const run = this.adopt(loaded.machine, loaded.record.version, loaded.record.concurrency ?? loaded.machine.spec.concurrency, loaded.record.priority);
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
    const taken = await this.store.acquireRun(runId, this.owner, now, this.options.leaseMs, isOwnerDead);
    if (!taken) {
      const r = await this.store.getRun(runId);
      throw new RunHeldError(runId, `pid ${r?.ownerPid ?? '?'} on ${r?.ownerHost ?? '?'}`);
    }
    const loaded = await loadRunForResume(this.store, runId, this.options, now, spec, { fleet: this.dispatcher !== undefined });
    const run = this.adopt(loaded.machine, loaded.record.version, loaded.record.concurrency ?? loaded.machine.spec.concurrency, loaded.record.priority);
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
    this.batch.attemptsEnded.push(...loaded.lostAttempts);
    for (const t of loaded.transitions) this.record(run, [t]);
    this.record(run, loaded.machine.apply({ type: 'resume' }, now));
    for (const { stepId, dueAt } of loaded.machine.retryingSteps()) this.armRetry(run, stepId, dueAt);
    for (const stepId of wasQueued) this.enqueue(run, stepId);
    this.scheduleFlush();
    return { id: runId, result: run.done.promise };
  }

  /**
   * Cancels a run held here: nothing new starts, running steps get SIGTERM / their
   * AbortSignal (`force`: SIGKILL at once). Resolves when the request is recorded.
   */
  cancelRun(runId: string, opts: { force?: boolean } = {}): boolean {
    const run = this.runs.get(runId);
    if (!run) return false;
    this.record(run, run.machine.apply({ type: 'cancel', reason: 'cancelled' }, this.options.clock.now()));
    this.attempts.abortAll(run, 'cancelled', opts.force ?? false);
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
    this.heartbeat?.();
    this.heartbeat = undefined;
    for (const run of this.runs.values()) {
      // Fleet attempts are left to their workers: the next coordinator takes them over.
      if (!this.dispatcher) this.attempts.abortAll(run, 'cancelled', true);
      run.clearTimers();
      await this.store.releaseRun(run.id, this.owner.owner);
    }
    this.runs.clear();
    await this.dispatcher?.close();
  }

  private adopt(machine: RunMachine, version: string, concurrency: number, priority: number): ActiveRun {
    const spec = machine.spec;
    this.slots.declarePools(spec.pools);
    // Fleet-wide, workers enforce the pool at claim time (the last declared limit wins).
    if (this.options.fleet) {
      for (const [name, limit] of Object.entries(spec.pools)) this.options.fleet.setPoolLimit(name, limit).catch((e: unknown) => this.storeFailed(e));
    }
    const run = newActiveRun(machine, version, concurrency, priority, this.options.agingMs, this.options.clock);
    this.runs.set(run.id, run);
    if (spec.timeoutMs !== undefined) {
      run.addTimer(() => {
        this.record(run, machine.apply({ type: 'cancel', reason: 'run-timeout' }, this.options.clock.now()));
        this.attempts.abortAll(run, 'run-timeout', false);
        this.scheduleFlush();
      }, spec.timeoutMs);
    }
    this.heartbeat ??= every(this.options.clock, this.options.heartbeatMs, () => void this.beat());
    return run;
  }

  /** Stages transitions for the next commit and reacts to the ones that schedule work. */
  private record(run: ActiveRun, transitions: Transition[], attemptId?: string): void {
    for (const t of transitions) {
      if (t.kind === 'run') {
        this.batch.runs.push({
          id: run.id, state: t.to,
          ...(t.to === 'running' ? { startedAt: t.at, endedAt: null, reason: null } : { endedAt: t.at, reason: t.reason ?? null, release: this.owner.owner }),
        });
        this.batch.events.push({ runId: run.id, type: 'run', from: t.from, to: t.to, at: t.at, ...(t.reason ? { data: { reason: t.reason } } : {}) });
        if (t.to !== 'running') run.ended = t;
        continue;
      }
      const rec = run.machine.step(t.stepId);
      this.stepRows.set(`${run.id}\u0000${t.stepId}`, { ...rec, runId: run.id, position: run.positions.get(t.stepId)! });
      this.batch.events.push(stepEvent(run.id, t, attemptId, rec.attempts));
      if (t.to === 'queued') this.enqueue(run, t.stepId);
      else if (t.to === 'retrying' && t.dueAt !== undefined) this.armRetry(run, t.stepId, t.dueAt);
    }
  }

  private recordAttemptStart(run: ActiveRun, stepId: string, a: AttemptRecord): void {
    this.batch.attemptsStarted.push(a);
    this.record(run, run.machine.apply({ type: 'attempt-started', stepId }, a.startedAt), a.id);
  }

  private onAttemptEnded(run: ActiveRun, stepId: string, end: Batch['attemptsEnded'][number], transitions: Transition[], applied?: boolean): void {
    // One slot freed: hand it to the best item that waited for it (O(log n)), not to all.
    this.slots.release(run, stepId);
    // A worker (or the reaper) already wrote a fleet attempt's end: only mark it applied.
    if (applied) (this.batch.attemptsApplied ??= []).push(end.id);
    else this.batch.attemptsEnded.push(end);
    this.record(run, transitions, end.id);
    this.scheduleFlush();
  }

  private enqueue(run: ActiveRun, stepId: string): void {
    this.slots.enqueue(run, stepId, this.options.clock.now());
  }

  private armRetry(run: ActiveRun, stepId: string, dueAt: number): void {
    run.addTimer(() => {
      this.record(run, run.machine.apply({ type: 'backoff-elapsed', stepId }, this.options.clock.now()));
      this.scheduleFlush();
    }, Math.max(0, dueAt - this.options.clock.now()));
  }

  /** Takes ready items while slots, run concurrency and pools allow; stages their attempts. */
  private dispatch(now: number): Launch[] {
    return this.slots.take((run) => this.runs.has(run.id), (run, stepId) => this.attempts.prepare(run, stepId, now, this.owner.owner));
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.fatal) return;
    if (this.flushing) {
      this.flushAgain = true;
      return;
    }
    this.flushing = true;
    let retryIn: number | undefined;
    try {
      const launches = [...this.heldLaunches, ...this.dispatch(this.options.clock.now())];
      this.heldLaunches = [];
      // Only ends staged before this commit are durable after it; an end recorded while an
      // async store's commit is in flight waits for the next flush.
      const ending = [...this.runs.values()].filter((r) => r.ended);
      const batch = this.batch;
      const rows = this.stepRows;
      batch.stepRuns = [...rows.values()];
      this.batch = emptyBatch();
      this.stepRows = new Map();
      if (!isEmpty(batch)) {
        try {
          await this.store.commit(batch);
          this.outageSince = undefined;
        } catch (e) {
          retryIn = this.storeFailed(e);
          // Runs this commit was creating are given up, their creators told: a caller that
          // got an error must not find the run executing later.
          const dropped = this.dropCreated(batch, e);
          // Nothing of it happened: put the rest back in front of what came since, effects held.
          this.batch = mergeBatches(withoutRuns(batch, dropped), withoutRuns(this.batch, dropped));
          for (const [k, v] of this.stepRows) rows.set(k, v);
          this.stepRows = rows;
          for (const [k, v] of rows) if (dropped.has(v.runId)) rows.delete(k);
          this.heldLaunches = launches.filter((l) => {
            if (!dropped.has(l.run.id)) return true;
            this.slots.release(l.run, l.stepId);
            return false;
          });
          return;
        }
        for (const c of batch.runsCreated ?? []) {
          this.creating.get(c.record.id)?.resolve();
          this.creating.delete(c.record.id);
        }
      }
      for (const e of batch.events) for (const l of this.listeners) l(e);
      // A run this commit created starts its steps one turn later: the startRun caller,
      // resumed by the resolve above, holds its handle (and has set up, e.g. a signal handler)
      // before any of its steps runs. A run cancelled meanwhile launches them aborted.
      const fresh = batch.runsCreated?.length ? new Set(batch.runsCreated.map((c) => c.record.id)) : undefined;
      const later: Launch[] = [];
      for (const l of launches) {
        if (fresh?.has(l.run.id)) later.push(l);
        else this.attempts.launch(l);
      }
      if (later.length) {
        setImmediate(() => {
          for (const l of later) if (this.runs.has(l.run.id) && !this.fatal) this.attempts.launch(l);
        });
      }
      for (const run of ending) this.finishRun(run);
    } catch (e) {
      this.fail(coerceError(e));
    } finally {
      this.flushing = false;
      if (retryIn !== undefined && !this.fatal) this.options.clock.setTimer(retryIn, () => this.scheduleFlush());
    }
    if (this.flushAgain) {
      this.flushAgain = false;
      this.scheduleFlush();
    }
  }

  /**
   * Forgets the runs a failed commit was creating and rejects their `startRun` calls.
   * @returns their ids.
   */
  private dropCreated(batch: Batch, e: unknown): Set<string> {
    const ids = new Set<string>();
    const err = coerceError(e);
    for (const { record } of batch.runsCreated ?? []) {
      ids.add(record.id);
      const run = this.runs.get(record.id);
      run?.clearTimers();
      this.runs.delete(record.id);
      this.creating.get(record.id)?.reject(err);
      this.creating.delete(record.id);
    }
    if (ids.size && this.runs.size === 0) {
      this.heartbeat?.();
      this.heartbeat = undefined;
    }
    return ids;
  }

  private finishRun(run: ActiveRun): void {
    const t = run.ended!;
    this.runs.delete(run.id);
    run.clearTimers();
    // The commit that ended the run also let go of it (RunUpdate.release).
    if (this.runs.size === 0) {
      this.heartbeat?.();
      this.heartbeat = undefined;
    }
    run.done.resolve({ id: run.id, state: t.to as RunSummary['state'], ...(t.reason ? { reason: t.reason } : {}) });
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

  /**
   * The store failed (a lost connection, a restarting server, a full disk): retry with
   * backoff while this engine's leases are still surely its own, then stop for good.
   * Returns the delay before the next try, ms.
   */
  private storeFailed(e: unknown): number {
    const err = coerceError(e);
    // Waiting does not free a disk: stop now, with what to free in the message.
    if (isDiskFull(err)) {
      this.fail(new StoreDiskFullError(err));
      return 0;
    }
    const now = this.options.clock.now();
    this.outageSince ??= now;
    // Past this, another process may have taken a run over: committing then could overwrite it.
    const window = this.options.leaseMs - 2 * this.options.heartbeatMs;
    if (now - this.outageSince >= window) {
      this.fail(new Error(`the store failed for ${now - this.outageSince} ms: ${err.message}`, { cause: err }));
      return 0;
    }
    const elapsed = now - this.outageSince;
    return Math.min(2_000, 100 + elapsed / 2);
  }

  /** The store failed for good: stop everything; what was committed stays, the runs stay resumable. */
  private fail(err: Error): void {
    if (this.fatal) return;
    this.fatal = err;
    this.heartbeat?.();
    for (const c of this.creating.values()) c.reject(err);
    for (const run of this.runs.values()) {
      this.attempts.abortAll(run, 'cancelled', true);
      run.clearTimers();
      // A run still being created has no handle out: its startRun rejects instead.
      if (this.creating.has(run.id)) void run.done.promise.catch(() => undefined);
      run.done.reject(err);
    }
    this.creating.clear();
    this.runs.clear();
  }
}
