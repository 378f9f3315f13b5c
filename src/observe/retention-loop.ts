/**
 * @module observe/retention-loop
 * When retention runs: one pass under the store's leader lease (`retention`), so of all the
 * servers sharing a database one prunes at a time; the lease is renewed before every batch
 * and a pass that loses it stops where it stands (another node took over after it stalled
 * past the lease). In a server the pass comes back periodically on the process's clock
 * (a minute after start, then every ten minutes after the previous pass ended), so tests
 * drive it with a VirtualClock; `baton prune` runs one pass.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Store } from '../store/index.js';
import type { CancelTimer, Clock } from '../runtime/index.js';
import { errorMessage } from '../shared/index.js';
import type { Pruner, PruneReport } from './retention.js';

/** Name of the leader lease retention passes run under. */
export const RETENTION_LEASE = 'retention';

/** Options of {@link pruneUnderLease}. */
export interface LeasedPassOptions {
  store: Store;
  pruner: Pruner;
  /** Time of the pass and of the lease on SQLite. */
  clock: Clock;
  /** Who asks, unique per process. @default host:pid:random */
  holder?: string;
  /** How long the lease lasts unless renewed, ms (renewed before every batch). @default 120000 */
  leaseMs?: number;
  /** Asked before every batch besides the lease: false stops the pass (a stopping server). */
  keepGoing?: () => boolean;
}

/** A holder name unique to this process and call site. */
export function leaseHolder(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/**
 * One pass under the leader lease: skipped (`skipped` says why) when another process holds
 * it; the lease is given up at the end.
 */
export async function pruneUnderLease(o: LeasedPassOptions): Promise<PruneReport> {
  const rs = o.store.retention;
  const holder = o.holder ?? leaseHolder();
  const leaseMs = o.leaseMs ?? 120_000;
  const now = o.clock.now();
  if (!(await rs.tryLease(RETENTION_LEASE, holder, leaseMs, now))) {
    return {
      at: now, dryRun: false, skipped: 'another process holds the retention lease (it is pruning)',
      counts: { runs: { runs: 0, stepRuns: 0, attempts: 0, events: 0, batchGroups: 0, logFiles: 0, webhookDeliveries: 0 }, events: 0, logs: 0, extra: {} },
      batches: 0, elapsedMs: 0, warnings: [],
    };
  }
  let lost = false;
  try {
    const report = await o.pruner.prune(now, async () => {
      if (o.keepGoing && !o.keepGoing()) return false;
      if (await rs.tryLease(RETENTION_LEASE, holder, leaseMs, o.clock.now())) return true;
      lost = true;
      return false;
    });
    if (lost) report.warnings.push('the retention lease was lost (another process took it): stopped; the next pass goes on');
    return report;
  } finally {
    if (!lost) await rs.releaseLease(RETENTION_LEASE, holder).catch(() => undefined);
  }
}

/** Options of a {@link RetentionLoop}. */
export interface RetentionLoopOptions extends Omit<LeasedPassOptions, 'keepGoing'> {
  /** Between the end of a pass and the start of the next, ms. @default 600000 (10 min) */
  intervalMs?: number;
  /** From `start()` to the first pass, ms. @default 60000 (1 min) */
  firstDelayMs?: number;
  /** Each pass's report (skipped ones included). Must not throw. */
  report?: (r: PruneReport) => void;
  /** A pass that failed (the store unreachable); the loop goes on. Must not throw. */
  onError?: (message: string) => void;
}

/** A server's retention loop as its owner sees it (`RunningServer.retention`). */
export interface RetentionHandle {
  /** The pass in flight, if any (tests wait on it after advancing the clock). */
  readonly current: Promise<PruneReport | undefined> | undefined;
  /** Runs a pass now, unless one is running (then waits for that one); undefined when it failed. */
  runNow(): Promise<PruneReport | undefined>;
  /** Stops arming passes; a pass in flight stops before its next batch. */
  stop(): Promise<void>;
}

/** Runs retention passes periodically until stopped. */
export class RetentionLoop implements RetentionHandle {
  private timer: CancelTimer | undefined;
  private stopped = false;
  private running: Promise<PruneReport | undefined> | undefined;
  private readonly holder: string;

  constructor(private readonly o: RetentionLoopOptions) {
    this.holder = o.holder ?? leaseHolder();
  }

  /** Arms the first pass, `firstDelayMs` from now on the clock. */
  start(): void {
    this.arm(this.o.firstDelayMs ?? 60_000);
  }

  /** The pass in flight, if any (tests wait on it after advancing the clock). */
  get current(): Promise<PruneReport | undefined> | undefined {
    return this.running;
  }

  /** Runs a pass now, unless one is running (then waits for that one). */
  runNow(): Promise<PruneReport | undefined> {
    this.running ??= (async () => {
      try {
        const report = await pruneUnderLease({ ...this.o, holder: this.holder, keepGoing: () => !this.stopped });
        this.o.report?.(report);
        return report;
      } catch (e) {
        this.o.onError?.(`retention: ${errorMessage(e)}; the next pass retries`);
        return undefined;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Stops arming passes; a pass in flight stops before its next batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.();
    await this.running;
  }

  private arm(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimer(ms, () => {
      void this.runNow().then(() => this.arm(this.o.intervalMs ?? 600_000));
    });
  }
}
