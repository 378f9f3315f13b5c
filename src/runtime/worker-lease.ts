/**
 * @module runtime/worker-lease
 * A worker's side of its leases: the heartbeat that renews them all (and learns cancel
 * requests), self-fencing when heartbeats stop succeeding, and the fleet housekeeping every
 * live node shares (reaping expired leases, pruning long-gone worker rows).
 */
import type { AbortCause } from '../executors/index.js';
import type { FleetStore, WorkerLoad } from '../store/index.js';
import { WORKER_RETENTION_MS } from '../store/index.js';
import { errorMessage } from '../shared/index.js';
import { formatMs } from './attempts.js';
import type { AbandonCause, WorkerAttempt } from './worker-attempt.js';
import type { WorkerEvent } from './worker-options.js';

/** What the lease keeper needs from its worker. */
export interface LeaseHost {
  readonly id: string;
  readonly fleet: FleetStore;
  readonly attempts: ReadonlyMap<string, WorkerAttempt>;
  /** True once stopping: no more heartbeats or housekeeping. */
  stopping(): boolean;
  /** What the heartbeat reports of the host and the throttle (`WorkerLoad` without `slotsInUse`). */
  load(): Omit<WorkerLoad, 'slotsInUse'>;
  abandon(a: WorkerAttempt, cause: AbandonCause): void;
  /** Claims again (the fence was lifted). */
  wake(): void;
  emit(e: WorkerEvent): void;
}

/**
 * Heartbeats, self-fencing, reaping and pruning of one worker. **Fenced** is a condition of
 * the worker's health, not of its lifecycle: a running or a draining worker can be fenced
 * (no successful heartbeat for `leaseMs - heartbeatMs`), and it is lifted by the first
 * heartbeat that succeeds.
 */
export class LeaseKeeper {
  private beating: Promise<void> | undefined;
  private beatAgain = false;
  /** `performance.now()` when the last successful heartbeat was sent. */
  private lastBeat = 0;
  private fencedNow = false;
  /** `performance.now()` of the last prune; every `pruneMs`. */
  private lastPrune = -Infinity;

  constructor(
    private readonly w: LeaseHost,
    private readonly leaseMs: number,
    private readonly heartbeatMs: number,
    /** How long stopped or lost worker rows are kept, ms. */
    private readonly retentionMs = WORKER_RETENTION_MS,
    /** How often this worker prunes, ms: often enough that the list stays short, rarely enough to cost nothing. */
    private readonly pruneMs = Math.min(3_600_000, Math.max(1_000, retentionMs / 24)),
  ) {}

  /** No heartbeat succeeded for too long: claims nothing, runs nothing. */
  get fenced(): boolean {
    return this.fencedNow;
  }

  /** The registration counts as a heartbeat sent at `sentAt` (`performance.now()`). */
  registered(sentAt: number): void {
    this.lastBeat = sentAt;
  }

  /** Resolves once the heartbeat in flight (if any) is done. */
  async settled(): Promise<void> {
    await this.beating;
  }

  /** Sends a heartbeat now; one at a time, and a request meanwhile makes one more afterwards. */
  heartbeat(): void {
    if (this.beating) {
      this.beatAgain = true;
      return;
    }
    // A request that came after the loop's last check, but before it let go (a virtual
    // clock advanced between microtasks), is not lost: it starts the next loop.
    this.beating = this.beatLoop().finally(() => {
      this.beating = undefined;
      if (this.beatAgain) this.heartbeat();
    });
  }

  private async beatLoop(): Promise<void> {
    do {
      this.beatAgain = false;
      if (this.w.stopping()) return;
      const sentAt = performance.now();
      const load: WorkerLoad = { ...this.w.load(), slotsInUse: this.w.attempts.size };
      let r;
      try {
        // Only what it still runs: an attempt whose completion it gave up on must expire.
        r = await this.w.fleet.heartbeatWorker(this.w.id, load, [...this.w.attempts.keys()]);
      } catch (e) {
        this.w.emit({ kind: 'error', message: `heartbeat: ${errorMessage(e)}` });
        this.checkFence();
        return;
      }
      this.lastBeat = Math.max(this.lastBeat, sentAt);
      const renewed = new Set(r.renewed);
      for (const a of this.w.attempts.values()) {
        if (a.ended || a.abandoned || a.claimedAt >= sentAt || renewed.has(a.claim.id)) continue;
        this.w.emit({ kind: 'lease-lost', attemptId: a.claim.id });
        this.w.abandon(a, 'lease-lost');
      }
      for (const id of r.cancelled) {
        const a = this.w.attempts.get(id);
        if (!a || a.ended || a.graceful.signal.aborted) continue;
        this.w.emit({ kind: 'cancel-requested', attemptId: id });
        a.graceful.abort('cancelled' satisfies AbortCause);
      }
      if (this.fencedNow) {
        this.fencedNow = false;
        this.w.emit({ kind: 'unfenced' });
        this.w.wake();
      }
    } while (this.beatAgain);
  }

  /** Self-fencing: too long since the last successful heartbeat → claim nothing, kill everything. */
  checkFence(): void {
    if (this.w.stopping() || this.fencedNow) return;
    const since = performance.now() - this.lastBeat;
    if (since <= this.leaseMs - this.heartbeatMs) return;
    this.fencedNow = true;
    const killed: string[] = [];
    for (const a of this.w.attempts.values()) {
      if (a.ended || a.abandoned) continue;
      killed.push(a.claim.id);
      this.w.abandon(a, 'fenced');
    }
    this.w.emit({ kind: 'fenced', reason: `no successful heartbeat for ${formatMs(Math.round(since))}`, killed });
    // Heartbeats go on (timer); the first that succeeds lifts the fence.
    this.heartbeat();
  }

  /**
   * The housekeeping any live node does: makes expired leases `lost`, and now and then
   * deletes worker rows stopped or lost longer than the retention.
   */
  async reap(): Promise<void> {
    if (this.w.stopping()) return;
    try {
      const reaped = await this.w.fleet.reapExpired();
      if (reaped.length) this.w.emit({ kind: 'reaped', attemptIds: reaped.map((r) => r.id) });
      const now = performance.now();
      if (now - this.lastPrune >= this.pruneMs) {
        this.lastPrune = now;
        const pruned = await this.w.fleet.pruneWorkers(this.retentionMs);
        if (pruned) this.w.emit({ kind: 'pruned', workers: pruned });
      }
    } catch {
      // the heartbeat reports database trouble; the next round retries
    }
  }
}
