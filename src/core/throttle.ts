/**
 * @module core/throttle
 * Adaptive throttling of a node's slots: an additive-increase / multiplicative-decrease
 * (AIMD) controller over host samples. Pure: the sample and the time are arguments; the
 * sampler and the timer that feed it live in runtime/throttle.ts.
 *
 * Each interval the node samples its host (CPU in use, memory in use, event-loop lag). When
 * any of them is over its threshold, the limit is multiplied by `backoff` (never below
 * `min`); otherwise it grows by one, up to `max`, the configured slots. Lowering the limit
 * never stops running attempts: the node only starts fewer new ones until it recovers.
 *
 * The recent error rate of attempts is not a signal: most failures are the step's own (a
 * user's bug), and throttling a machine for them would slow every other run down; the
 * infrastructure failures (lost attempts, timeouts) are rare enough that the host sample
 * sees the same pressure first.
 */

/** What the controller compares with its thresholds: one sample of the host and the process. */
export interface HostSample {
  /** CPU in use over the last interval, 0..1 of the whole machine (all cores). */
  cpu: number;
  /** Memory in use (total minus available), 0..1 of the machine's memory. */
  mem: number;
  /** 99th percentile of the event-loop delay over the last interval, ms. */
  lagMs: number;
}

/** Limits above which the host counts as overloaded; a value ≥ the largest possible turns a signal off. */
export interface ThrottleThresholds {
  /** CPU share, 0..1. @default 0.8 */
  cpu: number;
  /** Memory share, 0..1. @default 0.8 */
  mem: number;
  /** Event-loop lag p99, ms. @default 200 */
  lagMs: number;
}

/** The default thresholds: 80 % CPU, 80 % memory, 200 ms of event-loop lag. */
export const DEFAULT_THROTTLE_THRESHOLDS: Readonly<ThrottleThresholds> = { cpu: 0.8, mem: 0.8, lagMs: 200 };

/** How the controller moves the limit. */
export interface ThrottleConfig {
  /** Lowest limit, ≥ 1 so that the only machine there is never stalls. @default 1 */
  min: number;
  /** Highest limit: the configured slots. */
  max: number;
  /** Least time between two changes, ms: at most one step per sampling interval. @default 1000 */
  intervalMs: number;
  /** Factor of a decrease, in (0, 1). @default 0.7 */
  backoff: number;
  thresholds: ThrottleThresholds;
}

/** The controller's state between samples. */
export interface ThrottleState {
  /** Slots that may be in use now, `min..max`. */
  limit: number;
  /** When the limit was last decided (changed or kept), ms; absent before the first sample. */
  decidedAt?: number;
  /** Why the limit is below `max` (the last decrease's reason); absent at `max`. */
  reason?: string;
}

/** One change of the limit, for events, logs and metrics. */
export interface ThrottleChange {
  from: number;
  to: number;
  /** What decided it: `cpu 93 % > 80 %`, `memory 85 % > 80 %`, `event-loop lag 250 ms > 200 ms` or `recovered`. */
  reason: string;
}

/** The initial state: the limit at `max`. */
export function initialThrottle(config: Pick<ThrottleConfig, 'max'>): ThrottleState {
  return { limit: config.max };
}

/**
 * Why the sample is over a threshold (the first of CPU, memory, lag that is), or undefined.
 * @example overload({ cpu: 0.93, mem: 0.2, lagMs: 3 }, DEFAULT_THROTTLE_THRESHOLDS) // 'cpu 93 % > 80 %'
 */
export function overload(s: HostSample, t: ThrottleThresholds): string | undefined {
  const pct = (x: number): string => `${Math.round(x * 100)} %`;
  if (s.cpu > t.cpu) return `cpu ${pct(s.cpu)} > ${pct(t.cpu)}`;
  if (s.mem > t.mem) return `memory ${pct(s.mem)} > ${pct(t.mem)}`;
  if (s.lagMs > t.lagMs) return `event-loop lag ${Math.round(s.lagMs)} ms > ${Math.round(t.lagMs)} ms`;
  return undefined;
}

/**
 * One decision of the AIMD controller at time `now` (ms). Within `intervalMs` of the last
 * decision nothing changes (a sample arriving early, a second caller). Over a threshold the
 * limit becomes `max(min, floor(base × backoff))`, where `base` is the smaller of the limit
 * and the slots in use (at least `min`): a limit far above what runs (256 slots, 3 running)
 * would otherwise take many intervals to bite. Otherwise it grows by 1 up to `max`.
 * `inFlight` is the number of slots in use now.
 * @returns the next state, and the change if the limit moved.
 * @see https://github.com/Netflix/concurrency-limits/blob/master/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/AIMDLimit.java
 *   (Netflix concurrency-limits `AIMDLimit`: +1 while fine, × backoff ratio on a drop)
 */
export function decideThrottle(
  config: ThrottleConfig,
  state: ThrottleState,
  sample: HostSample,
  inFlight: number,
  now: number,
): { state: ThrottleState; change?: ThrottleChange } {
  if (state.decidedAt !== undefined && now - state.decidedAt < config.intervalMs) return { state };
  const min = Math.max(1, Math.min(config.min, config.max));
  const why = overload(sample, config.thresholds);
  const from = state.limit;
  if (why !== undefined) {
    const base = Math.min(from, Math.max(inFlight, min));
    const to = Math.max(min, Math.floor(base * config.backoff));
    if (to === from) return { state: { ...state, decidedAt: now, reason: why } };
    return { state: { limit: to, decidedAt: now, reason: why }, change: { from, to, reason: why } };
  }
  const to = Math.min(config.max, from + 1);
  const next: ThrottleState = { limit: to, decidedAt: now, ...(to < config.max && state.reason !== undefined ? { reason: state.reason } : {}) };
  return to === from ? { state: next } : { state: next, change: { from, to, reason: 'recovered' } };
}
