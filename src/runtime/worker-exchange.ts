/**
 * @module runtime/worker-exchange
 * A worker's one conversation with the queue: completions out, claims in, one statement per
 * round (`FleetStore.completeAndClaim`). Each NOTIFYing commit takes a server-wide lock and
 * each round trip costs both ends CPU, so a busy worker sends one per event-loop turn
 * instead of a completion and a claim. Also the fallback poll; how many a round may claim
 * is the worker's adaptive limit (runtime/throttle.ts) minus what it holds.
 */
import type { AttemptOutcome, ClaimedAttempt, CompleteAndClaimResult, CompletionItem, FleetStore, LogChunkInput } from '../store/index.js';
import { coerceError } from '../shared/index.js';
import type { WorkerEvent } from './worker-options.js';
import type { CancelTimer, Clock } from './clock.js';

/** What the exchange needs from its worker. */
export interface ExchangeHost {
  readonly id: string;
  readonly fleet: FleetStore;
  readonly tags: string[];
  readonly leaseMs: number;
  /** Attempts the worker runs now (ended ones count until their completion is sent). */
  held(): number;
  /** False while draining, stopping, fenced or not started: the round claims nothing. */
  mayClaim(): boolean;
  /** Whether the fallback poll goes on (not draining or stopping). */
  polling(): boolean;
  /** Attempts it may hold now: `slots`, or fewer while the throttle holds it back (at least 1). */
  limit(): number;
  /** Starts a claimed attempt; `claimedAt` is `performance.now()` when the claim returned. */
  launch(claim: ClaimedAttempt, claimedAt: number): void;
  emit(e: WorkerEvent): void;
}

/** The exchange loop; one per worker. */
export class Exchange {
  /** Completions waiting for the next round. */
  private outbox: { item: CompletionItem; resolve: (r: 'applied' | 'discarded') => void; reject: (e: Error) => void }[] = [];
  /** The round loop in flight: one at a time, and a request meanwhile makes one more afterwards. */
  private syncing: Promise<void> | undefined;
  private syncAgain = false;
  private syncQueued = false;
  /** The next round claims too. */
  private wantClaim = false;
  private pollTimer: CancelTimer | undefined;
  private pollDelay: number;

  constructor(
    private readonly w: ExchangeHost,
    /** Fallback poll, ms; doubles while nothing is claimed, up to `maxPollMs`. */
    private readonly pollMs: number,
    private readonly maxPollMs: number,
    /** Times the fallback poll (the worker's clock). */
    private readonly clock: Clock,
  ) {
    this.pollDelay = pollMs;
  }

  /** Tries to claim, with the next round. */
  wake(): void {
    this.wantClaim = true;
    this.sync();
  }

  /**
   * Queues a completion for the next round, which also claims into the slot it frees;
   * `logChunks` (the attempt's last log bytes) are stored in the same statement.
   */
  complete(attemptId: string, fence: number, outcome: AttemptOutcome, logChunks?: LogChunkInput[]): Promise<'applied' | 'discarded'> {
    return new Promise((resolve, reject) => {
      this.outbox.push({ item: { attemptId, fence, outcome, ...(logChunks?.length ? { logChunks } : {}) }, resolve, reject });
      this.wake();
    });
  }

  /** Starts the fallback poll. */
  schedulePoll(): void {
    if (!this.w.polling()) return;
    this.pollTimer?.();
    this.pollTimer = this.clock.setTimer(this.pollDelay, () => {
      this.wake();
      this.schedulePoll();
    });
  }

  /** Stops the fallback poll (draining or stopping). */
  stopPolling(): void {
    this.pollTimer?.();
    this.pollTimer = undefined;
  }

  /** Resolves once the round in flight (if any) is done: a claim in flight launches its attempts. */
  async settled(): Promise<void> {
    await this.syncing;
  }

  /** Runs a round at the end of this event-loop turn, so the completions of one turn go together. */
  private sync(): void {
    if (this.syncing) {
      this.syncAgain = true;
      return;
    }
    if (this.syncQueued) return;
    this.syncQueued = true;
    setImmediate(() => {
      this.syncQueued = false;
      this.syncing = this.loop().finally(() => {
        this.syncing = undefined;
        if (this.syncAgain) this.sync();
      });
    });
  }

  /** Completes what ended and claims into the free slots, one statement per round. */
  private async loop(): Promise<void> {
    do {
      this.syncAgain = false;
      const batch = this.outbox;
      this.outbox = [];
      const wantClaim = this.wantClaim;
      this.wantClaim = false;
      // The attempts completed in this statement free their slots in it.
      const free = this.w.limit() - this.w.held() + batch.length;
      const max = wantClaim && free > 0 && this.w.mayClaim() ? free : 0;
      if (!batch.length && max === 0) continue;
      let r: CompleteAndClaimResult;
      try {
        r = await this.w.fleet.completeAndClaim(this.w.id, batch.map((b) => b.item),
          max > 0 ? { tags: this.w.tags, platform: process.platform, max, leaseMs: this.w.leaseMs } : undefined);
      } catch (e) {
        const err = coerceError(e);
        for (const b of batch) b.reject(err);
        if (max > 0) this.w.emit({ kind: 'error', message: `claim: ${err.message}` });
        continue;
      }
      // Reported before the claims of the same statement: the slots were freed first.
      batch.forEach((b, i) => {
        const result = r.results[i] ?? 'discarded';
        const { attemptId, outcome } = b.item;
        this.w.emit({
          kind: 'completed', attemptId, state: outcome.state, result,
          ...(outcome.error ? { error: `${outcome.error.type}: ${outcome.error.message}` } : {}),
        });
        b.resolve(result);
      });
      if (max === 0) continue;
      this.pollDelay = r.claimed.length ? this.pollMs : Math.min(this.maxPollMs, this.pollDelay * 2);
      const now = performance.now();
      for (const c of r.claimed) this.w.launch(c, now);
      // A full claim may have left more behind.
      if (r.claimed.length === max) {
        this.wantClaim = true;
        this.syncAgain = true;
      }
    } while (this.syncAgain);
  }
}
