/**
 * @module runtime/worker
 * `baton worker`: a fleet node that claims attempts published by coordinators, runs them,
 * and completes them under their lease and fence (design: store/fleet-types.ts). This file
 * holds the worker's lifecycle and its attempts; the claim/complete exchange is
 * ./worker-exchange.ts, heartbeats, self-fencing and housekeeping ./worker-lease.ts.
 *
 * - **Lifecycle** ({@link WorkerPhase}): `new` → `starting` (registering, listening) →
 *   `running` → `draining` (claims nothing, running attempts get `graceMs`) → `stopping`
 *   (the rest are killed and completed `failed` with a retryable `lost` error, the same as
 *   a reaped lease but at once) → `stopped`. `stop()` goes to `stopping` from any phase.
 * - **Wake-ups**: LISTEN `baton_tasks` (try to claim) and `baton_cancel` (payload: a worker
 *   id; ours → heartbeat now to learn the cancels); a claim after every (re)connect; a
 *   fallback poll every `pollMs`, backing off to `maxPollMs` while nothing is claimed.
 * - **Heartbeat** every `heartbeatMs` renews every lease this worker holds. A running attempt
 *   the heartbeat did not renew lost its lease: its process group is killed at once and
 *   its result is reported once, best effort (the store discards it and records
 *   `attempt-discarded`). A cancel request stops it gracefully; it completes `cancelled`.
 * - **Self-fencing**: when no heartbeat succeeded for `leaseMs - heartbeatMs` (database
 *   unreachable, event loop blocked), the worker claims nothing and kills everything it runs
 *   (its leases may be gone and the attempts retried elsewhere); once a heartbeat succeeds,
 *   it claims again.
 * - **Housekeeping**: any live node reaps, so every worker calls `reapExpired` every
 *   `leaseMs / 3`, and prunes worker rows gone for longer than `workerRetentionMs`.
 * - **Throttling**: the worker claims up to its adaptive limit (runtime/throttle.ts), which
 *   shrinks while CPU, memory or event-loop lag is over its threshold and grows back by one
 *   a second; never below one, so an idle worker always claims.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { AbortCause } from '../executors/index.js';
import type { AttemptOutcome, ClaimedAttempt, FleetChannel, FleetListener, FleetStore, LogChunkInput, WorkerLoad } from '../store/index.js';
import { errorMessage } from '../shared/index.js';
import { formatMs } from './attempts.js';
import type { CancelTimer } from './clock.js';
import { every, sleepOn } from './clock.js';
import { taskFromJson } from './fleet-task.js';
import type { AbandonCause, WorkerAttempt } from './worker-attempt.js';
import { abandonedOutcome, runClaimed } from './worker-attempt.js';
import { Exchange } from './worker-exchange.js';
import { LeaseKeeper } from './worker-lease.js';
import { LogShipper } from './log-shipper.js';
import type { CompiledWorkerOptions, Worker, WorkerEvent, WorkerOptions } from './worker-options.js';
import type { ThrottleStatus } from './throttle.js';
import { AdaptiveLimit } from './throttle.js';
import { compileWorkerOptions, isTransientDbError } from './worker-options.js';

export type { LoadSample, Worker, WorkerEvent, WorkerOptions } from './worker-options.js';
export { isTransientDbError } from './worker-options.js';

/**
 * Where a worker is in its life. One canonical name per phase; transitions only forward:
 * `new → starting → running → draining → stopping → stopped` (`stop()` may skip ahead to
 * `stopping`; a `start()` that fails leaves `starting` for `stop()` to clean up).
 */
export type WorkerPhase = 'new' | 'starting' | 'running' | 'draining' | 'stopping' | 'stopped';

/** Phases in which the worker may still claim (once running, and not fenced or throttled). */
const claiming = (p: WorkerPhase): boolean => p === 'starting' || p === 'running';
/** Phases in which new attempts are killed at once and nothing is renewed any more. */
const ending = (p: WorkerPhase): boolean => p === 'stopping' || p === 'stopped';

/** How long a stopping worker waits for the completions of its killed attempts, ms. */
const STOP_COMPLETION_MS = 5_000;

/** Creates a worker; `start()` registers it. */
export function createWorker(opts: WorkerOptions): Worker {
  return new FleetWorker(opts);
}

class FleetWorker implements Worker {
  readonly id: string;
  readonly fleet: FleetStore;
  readonly slots: number;
  readonly tags: string[];
  readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly graceMs: number;
  private readonly o: CompiledWorkerOptions;
  readonly attempts = new Map<string, WorkerAttempt>();
  /** The periodic timers (heartbeat, fence check, reaper), on the worker's clock. */
  private readonly timers = new Set<CancelTimer>();
  private readonly exchange: Exchange;
  private readonly lease: LeaseKeeper;
  /** The adaptive slots; absent with `throttle: false`. */
  private readonly adaptive: AdaptiveLimit | undefined;
  private readonly shipper: LogShipper | undefined;
  private phase: WorkerPhase = 'new';
  private listener: FleetListener | undefined;
  private outputDir = '';
  private ownOutputDir = false;
  private stopped: Promise<void> | undefined;

  constructor(opts: WorkerOptions) {
    const o = compileWorkerOptions(opts);
    this.o = o;
    this.fleet = o.fleet;
    this.slots = o.slots;
    this.tags = o.tags;
    this.leaseMs = o.leaseMs;
    this.heartbeatMs = o.heartbeatMs;
    this.graceMs = o.graceMs;
    this.id = o.id;
    this.shipper = o.logs
      ? new LogShipper({ logs: o.logs, onError: (e) => this.emit({ kind: 'error', message: `shipping logs: ${e.message} (retried; the log files keep everything)` }) })
      : undefined;
    this.adaptive = o.throttle
      ? new AdaptiveLimit(this.slots, o.throttle, o.clock, () => this.attempts.size, (e) => {
        this.emit({ kind: 'throttle', from: e.from, to: e.to, reason: e.reason, cpu: e.sample.cpu, mem: e.sample.mem });
        // A raised limit claims into the new slots now, not at the next poll.
        if (e.to > e.from) this.exchange.wake();
      })
      : undefined;
    this.exchange = new Exchange({
      id: this.id, fleet: this.fleet, tags: this.tags, leaseMs: this.leaseMs,
      held: () => this.attempts.size,
      mayClaim: () => this.phase === 'running' && !this.lease.fenced,
      polling: () => claiming(this.phase),
      limit: () => this.adaptive?.limit ?? this.slots,
      launch: (c, at) => this.launch(c, at),
      emit: (e) => this.emit(e),
    }, o.pollMs, o.maxPollMs, o.clock);
    this.lease = new LeaseKeeper({
      id: this.id, fleet: this.fleet, attempts: this.attempts,
      stopping: () => ending(this.phase),
      load: () => this.load(),
      abandon: (a, cause) => this.abandon(a, cause),
      wake: () => this.exchange.wake(),
      emit: (e) => this.emit(e),
    }, this.leaseMs, this.heartbeatMs, o.workerRetentionMs);
  }

  running(): string[] {
    return [...this.attempts.keys()];
  }

  throttle(): ThrottleStatus | undefined {
    return this.adaptive?.status();
  }

  /** What heartbeats report: the throttle's last reading (sampling again would cut its interval short). */
  private load(): Omit<WorkerLoad, 'slotsInUse'> {
    const t = this.adaptive?.status();
    const r = t?.sample ?? this.o.sampler.sample();
    if (!t) return { cpu: r.cpu, mem: r.memBytes };
    return {
      cpu: r.cpu, mem: r.memBytes, limit: t.limit,
      ...(t.reason !== undefined ? { limitReason: t.reason } : {}),
      ...(t.limit < t.max && this.attempts.size >= t.limit ? { throttled: true } : {}),
    };
  }

  get logBytesShipped(): number {
    return this.shipper?.shippedBytes ?? 0;
  }

  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error('worker already started');
    this.phase = 'starting';
    if (this.o.outputDir !== undefined) this.outputDir = this.o.outputDir;
    else {
      this.outputDir = mkdtempSync(join(os.tmpdir(), 'baton-worker-'));
      this.ownOutputDir = true;
    }
    const sentAt = performance.now();
    await this.fleet.registerWorker({
      id: this.id, host: os.hostname(), pid: process.pid, platform: process.platform, tags: this.tags, slots: this.slots,
      version: this.o.version, leaseMs: this.leaseMs, facts: this.o.facts,
    });
    this.lease.registered(sentAt);
    this.emit({ kind: 'started', workerId: this.id, slots: this.slots, tags: this.tags, platform: process.platform, facts: this.o.facts });
    this.listener = await this.fleet.listen(['baton_tasks', 'baton_cancel'], (ch, payload) => this.onNotify(ch, payload), {
      onConnect: () => this.exchange.wake(),
      onError: (e) => this.emit({ kind: 'error', message: `listen: ${e.message}` }),
    });
    if (this.phase !== 'starting') return; // stopped while starting
    this.phase = 'running';
    this.adaptive?.start();
    this.every(this.heartbeatMs, () => this.lease.heartbeat());
    // Self-fencing is checked more often than heartbeats, so a late heartbeat is noticed early.
    this.every(Math.max(10, Math.min(this.heartbeatMs, this.leaseMs - this.heartbeatMs) / 4), () => this.lease.checkFence());
    this.every(this.o.reapMs, () => void this.lease.reap());
    void this.lease.reap();
    this.exchange.schedulePoll();
    this.exchange.wake();
  }

  async drain(graceMs = this.graceMs): Promise<void> {
    if (this.phase !== 'running') return this.stop();
    this.phase = 'draining';
    this.exchange.stopPolling();
    this.emit({ kind: 'draining', running: this.attempts.size });
    await this.fleet.setWorkerState(this.id, 'draining').catch((e: unknown) => this.emit({ kind: 'error', message: `set draining: ${errorMessage(e)}` }));
    await this.within(graceMs, Promise.all([...this.attempts.values()].map((a) => a.done)));
    await this.stop();
  }

  stop(): Promise<void> {
    if (this.phase === 'new') return Promise.resolve();
    return (this.stopped ??= this.stopOnce());
  }

  private async stopOnce(): Promise<void> {
    this.phase = 'stopping';
    this.exchange.stopPolling();
    await this.exchange.settled(); // a claim in flight launches its attempts, abandoned at once
    for (const a of this.attempts.values()) this.abandon(a, 'stopped');
    // The processes die at once (SIGKILL); completions get a bounded time.
    await this.within(STOP_COMPLETION_MS, Promise.all([...this.attempts.values()].map((a) => a.done)));
    for (const cancel of this.timers) cancel();
    this.timers.clear();
    this.adaptive?.stop();
    this.o.sampler.close();
    await this.listener?.close();
    await this.shipper?.close();
    if (this.o.ownsHandlerPool) await this.o.handlerPool.close();
    await this.lease.settled();
    await this.fleet.setWorkerState(this.id, 'stopped').catch((e: unknown) => this.emit({ kind: 'error', message: `set stopped: ${errorMessage(e)}` }));
    if (this.ownOutputDir) rmSync(this.outputDir, { recursive: true, force: true });
    this.phase = 'stopped';
    this.emit({ kind: 'stopped' });
  }

  private emit(e: WorkerEvent): void {
    try {
      this.o.report?.(e);
    } catch {
      // a reporter's failure must not stop the worker
    }
  }

  private every(ms: number, fn: () => void): void {
    this.timers.add(every(this.o.clock, ms, fn));
  }

  /** Waits for `work`, at most `ms` on the worker's clock (a grace period). */
  private async within(ms: number, work: Promise<unknown>): Promise<void> {
    let cancel: CancelTimer | undefined;
    await Promise.race([work, new Promise<void>((r) => (cancel = this.o.clock.setTimer(ms, r)))]);
    cancel?.();
  }

  private onNotify(channel: FleetChannel, payload: string): void {
    if (channel === 'baton_tasks') this.exchange.wake();
    else if (channel === 'baton_cancel' && payload === this.id) this.lease.heartbeat();
  }

  private launch(claim: ClaimedAttempt, claimedAt: number): void {
    let task: WorkerAttempt['task'];
    let taskError: string | undefined;
    try {
      task = taskFromJson(claim.task);
    } catch (e) {
      taskError = errorMessage(e);
    }
    const a: WorkerAttempt = {
      claim, task, graceful: new AbortController(), force: new AbortController(), claimedAt, ended: false, done: Promise.resolve(),
      ...(taskError !== undefined ? { taskError } : {}),
    };
    this.attempts.set(claim.id, a);
    this.emit({ kind: 'claimed', attemptId: claim.id, runId: claim.runId, stepId: claim.stepId, fence: claim.fence });
    if (ending(this.phase)) this.abandon(a, 'stopped');
    else if (this.lease.fenced) this.abandon(a, 'fenced');
    a.done = this.runAndComplete(a).finally(() => {
      this.attempts.delete(claim.id);
      this.exchange.wake();
    });
  }

  private async runAndComplete(a: WorkerAttempt): Promise<void> {
    const outcome = await runClaimed(a, {
      outputDir: this.outputDir,
      logCapBytes: this.o.logCapBytes,
      limits: { graceMs: this.graceMs, maxOutputBytes: this.o.maxOutputBytes, handlerPool: this.o.handlerPool },
      logDir: this.o.logDir,
      shipper: this.shipper,
      clock: this.o.clock,
    });
    a.ended = true;
    // The log's last bytes go in the completion's statement: a reader who sees the end sees the whole log.
    const final = a.shipment?.finish();
    if (a.abandoned) {
      // Reported once, not retried: the store discards it (recording `attempt-discarded`)
      // unless the lease is somehow still ours, when a retryable failure is right too.
      const detail = a.abandoned === 'stopped' ? 'worker stopped' : `no heartbeat for ${formatMs(this.leaseMs - this.heartbeatMs)}`;
      if (await this.complete(a, abandonedOutcome(a.abandoned, this.id, detail), false, final?.chunks)) final?.stored();
      return;
    }
    if (await this.complete(a, outcome, true, final?.chunks)) final?.stored();
  }

  /**
   * Completes with the fence; retries transient errors with backoff while `retry` and not
   * stopping. Returns whether the statement went through (applied or discarded).
   */
  private async complete(a: WorkerAttempt, outcome: AttemptOutcome, retry: boolean, logChunks: LogChunkInput[] | undefined): Promise<boolean> {
    let delay = 100;
    for (;;) {
      try {
        await this.exchange.complete(a.claim.id, a.claim.fence, outcome, logChunks); // reported as `completed` by the exchange
        return true;
      } catch (e) {
        const give = !retry || ending(this.phase) || !isTransientDbError(e);
        this.emit({ kind: 'error', message: `complete ${a.claim.id}: ${errorMessage(e)}${give ? ' (given up: its lease expires and the attempt is retried)' : ''}` });
        if (give) return false;
        await sleepOn(this.o.clock, delay);
        delay = Math.min(5_000, delay * 2);
      }
    }
  }

  /** Gives an attempt up: kills its process group at once. */
  private abandon(a: WorkerAttempt, cause: AbandonCause): void {
    if (a.ended || a.abandoned) return;
    a.abandoned = cause;
    if (!a.graceful.signal.aborted) a.graceful.abort('cancelled' satisfies AbortCause);
    a.force.abort('cancelled' satisfies AbortCause);
  }
}
