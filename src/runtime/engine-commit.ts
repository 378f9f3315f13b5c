/**
 * @module runtime/engine-commit
 * The engine's state and its commit discipline: staging machine transitions and attempt
 * rows, the group commit, and what follows it (launching attempts, telling listeners,
 * ending runs), and how a failing store is retried or given up. ./engine.ts builds the
 * public `Engine` on it: admitting runs, operator requests, heartbeats.
 *
 * Write-ahead by group commit: machine transitions and attempt starts accumulate in one
 * batch; a flush (one `setImmediate` after the first change) commits the batch in one
 * transaction, and only then are the new attempts started and listeners told. So a process
 * never starts before its attempt row exists, and dependents never start before the result
 * they depend on is durable, while thousands of transitions share one commit.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Transition } from '../core/index.js';
import type { AttemptEnd, AttemptRecord, Batch, RunOwner, Store, StoredStepRun } from '../store/index.js';
import { Slots, kindLimits } from './slots.js';
import type { CompiledEngineOptions } from './options.js';
import type { ActiveRun, Launch } from './attempts.js';
import { AttemptRunner } from './attempts.js';
import { emptyBatch, isEmpty, mergeBatches, stepEvent, withoutRuns } from './batching.js';
import { FleetDispatcher } from './fleet-dispatch.js';
import { LogShipper } from './log-shipper.js';
import { progressData } from './batch.js';
import { mapItemsOf } from './map.js';
import { BreakerGate, breakerCall, publishedBehind } from './breakers.js';
import type { MapItems } from './map.js';
import { coerceError } from '../shared/index.js';
import type { JsonObject } from '../shared/index.js';
import { StoreDiskFullError, isDiskFull } from './store-failure.js';
import type { CancelTimer } from './clock.js';
import type { CommitListener, CommittedEnds, EngineListener, FinishedRun, RunHandle, RunSummary, StartRunOptions } from './engine-types.js';
import type { WorkflowSpec } from '../workflow/index.js';

/** The engine's state and commit loop; `Engine` (./engine.ts) is the only subclass. */
export abstract class CommitLoop {
  readonly owner: RunOwner;
  protected readonly store: Store;
  protected readonly runs = new Map<string, ActiveRun>();
  protected readonly slots: Slots;
  protected readonly listeners = new Set<EngineListener>();
  /** Told what each commit ended (attempts, runs); while there are none, nothing is staged for them. */
  protected readonly commitListeners = new Set<CommitListener>();
  /** Ends staged in `batch`, for `commitListeners`: swapped, and put back, with it. */
  private ends: CommittedEnds = { attempts: [], runs: [] };
  protected readonly attempts: AttemptRunner;
  /** Holds back ready steps whose circuit breaker is open (./breakers.ts). */
  protected readonly breakers: BreakerGate;
  protected batch = emptyBatch();
  private stepRows = new Map<string, StoredStepRun>();
  private flushScheduled = false;
  private flushing = false;
  private flushAgain = false;
  /** Stops the heartbeat; set while this engine holds runs. */
  protected heartbeat: CancelTimer | undefined;
  /** Set when the store failed for good: nothing more is committed or started. */
  protected fatal: Error | undefined;
  /** Since when the store has been failing (ms), while commits are retried. */
  private outageSince: number | undefined;
  /** Attempts whose rows wait in an uncommitted batch: they start once it commits. */
  protected heldLaunches: Launch[] = [];
  /** Fleet mode: publishes attempts to workers and brings back their ends. */
  protected readonly dispatcher: FleetDispatcher | undefined;
  /**
   * Fleet mode on a store that keeps logs: ships the logs of the steps this coordinator runs
   * itself (batch steps, inline handlers), as workers ship theirs, so every node reads them.
   */
  protected readonly shipper: LogShipper | undefined;
  /** Runs `startRun` staged for creation in an uncommitted batch, with their creators' answers. */
  protected readonly creating = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(readonly options: CompiledEngineOptions) {
    this.store = options.store;
    // In fleet mode each worker runs what it claims: the coordinator's cores bound nothing.
    this.slots = new Slots(options.slots, options.agingMs, options.fleet ? undefined : kindLimits(options.cores, options.slots));
    this.breakers = new BreakerGate({
      store: options.store.breakers, clock: options.clock, agingMs: options.agingMs, refreshMs: Math.max(1_000, 5 * options.heartbeatMs),
      requeue: (item) => {
        this.slots.requeue(item);
        this.scheduleFlush();
      },
      parked: (run, stepId, circuit) => {
        if (this.runs.get(run.id) !== run) return;
        this.stepRows.set(`${run.id}\u0000${stepId}`, { ...run.machine.step(stepId), runId: run.id, position: positionOf(run, stepId), circuit });
        this.batch.events.push({ runId: run.id, stepId, type: 'circuit-open', at: this.options.clock.now(), data: { ...circuit } });
        this.scheduleFlush();
      },
      onError: (e) => void this.storeFailed(e),
      live: (run, stepId) => this.runs.get(run.id) === run && run.machine.step(stepId).state === 'queued',
      published: (key) => publishedBehind(key, this.dispatcher, this.runs),
    });
    this.owner = { owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`, pid: process.pid, host: hostname() };
    if (options.fleet) {
      this.dispatcher = new FleetDispatcher(options.fleet, options.clock, options.fleetPollMs, (e) => void this.storeFailed(e), (u) => {
        this.batch.events.push({
          runId: u.runId, stepId: u.stepId, attemptId: u.attemptId, type: 'unschedulable', at: this.options.clock.now(), data: { reason: u.reason },
        });
        this.scheduleFlush();
      });
    }
    if (options.fleet && options.store.logs) {
      // A failed write is retried by the shipper, and the log file keeps every byte.
      this.shipper = new LogShipper({ logs: options.store.logs, onError: () => undefined });
    }
    this.attempts = new AttemptRunner(options, {
      started: (run, stepId, attempt) => this.recordAttemptStart(run, stepId, attempt),
      published: (row) => (this.batch.attemptsPublished ??= []).push(row),
      // A hint for ending orphans after a crash, committed with the next flush: the sweep in
      // killOrphanGroups finds an attempt's processes by its id even without it.
      pid: (id, pid) => (this.batch.attemptPids ??= []).push({ id, pid }),
      ended: (run, stepId, end, transitions, applied, record) => this.onAttemptEnded(run, stepId, end, transitions, applied, record),
      // Group results are already durable (saved by the batch executor); the event only tells listeners.
      batch: (run, stepId, attemptId, p) => {
        this.batch.events.push({ runId: run.id, stepId, attemptId, type: 'batch', at: this.options.clock.now(), data: progressData(p) });
        this.scheduleFlush();
      },
    }, this.dispatcher, this.shipper, {
      store: options.store,
      clock: options.clock,
      start: (spec, version, opts) => this.startRun(spec, version, opts),
      resume: (runId, spec) => this.resumeRun(runId, spec),
      cancel: (runId, force) => this.cancelRun(runId, { force }),
      event: (e) => {
        this.batch.events.push(e);
        this.scheduleFlush();
      },
    });
  }

  /** See `Engine.startRun` (./engine.ts). */
  abstract startRun(spec: WorkflowSpec, version: string, opts?: StartRunOptions): Promise<RunHandle>;
  /** See `Engine.resumeRun`. */
  abstract resumeRun(runId: string, spec?: WorkflowSpec): Promise<RunHandle>;
  /** See `Engine.cancelRun`. */
  abstract cancelRun(runId: string, opts?: { force?: boolean }): boolean;

  /** Stages transitions for the next commit and reacts to the ones that schedule work. */
  protected record(run: ActiveRun, transitions: Transition[], attemptId?: string): void {
    for (const t of transitions) {
      if (t.kind === 'run') {
        this.batch.runs.push({
          id: run.id, state: t.to,
          ...(t.to === 'running' ? { startedAt: t.at, endedAt: null, reason: null } : { endedAt: t.at, reason: t.reason ?? null, release: this.owner.owner }),
        });
        this.batch.events.push({ runId: run.id, type: 'run', from: t.from, to: t.to, at: t.at, ...(t.reason ? { data: { reason: t.reason } } : {}) });
        // As the store keeps it: the first start, kept across resumes and re-runs.
        if (t.to === 'running') run.startedAt ??= t.at;
        else run.ended = t;
        if (this.commitListeners.size && (t.to === 'succeeded' || t.to === 'failed' || t.to === 'cancelled')) this.ends.runs.push(finishedRun(run, t.to, t.at, t.reason));
        continue;
      }
      if (t.kind === 'map') {
        // The expansion is durable with its items in this commit: a resume rebuilds it from these rows.
        const position = run.positions.get(t.stepId)!;
        const added = (this.batch.stepRunsAdded ??= []);
        for (const id of t.itemIds) added.push({ ...run.machine.step(id), runId: run.id, position });
        this.batch.events.push({ runId: run.id, stepId: t.stepId, type: 'map', at: t.at, data: { items: t.itemIds.length } });
        continue;
      }
      const rec = run.machine.step(t.stepId);
      this.stepRows.set(`${run.id}\u0000${t.stepId}`, { ...rec, runId: run.id, position: positionOf(run, t.stepId) });
      this.batch.events.push(stepEvent(run.id, t, attemptId, rec.attempts));
      if (t.from === 'queued') {
        const call = this.breakers.leftQueue(run, t.stepId, t.to === 'running', t.at);
        if (call) (this.batch.breakerCalls ??= []).push(call);
      }
      if (t.to === 'queued') this.enqueue(run, t.stepId);
      else if (t.to === 'retrying' && t.dueAt !== undefined) this.armRetry(run, t.stepId, t.dueAt);
    }
  }

  private recordAttemptStart(run: ActiveRun, stepId: string, a: AttemptRecord): void {
    this.batch.attemptsStarted.push(a);
    this.record(run, run.machine.apply({ type: 'attempt-started', stepId }, a.startedAt), a.id);
  }

  /**
   * Stages the ends of attempts the engine marks `lost` without running them (resume), and
   * for commit listeners their rows as those ends leave them.
   */
  protected recordLost(run: ActiveRun, ends: AttemptEnd[], rows: (AttemptRecord & { endedAt: number })[]): void {
    this.batch.attemptsEnded.push(...ends);
    // No calls, but a lost half-open trial gives the trial up.
    const stepOf = new Map(rows.map((r) => [r.id, r.stepId]));
    for (const end of ends) {
      const stepId = stepOf.get(end.id);
      if (stepId !== undefined) this.recordBreakerCall(run, stepId, end);
    }
    if (this.commitListeners.size) for (const attempt of rows) this.ends.attempts.push({ run: committedRun(run), attempt });
  }

  private onAttemptEnded(
    run: ActiveRun, stepId: string, end: Batch['attemptsEnded'][number], transitions: Transition[], applied: boolean, record: AttemptRecord & { endedAt: number },
  ): void {
    if (this.commitListeners.size) this.ends.attempts.push({ run: committedRun(run), attempt: record });
    // One slot freed: hand it to the best item that waited for it (O(log n)), not to all.
    this.slots.release(run, stepId);
    // A worker (or the reaper) already wrote a fleet attempt's end: only mark it applied.
    if (applied) (this.batch.attemptsApplied ??= []).push(end.id);
    else this.batch.attemptsEnded.push(end);
    this.recordBreakerCall(run, stepId, end);
    const startedAt = run.machine.step(stepId).startedAt;
    const first = this.batch.events.length;
    this.record(run, transitions, end.id);
    // The attempt's usage rides on its step's end event, so readers of the feed (alert rules
    // on memory and CPU) need not read the attempt back.
    for (let i = first; i < this.batch.events.length; i++) {
      const e = this.batch.events[i]!;
      if (e.type !== 'step' || e.from !== 'running' || e.stepId !== stepId) continue;
      const data: JsonObject = { ...(e.data ?? {}) };
      if (end.peakRssBytes !== undefined) data.peakRssBytes = end.peakRssBytes;
      if (end.cpuMs !== undefined) data.cpuMs = end.cpuMs;
      if (startedAt !== undefined) data.wallMs = Math.max(0, end.endedAt - startedAt);
      e.data = data;
    }
    this.scheduleFlush();
  }

  /** Stages an attempt's end for its step's circuit breaker, in the commit that records the end. */
  private recordBreakerCall(run: ActiveRun, stepId: string, end: AttemptEnd): void {
    const call = breakerCall(run, stepId, end);
    if (call) (this.batch.breakerCalls ??= []).push(call);
  }

  protected enqueue(run: ActiveRun, stepId: string): void {
    // A mapped step takes no slot: it expands, and its items queue.
    if (run.machine.isMapped(stepId)) {
      if (run.machine.needsExpansion(stepId)) this.expand(run, stepId);
      return;
    }
    this.slots.enqueue(run, stepId, this.options.clock.now());
  }

  /** Evaluates a ready mapped step's items and applies the expansion (a glob: once it is listed). */
  private expand(run: ActiveRun, stepId: string): void {
    const apply = (r: MapItems): void => {
      const now = this.options.clock.now();
      const event = 'items' in r ? { type: 'map-expanded' as const, stepId, items: r.items } : { type: 'map-failed' as const, stepId, failure: r.failure };
      this.record(run, run.machine.apply(event, now));
      this.scheduleFlush();
    };
    const items = mapItemsOf(run.machine, stepId);
    if (!(items instanceof Promise)) {
      apply(items);
      return;
    }
    void items.then((r) => {
      if (this.runs.get(run.id) === run && !this.fatal) apply(r);
    });
  }

  protected armRetry(run: ActiveRun, stepId: string, dueAt: number): void {
    run.addTimer(() => {
      this.record(run, run.machine.apply({ type: 'backoff-elapsed', stepId }, this.options.clock.now()));
      this.scheduleFlush();
    }, Math.max(0, dueAt - this.options.clock.now()));
  }

  /** Takes ready items while slots, run concurrency and pools allow; stages their attempts. */
  private dispatch(now: number): Launch[] {
    return this.slots.take((run) => this.runs.has(run.id), (run, stepId) => this.attempts.prepare(run, stepId, now, this.owner.owner), (item) => this.breakers.admit(item, now));
  }

  protected scheduleFlush(): void {
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
      const ends = this.ends;
      batch.stepRuns = [...rows.values()];
      this.batch = emptyBatch();
      this.stepRows = new Map();
      this.ends = { attempts: [], runs: [] };
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
          this.ends = {
            attempts: [...ends.attempts, ...this.ends.attempts].filter((a) => !dropped.has(a.run.id)),
            runs: [...ends.runs, ...this.ends.runs].filter((r) => !dropped.has(r.id)),
          };
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
        // The commit changed these breakers: read them back, so steps behind them wait or go.
        if (batch.breakerCalls?.length) void this.breakers.refresh([...new Set(batch.breakerCalls.map((c) => c.key))]);
      }
      for (const e of batch.events) for (const l of this.listeners) l(e);
      if (ends.attempts.length || ends.runs.length) for (const l of this.commitListeners) l(ends);
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

  /**
   * The store failed (a lost connection, a restarting server, a full disk): retry with
   * backoff while this engine's leases are still surely its own, then stop for good.
   * Returns the delay before the next try, ms.
   */
  protected storeFailed(e: unknown): number {
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
    this.breakers.close();
    this.heartbeat?.();
    this.heartbeat = undefined;
    for (const c of this.creating.values()) c.reject(err);
    for (const run of this.runs.values()) {
      this.attempts.abortAll(run, 'cancelled', true);
      run.clearTimers();
      run.done.reject(err);
    }
    this.creating.clear();
    this.runs.clear();
    // Its LISTEN connection and poll timers would keep a process that gave up alive.
    void this.dispatcher?.close().catch(() => undefined);
  }
}

/** A step run's position as stored: an item of a mapped step has its step's. */
function positionOf(run: ActiveRun, stepId: string): number {
  return run.positions.get(stepId) ?? run.positions.get(run.machine.mappedStepOf(stepId)) ?? 0;
}

/** Which run an end belongs to, as recorded. */
function committedRun(run: ActiveRun): CommittedEnds['attempts'][number]['run'] {
  const m = run.machine;
  // A run has a start before any of its attempts ends; the fallback only keeps the type total.
  return { id: run.id, workflow: m.spec.name, version: run.version, trigger: run.trigger, startedAt: run.startedAt ?? 0 };
}

/** A run's end as recorded by the commit that stages it. */
function finishedRun(run: ActiveRun, state: FinishedRun['state'], endedAt: number, reason: FinishedRun['reason']): FinishedRun {
  return { ...committedRun(run), startedAt: run.startedAt ?? endedAt, state, endedAt, ...(reason ? { reason } : {}) };
}
