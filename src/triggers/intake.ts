/**
 * @module triggers/intake
 * Backpressure on intake: new runs from the API, webhooks and schedule ticks are refused
 * while too many runs wait to start. The depth is the store's (`Store.api.waitingRuns`), so
 * every server sharing a PostgreSQL database judges the same number; it is read at most once
 * per `cacheMs` (a flood of requests costs one COUNT a second), and each admission this
 * server makes between two reads counts as one more waiting run, so one server never admits
 * past the limit however many requests arrive at once. Runs already admitted — delayed runs
 * coming due, retries, sub-workflow children, batch items, `baton run` in a terminal — are
 * not intake and never pass through here.
 */
import type { Store } from '../store/index.js';
import type { BackpressureLimits } from '../workflow/index.js';
import { BatonError } from '../shared/index.js';

/** Where a new run came from: `POST /api/v1/runs`, `POST /hooks/{workflow}`, or a schedule tick. */
export type IntakeSource = 'api' | 'webhook' | 'schedule';

/** Every {@link IntakeSource}, for metrics labels. */
export const INTAKE_SOURCES: readonly IntakeSource[] = ['api', 'webhook', 'schedule'];

const grouped = new Intl.NumberFormat('en-US');

/**
 * A new run refused because `depth` runs wait to start and the limit is `limit`. The API
 * answers it with 429 and `Retry-After: retryAfterSec`; a refused schedule tick is recorded
 * as missed with outcome `skipped-backpressure`.
 */
export class IntakeRefusedError extends BatonError {
  constructor(
    /** What asked for the run. */
    readonly source: IntakeSource,
    /** Runs waiting to start as this server counted them. */
    readonly depth: number,
    /** The `backpressure.reject` limit. */
    readonly limit: number,
    /** Seconds the client is told to wait (`Retry-After`). */
    readonly retryAfterSec: number,
  ) {
    super('intake-refused', `intake refused: ${grouped.format(depth)} runs are queued (limit ${grouped.format(limit)}); retry after ${retryAfterSec} s`);
  }
}

/** Options of {@link IntakeGate}. */
export interface IntakeGateOptions {
  /** Where the depth is counted. */
  store: Pick<Store, 'api'>;
  /** Thresholds; only `reject` and `retryAfterMs` matter here (alerts read the others). */
  limits: BackpressureLimits;
  /**
   * Time for the cache, ms. The cache spares the store, so it runs on real (monotonic)
   * time even when the process's clock is virtual. @default performance.now
   */
  now?: () => number;
  /** How long a read of the depth is used, ms. @default 1000 */
  cacheMs?: number;
  /** Each refusal (metrics). Must not throw. */
  onRefused?: (e: IntakeRefusedError) => void;
}

/** Admits or refuses new runs by the depth of runs waiting to start. */
export class IntakeGate {
  /** The last read. */
  private count = 0;
  private readAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<void> | undefined;
  /** Admissions that finished, ever; and how many had finished when the last read began. */
  private completed = 0;
  private completedAtRead = 0;
  /** Admissions whose run is being created. */
  private inFlight = 0;
  private readonly cacheMs: number;
  private readonly now: () => number;

  constructor(private readonly o: IntakeGateOptions) {
    this.cacheMs = o.cacheMs ?? 1000;
    this.now = o.now ?? (() => performance.now());
  }

  /** The thresholds in force. */
  get limits(): BackpressureLimits {
    return this.o.limits;
  }

  /**
   * Runs waiting to start as this server counts them: the last read (at most `cacheMs` old),
   * plus what it admitted since that read began, plus what it is admitting. Admissions that
   * overlap a read may be counted twice until the next one: the error is on the side of
   * refusing. @throws the store's error
   */
  async depth(): Promise<number> {
    await this.fresh();
    return this.estimate();
  }

  private estimate(): number {
    return this.count + (this.completed - this.completedAtRead) + this.inFlight;
  }

  private async fresh(): Promise<void> {
    if (this.now() - this.readAt < this.cacheMs) return;
    // One read at a time: a flood of requests waits on the same query.
    this.reading ??= (async () => {
      const before = this.completed;
      try {
        const n = await this.o.store.api.waitingRuns();
        this.count = n;
        this.completedAtRead = before;
        this.readAt = this.now();
      } finally {
        this.reading = undefined;
      }
    })();
    await this.reading;
  }

  /**
   * Refuses when the depth is at `reject` or above; otherwise runs `create` with a place
   * held for its run, so concurrent admissions cannot all see room for one.
   * @param created - whether `create`'s result made a run (a tick another server recorded
   *   did not). @default every result
   * @throws IntakeRefusedError when refused (`create` is not called); what `create` throws.
   */
  async admit<T>(source: IntakeSource, create: () => Promise<T>, created: (r: T) => boolean = () => true): Promise<T> {
    await this.fresh();
    // No await between the check and the hold: the check sees every admission before it.
    const depth = this.estimate();
    if (depth >= this.o.limits.reject) {
      const e = new IntakeRefusedError(source, depth, this.o.limits.reject, Math.max(1, Math.ceil(this.o.limits.retryAfterMs / 1000)));
      this.o.onRefused?.(e);
      throw e;
    }
    this.inFlight++;
    try {
      const r = await create();
      if (created(r)) this.completed++;
      return r;
    } finally {
      this.inFlight--;
    }
  }
}
