/**
 * @module runtime/throttle
 * Adaptive slots of one node (an engine that runs its own attempts, or a fleet worker): every
 * `intervalMs` on the node's clock, a host sample (./host-sampler.ts) goes to the AIMD
 * controller (core/throttle.ts) and a changed limit goes to the node (`Slots.setLimit`, the
 * worker's claim size) and to whoever listens (logs, the metric `baton_slots_limit`).
 */
import type { HostSample, ThrottleChange, ThrottleConfig, ThrottleState, ThrottleThresholds } from '../core/index.js';
import { DEFAULT_THROTTLE_THRESHOLDS, decideThrottle, initialThrottle } from '../core/index.js';
import type { CancelTimer, Clock } from './clock.js';
import { every } from './clock.js';
import type { HostReading, HostSampler } from './host-sampler.js';
import { hostSampler } from './host-sampler.js';

/**
 * How a node adapts its slots to its host. The thresholds are those of `--max-cpu`,
 * `--max-mem` and `--max-lag`; `false` (`--no-throttle`) keeps the slots fixed.
 */
export interface ThrottleOptions {
  /** CPU share of the machine above which slots shrink, 0..1. @default 0.8 */
  cpu?: number;
  /** Memory share in use above which slots shrink, 0..1. @default 0.8 */
  mem?: number;
  /** Event-loop delay p99 above which slots shrink, ms. @default 200 */
  lagMs?: number;
  /** Lowest limit (at least 1: the only machine there is never stalls). @default 1 */
  min?: number;
  /** Sampling and decision interval, ms. @default 1000 */
  intervalMs?: number;
  /** Factor of a decrease, in (0, 1). @default 0.7 */
  backoff?: number;
  /** The host sampler (tests pass readings of their own). @default hostSampler() */
  sampler?: HostSampler;
}

/** {@link ThrottleOptions} compiled: every default filled in; absent sampler means the host's. */
export interface CompiledThrottle extends Omit<ThrottleConfig, 'max'> {
  sampler?: HostSampler;
}

/** Thrown for throttle options that cannot work (a threshold not above 0, a factor outside (0, 1)). */
export class ThrottleOptionsError extends RangeError {}

/**
 * Fills in the defaults of {@link ThrottleOptions}; `false` gives undefined (no throttling).
 * @throws ThrottleOptionsError for a threshold ≤ 0, an interval ≤ 0 or a backoff outside (0, 1)
 */
export function compileThrottle(o: ThrottleOptions | false | undefined): CompiledThrottle | undefined {
  if (o === false) return undefined;
  const t = o ?? {};
  const thresholds: ThrottleThresholds = {
    cpu: t.cpu ?? DEFAULT_THROTTLE_THRESHOLDS.cpu,
    mem: t.mem ?? DEFAULT_THROTTLE_THRESHOLDS.mem,
    lagMs: t.lagMs ?? DEFAULT_THROTTLE_THRESHOLDS.lagMs,
  };
  const c: CompiledThrottle = {
    thresholds,
    min: Math.max(1, Math.floor(t.min ?? 1)),
    intervalMs: t.intervalMs ?? 1000,
    backoff: t.backoff ?? 0.7,
    ...(t.sampler ? { sampler: t.sampler } : {}),
  };
  for (const [k, v] of Object.entries({ ...thresholds, intervalMs: c.intervalMs })) {
    if (!(v > 0)) throw new ThrottleOptionsError(`throttle ${k} must be above 0, got ${v}`);
  }
  if (!(c.backoff > 0 && c.backoff < 1)) throw new ThrottleOptionsError(`throttle backoff must be in (0, 1), got ${c.backoff}`);
  return c;
}

/** Where a node's throttle is: what `baton workers`, the metrics and the logs show. */
export interface ThrottleStatus {
  /** Slots that may be in use now. */
  limit: number;
  /** The configured slots. */
  max: number;
  /** Why `limit` is below `max` (the last decrease's reason). */
  reason?: string;
  /** The last host sample; absent before the first. */
  sample?: HostReading;
}

/** A change of the limit, with the sample that decided it. */
export interface ThrottleEvent extends ThrottleChange {
  /** When, ms on the node's clock. */
  at: number;
  sample: HostSample;
}

/** Samples the host every interval and moves a node's limit by the AIMD rule. */
export class AdaptiveLimit {
  private state: ThrottleState;
  private last: HostReading | undefined;
  private timer: CancelTimer | undefined;
  private sampler: HostSampler | undefined;
  private readonly config: ThrottleConfig;

  constructor(
    max: number,
    private readonly o: CompiledThrottle,
    private readonly clock: Clock,
    /** Slots in use now. */
    private readonly inFlight: () => number,
    /** Told each change, after the limit moved. Must not throw. */
    private readonly onChange: (e: ThrottleEvent) => void,
  ) {
    this.config = { ...o, max };
    this.state = initialThrottle(this.config);
  }

  /** The limit now. */
  get limit(): number {
    return this.state.limit;
  }

  /** What the limit is and why. */
  status(): ThrottleStatus {
    return {
      limit: this.state.limit, max: this.config.max,
      ...(this.state.reason !== undefined ? { reason: this.state.reason } : {}),
      ...(this.last ? { sample: this.last } : {}),
    };
  }

  /** Starts sampling; a housekeeping timer that does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.sampler = this.o.sampler ?? hostSampler();
    this.timer = every(this.clock, this.o.intervalMs, () => this.tick(), { ref: false });
  }

  /** Stops sampling (the limit stays where it is). */
  stop(): void {
    this.timer?.();
    this.timer = undefined;
    if (!this.o.sampler) this.sampler?.close();
    this.sampler = undefined;
  }

  /** One sample and decision (the timer's; tests call it too). */
  tick(): void {
    if (!this.sampler) return;
    const sample = this.sampler.sample();
    this.last = sample;
    const now = this.clock.now();
    // The timer is the interval: a tick a little early (timer slack) still decides.
    const r = decideThrottle({ ...this.config, intervalMs: this.config.intervalMs / 2 }, this.state, sample, this.inFlight(), now);
    this.state = r.state;
    if (r.change) {
      try {
        this.onChange({ ...r.change, at: now, sample: { cpu: sample.cpu, mem: sample.mem, lagMs: sample.lagMs } });
      } catch {
        // a listener's failure must not stop the sampling
      }
    }
  }
}
