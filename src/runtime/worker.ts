/**
 * @module runtime/worker
 * `baton worker`: a fleet node that claims attempts published by coordinators, runs them,
 * and completes them under their lease and fence (design: store/fleet-types.ts).
 *
 * - **Wake-ups**: LISTEN `baton_tasks` (try to claim) and `baton_cancel` (payload: a worker
 *   id; ours → heartbeat now to learn the cancels); a claim after every (re)connect; a
 *   fallback poll every `pollMs`, backing off to 5 s while nothing is claimed.
 * - **Heartbeat** every `heartbeatMs` renews every lease this worker holds. A running attempt
 *   the heartbeat did not renew lost its lease: its process group is killed at once and
 *   its result is reported once, best effort (the store discards it and records
 *   `attempt-discarded`). A cancel request stops it gracefully; it completes `cancelled`.
 * - **Self-fencing**: when no heartbeat succeeded for `leaseMs - heartbeatMs` (database
 *   unreachable, event loop blocked), the worker claims nothing and kills everything it runs
 *   (its leases may be gone and the attempts retried elsewhere); once a heartbeat succeeds,
 *   it claims again.
 * - **Reaper**: any live node reaps, so every worker calls `reapExpired` every `leaseMs / 3`.
 * - **Throttling**: no claims while CPU (`loadavg / cores`) or memory in use is above its
 *   threshold.
 * - **Drain**: state `draining`, no new claims, running attempts get `graceMs` to end; the
 *   rest are killed and completed `failed` with a retryable `lost` error (the same as a
 *   reaped lease, but at once), then state `stopped`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { AbortCause } from '../executors/index.js';
import type { AttemptOutcome, ClaimedAttempt, CompleteAndClaimResult, CompletionItem, FleetChannel, FleetListener, FleetStore, WorkerLoad } from '../store/index.js';
import { formatMs } from './attempts.js';
import { taskFromJson } from './fleet-task.js';
import type { AbandonCause, WorkerAttempt } from './worker-attempt.js';
import { abandonedOutcome, runClaimed } from './worker-attempt.js';
import type { Worker, WorkerEvent, WorkerOptions } from './worker-options.js';
import { defaultLoad, isTransientDbError } from './worker-options.js';

export type { LoadSample, Worker, WorkerEvent, WorkerOptions } from './worker-options.js';
export { isTransientDbError } from './worker-options.js';

/** Creates a worker; `start()` registers it. */
export function createWorker(opts: WorkerOptions): Worker {
  return new FleetWorker(opts);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class FleetWorker implements Worker {
  readonly id: string;
  private readonly fleet: FleetStore;
  private readonly slots: number;
  private readonly tags: string[];
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly pollMs: number;
  private readonly maxPollMs: number;
  private readonly graceMs: number;
  private readonly o: WorkerOptions;
  private readonly attempts = new Map<string, WorkerAttempt>();
  /** Completions waiting for the next exchange. */
  private outbox: { item: CompletionItem; resolve: (r: 'applied' | 'discarded') => void; reject: (e: Error) => void }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private listener: FleetListener | undefined;
  private outputDir = '';
  private ownOutputDir = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private pollDelay: number;
  /** The exchange loop in flight (completions out, claims in: one statement per round). */
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private syncQueued = false;
  /** The next exchange claims too. */
  private wantClaim = false;
  private beating: Promise<void> | undefined;
  private beatAgain = false;
  /** performance.now() when the last successful heartbeat was sent. */
  private lastBeat = 0;
  private fenced = false;
  private throttled = false;
  private draining = false;
  private stopped = false;
  private started = false;
  private stopping: Promise<void> | undefined;

  constructor(o: WorkerOptions) {
    this.o = o;
    this.fleet = o.fleet;
    this.slots = o.slots ?? os.availableParallelism();
    this.tags = o.tags ?? [];
    this.leaseMs = o.leaseMs ?? 30_000;
    this.heartbeatMs = o.heartbeatMs ?? 10_000;
    this.pollMs = o.pollMs ?? 1_000;
    this.maxPollMs = Math.max(this.pollMs, o.maxPollMs ?? 5_000);
    this.graceMs = o.graceMs ?? 5_000;
    this.pollDelay = this.pollMs;
    this.id = o.id ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    if (!(this.slots >= 1)) throw new RangeError(`slots must be at least 1, got ${this.slots}`);
    if (!(this.heartbeatMs > 0 && this.heartbeatMs < this.leaseMs)) {
      throw new RangeError(`the heartbeat (${formatMs(this.heartbeatMs)}) must be shorter than the lease (${formatMs(this.leaseMs)})`);
    }
  }

  running(): string[] {
    return [...this.attempts.keys()];
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('worker already started');
    this.started = true;
    if (this.o.outputDir !== undefined) this.outputDir = this.o.outputDir;
    else {
      this.outputDir = mkdtempSync(join(os.tmpdir(), 'baton-worker-'));
      this.ownOutputDir = true;
    }
    const sentAt = performance.now();
    await this.fleet.registerWorker({
      id: this.id, host: os.hostname(), pid: process.pid, platform: process.platform, tags: this.tags, slots: this.slots, version: this.o.version,
    });
    this.lastBeat = sentAt;
    this.emit({ kind: 'started', workerId: this.id, slots: this.slots, tags: this.tags, platform: process.platform });
    this.listener = await this.fleet.listen(['baton_tasks', 'baton_cancel'], (ch, payload) => this.onNotify(ch, payload), {
      onConnect: () => this.wake(),
      onError: (e) => this.emit({ kind: 'error', message: `listen: ${e.message}` }),
    });
    this.every(this.heartbeatMs, () => this.heartbeat());
    // Self-fencing is checked more often than heartbeats, so a late heartbeat is noticed early.
    this.every(Math.max(10, Math.min(this.heartbeatMs, this.leaseMs - this.heartbeatMs) / 4), () => this.checkFence());
    this.every(this.o.reapMs ?? Math.max(10, this.leaseMs / 3), () => void this.reap());
    this.schedulePoll();
    this.wake();
  }

  async drain(graceMs = this.graceMs): Promise<void> {
    if (!this.started || this.stopping) return this.stop();
    if (!this.draining) {
      this.draining = true;
      clearTimeout(this.pollTimer);
      this.emit({ kind: 'draining', running: this.attempts.size });
      await this.fleet.setWorkerState(this.id, 'draining').catch((e: unknown) => this.emit({ kind: 'error', message: `set draining: ${String(e)}` }));
    }
    const all = Promise.all([...this.attempts.values()].map((a) => a.done));
    let t: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((r) => (t = setTimeout(r, graceMs)))]);
    clearTimeout(t);
    await this.stop();
  }

  stop(): Promise<void> {
    if (!this.started) return Promise.resolve();
    return (this.stopping ??= this.stopOnce());
  }

  private async stopOnce(): Promise<void> {
    this.draining = true;
    this.stopped = true;
    clearTimeout(this.pollTimer);
    await this.syncing; // a claim in flight launches its attempts, abandoned at once
    for (const a of this.attempts.values()) this.abandon(a, 'stopped');
    // The processes die at once (SIGKILL); completions get a bounded time.
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.attempts.values()].map((a) => a.done)), new Promise<void>((r) => (t = setTimeout(r, 5_000)))]);
    clearTimeout(t);
    for (const x of this.timers) clearInterval(x);
    this.timers.clear();
    await this.listener?.close();
    await this.beating;
    await this.fleet.setWorkerState(this.id, 'stopped').catch((e: unknown) => this.emit({ kind: 'error', message: `set stopped: ${String(e)}` }));
    if (this.ownOutputDir) rmSync(this.outputDir, { recursive: true, force: true });
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
    this.timers.add(setInterval(fn, ms));
  }

  private onNotify(channel: FleetChannel, payload: string): void {
    if (channel === 'baton_tasks') this.wake();
    else if (channel === 'baton_cancel' && payload === this.id) this.heartbeat();
  }

  private schedulePoll(): void {
    if (this.draining) return;
    this.pollTimer = setTimeout(() => {
      this.wake();
      this.schedulePoll();
    }, this.pollDelay);
  }

  /** Tries to claim, with the next exchange. */
  private wake(): void {
    this.wantClaim = true;
    this.sync();
  }

  /**
   * Runs an exchange at the end of this event-loop turn, so the completions of one turn go
   * together; one exchange at a time, and a request meanwhile makes one more afterwards.
   */
  private sync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    if (this.syncQueued) return;
    this.syncQueued = true;
    setImmediate(() => {
      this.syncQueued = false;
      this.syncing = this.syncLoop().finally(() => {
        this.syncing = undefined;
        if (this.syncAgain) this.sync();
      });
    });
  }

  private mayClaim(): boolean {
    if (this.draining || this.fenced || !this.started) return false;
    const l = (this.o.sampleLoad ?? defaultLoad)();
    const over = l.cpu > (this.o.cpuThreshold ?? 0.8) || l.memFraction > (this.o.memThreshold ?? 0.8);
    if (over !== this.throttled) {
      this.throttled = over;
      this.emit(over ? { kind: 'throttled', cpu: l.cpu, mem: l.memFraction } : { kind: 'unthrottled' });
    }
    return !over;
  }

  /**
   * Completes what ended and claims into the free slots, in one statement per round: each
   * NOTIFYing commit takes a server-wide lock, and each round trip costs both ends CPU, so a
   * busy worker sends one per turn instead of a completion and a claim.
   */
  private async syncLoop(): Promise<void> {
    do {
      this.syncAgain = false;
      const batch = this.outbox;
      this.outbox = [];
      const wantClaim = this.wantClaim;
      this.wantClaim = false;
      // The attempts completed in this statement free their slots in it.
      const free = this.slots - this.attempts.size + batch.length;
      const max = wantClaim && free > 0 && this.mayClaim() ? free : 0;
      if (!batch.length && max === 0) continue;
      let r: CompleteAndClaimResult;
      try {
        r = await this.fleet.completeAndClaim(this.id, batch.map((b) => b.item),
          max > 0 ? { tags: this.tags, platform: process.platform, max, leaseMs: this.leaseMs } : undefined);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        for (const b of batch) b.reject(err);
        if (max > 0) this.emit({ kind: 'error', message: `claim: ${err.message}` });
        continue;
      }
      // Reported before the claims of the same statement: the slots were freed first.
      batch.forEach((b, i) => {
        const result = r.results[i] ?? 'discarded';
        const { attemptId, outcome } = b.item;
        this.emit({
          kind: 'completed', attemptId, state: outcome.state, result,
          ...(outcome.error ? { error: `${outcome.error.type}: ${outcome.error.message}` } : {}),
        });
        b.resolve(result);
      });
      if (max === 0) continue;
      this.pollDelay = r.claimed.length ? this.pollMs : Math.min(this.maxPollMs, this.pollDelay * 2);
      const now = performance.now();
      for (const c of r.claimed) this.launch(c, now);
      // A full claim may have left more behind.
      if (r.claimed.length === max) {
        this.wantClaim = true;
        this.syncAgain = true;
      }
    } while (this.syncAgain);
  }

  private launch(claim: ClaimedAttempt, claimedAt: number): void {
    let task: WorkerAttempt['task'];
    let taskError: string | undefined;
    try {
      task = taskFromJson(claim.task);
    } catch (e) {
      taskError = (e as Error).message;
    }
    const a: WorkerAttempt = {
      claim, task, graceful: new AbortController(), force: new AbortController(), claimedAt, ended: false, done: Promise.resolve(),
      ...(taskError !== undefined ? { taskError } : {}),
    };
    this.attempts.set(claim.id, a);
    this.emit({ kind: 'claimed', attemptId: claim.id, runId: claim.runId, stepId: claim.stepId, fence: claim.fence });
    if (this.stopped || this.fenced) this.abandon(a, this.stopped ? 'stopped' : 'fenced');
    a.done = this.runAndComplete(a).finally(() => {
      this.attempts.delete(claim.id);
      this.wake();
    });
  }

  private async runAndComplete(a: WorkerAttempt): Promise<void> {
    const outcome = await runClaimed(a, {
      outputDir: this.outputDir,
      logCapBytes: this.o.logCapBytes,
      limits: { graceMs: this.graceMs, maxOutputBytes: this.o.maxOutputBytes ?? 1024 * 1024 },
    });
    a.ended = true;
    if (a.abandoned) {
      // Reported once, not retried: the store discards it (recording `attempt-discarded`)
      // unless the lease is somehow still ours, when a retryable failure is right too.
      const detail = a.abandoned === 'stopped' ? 'worker stopped' : `no heartbeat for ${formatMs(this.leaseMs - this.heartbeatMs)}`;
      await this.complete(a, abandonedOutcome(a.abandoned, this.id, detail), false);
      return;
    }
    await this.complete(a, outcome, true);
  }

  /** Completes with the fence; retries transient errors with backoff while `retry` and not stopped. */
  private async complete(a: WorkerAttempt, outcome: AttemptOutcome, retry: boolean): Promise<void> {
    let delay = 100;
    for (;;) {
      try {
        await this.completeBatched(a.claim.id, a.claim.fence, outcome); // reported as `completed` by the exchange
        return;
      } catch (e) {
        const give = !retry || this.stopped || !isTransientDbError(e);
        this.emit({ kind: 'error', message: `complete ${a.claim.id}: ${(e as Error).message}${give ? ' (given up: its lease expires and the attempt is retried)' : ''}` });
        if (give) return;
        await sleep(delay);
        delay = Math.min(5_000, delay * 2);
      }
    }
  }

  /** Queues a completion for the next exchange, which also claims into the slot it frees. */
  private completeBatched(attemptId: string, fence: number, outcome: AttemptOutcome): Promise<'applied' | 'discarded'> {
    return new Promise((resolve, reject) => {
      this.outbox.push({ item: { attemptId, fence, outcome }, resolve, reject });
      this.wantClaim = true;
      this.sync();
    });
  }

  /** Gives an attempt up: kills its process group at once. */
  private abandon(a: WorkerAttempt, cause: AbandonCause): void {
    if (a.ended || a.abandoned) return;
    a.abandoned = cause;
    if (!a.graceful.signal.aborted) a.graceful.abort('cancelled' satisfies AbortCause);
    a.force.abort('cancelled' satisfies AbortCause);
  }

  private heartbeat(): void {
    if (this.beating) {
      this.beatAgain = true;
      return;
    }
    this.beating = this.beatLoop().finally(() => (this.beating = undefined));
  }

  private async beatLoop(): Promise<void> {
    do {
      this.beatAgain = false;
      if (this.stopped) return;
      const sentAt = performance.now();
      const l = (this.o.sampleLoad ?? defaultLoad)();
      const load: WorkerLoad = { cpu: l.cpu, mem: l.memBytes, slotsInUse: this.attempts.size };
      let r;
      try {
        // Only what it still runs: an attempt whose completion it gave up on must expire.
        r = await this.fleet.heartbeatWorker(this.id, load, [...this.attempts.keys()]);
      } catch (e) {
        this.emit({ kind: 'error', message: `heartbeat: ${(e as Error).message}` });
        this.checkFence();
        return;
      }
      this.lastBeat = Math.max(this.lastBeat, sentAt);
      const renewed = new Set(r.renewed);
      for (const a of this.attempts.values()) {
        if (a.ended || a.abandoned || a.claimedAt >= sentAt || renewed.has(a.claim.id)) continue;
        this.emit({ kind: 'lease-lost', attemptId: a.claim.id });
        this.abandon(a, 'lease-lost');
      }
      for (const id of r.cancelled) {
        const a = this.attempts.get(id);
        if (!a || a.ended || a.graceful.signal.aborted) continue;
        this.emit({ kind: 'cancel-requested', attemptId: id });
        a.graceful.abort('cancelled' satisfies AbortCause);
      }
      if (this.fenced) {
        this.fenced = false;
        this.emit({ kind: 'unfenced' });
        this.wake();
      }
    } while (this.beatAgain);
  }

  /** Self-fencing: too long since the last successful heartbeat → claim nothing, kill everything. */
  private checkFence(): void {
    if (this.stopped || this.fenced) return;
    const since = performance.now() - this.lastBeat;
    if (since <= this.leaseMs - this.heartbeatMs) return;
    this.fenced = true;
    const killed: string[] = [];
    for (const a of this.attempts.values()) {
      if (a.ended || a.abandoned) continue;
      killed.push(a.claim.id);
      this.abandon(a, 'fenced');
    }
    this.emit({ kind: 'fenced', reason: `no successful heartbeat for ${formatMs(Math.round(since))}`, killed });
    // Heartbeats go on (timer); the first that succeeds lifts the fence.
    this.heartbeat();
  }

  private async reap(): Promise<void> {
    if (this.stopped) return;
    try {
      const reaped = await this.fleet.reapExpired();
      if (reaped.length) this.emit({ kind: 'reaped', attemptIds: reaped.map((r) => r.id) });
    } catch {
      // the heartbeat reports database trouble; the next round retries
    }
  }
}
