import { DEFAULT_AGING_MS } from '../core/index.js';
import { HandlerPool } from '../executors/index.js';
import type { FleetStore, Store } from '../store/index.js';
import os from 'node:os';
import type { Clock } from './clock.js';
import { clockFrom, realClock } from './clock.js';
import type { CompiledThrottle, ThrottleOptions } from './throttle.js';
import { compileThrottle } from './throttle.js';

/** Options of `createEngine`. Every field but `store` and `dataDir` has a default. */
export interface EngineOptions {
  /** Where runs are recorded; the engine does not close it. */
  store: Store;
  /** Folder for attempt logs (`logs/`) and output files (`outputs/`). Usually `./.baton`. */
  dataDir: string;
  /** Attempts running at once in this engine, across runs. @default 256 */
  slots?: number;
  /**
   * Waiting time worth one priority level, ms: orders this engine's ready queue and, in fleet
   * mode, the attempts it publishes (their `priority_key`). @default 10000 (core/aging.ts)
   */
  agingMs?: number;
  /** Time between SIGTERM and SIGKILL when a shell step is stopped, ms. @default 5000 */
  graceMs?: number;
  /** Bytes of log kept per attempt. @default 10485760 (10 MiB) */
  logCapBytes?: number;
  /** Largest step output, bytes of JSON. @default 1048576 (1 MiB) */
  maxOutputBytes?: number;
  /** How long a run stays held by this process without a heartbeat, ms. @default 15000 */
  leaseMs?: number;
  /** Heartbeat period: lease renewal and the check for cancel requests from other processes, ms. @default 1000 */
  heartbeatMs?: number;
  /** Lost tries of one step run tolerated before it fails. @default 3 */
  maxLostAttempts?: number;
  /**
   * The engine's time and timers: every timestamp it records and every timer it sets
   * (attempt and run timeouts, retry backoff, heartbeats, commit retries) go through it, so
   * a test passes a `VirtualClock` and advances it instead of sleeping. A bare function is
   * read as `now()` (ms since the epoch) with real timers.
   * @default realClock (`Date.now`, monotonic timers of any length)
   */
  clock?: Clock | (() => number);
  /** Uniform [0,1) source for backoff jitter. @default Math.random */
  random?: () => number;
  /**
   * Fleet mode (PostgreSQL): this engine coordinates its runs and publishes their attempts
   * to `baton worker` processes instead of running them (batch steps and inline handlers
   * still run here). Absent: every attempt runs in this process.
   */
  fleet?: FleetStore;
  /** In fleet mode, how often to look for completions a lost NOTIFY did not announce, ms. @default 1000 */
  fleetPollMs?: number;
  /**
   * In fleet mode, how long a published attempt of a step without its own `queue-timeout`
   * may wait for a worker to claim it, ms of database time; then this coordinator fails it
   * with type `unclaimed`, naming the tags no live worker has. Generous: a fleet being
   * scaled up or redeployed is not a failure. @default 3600000 (1 h)
   */
  queueTimeoutMs?: number;
  /**
   * The worker threads `uses: ./module.ts#export` handlers run in (README "Handlers"); shared
   * with a fleet worker in the same process. The caller closes a pool it passes.
   * @default a pool of `slots` threads at most, started on first use, closed by `close()`
   */
  handlerPool?: HandlerPool;
  /**
   * Adaptive slots (runtime/throttle.ts): the limit shrinks while the host is over a CPU,
   * memory or event-loop lag threshold and grows back by one a second. Only for an engine
   * that runs its attempts itself: in fleet mode the workers throttle their claims.
   * `baton run` and `baton server` turn it on (`--no-throttle` does not).
   * @default false (the slots stay as configured)
   */
  throttle?: ThrottleOptions | false;
  /**
   * Cores the `kind:` pools are sized from: `kind: cpu` steps run at most max(1, floor(0.75 ×
   * cores)) at once, `kind: io` ones 2 × cores, within `slots` (runtime/slots.ts). Not in
   * fleet mode, where each worker runs what it claims. @default os.availableParallelism()
   */
  cores?: number;
}

/** `EngineOptions` with every default filled in; the only options type inside the engine. */
export type CompiledEngineOptions = Required<Omit<EngineOptions, 'fleet' | 'clock' | 'throttle'>> & {
  clock: Clock;
  /** Absent: the slots stay fixed. */
  throttle?: CompiledThrottle;
  fleet?: FleetStore;
  /** Whether the engine made `handlerPool` (and so closes it). */
  ownsHandlerPool: boolean;
};

/** Fills in defaults and checks ranges. @throws RangeError on a non-positive limit. */
export function compileEngineOptions(o: EngineOptions): CompiledEngineOptions {
  const c: CompiledEngineOptions = {
    store: o.store,
    dataDir: o.dataDir,
    slots: o.slots ?? 256,
    agingMs: o.agingMs ?? DEFAULT_AGING_MS,
    graceMs: o.graceMs ?? 5_000,
    logCapBytes: o.logCapBytes ?? 10 * 1024 * 1024,
    maxOutputBytes: o.maxOutputBytes ?? 1024 * 1024,
    leaseMs: o.leaseMs ?? 15_000,
    heartbeatMs: o.heartbeatMs ?? 1_000,
    maxLostAttempts: o.maxLostAttempts ?? 3,
    clock: o.clock === undefined ? realClock : typeof o.clock === 'function' ? clockFrom(o.clock) : o.clock,
    random: o.random ?? Math.random,
    fleetPollMs: o.fleetPollMs ?? 1_000,
    queueTimeoutMs: o.queueTimeoutMs ?? 3_600_000,
    ...(o.fleet ? { fleet: o.fleet } : {}),
    handlerPool: o.handlerPool ?? new HandlerPool({ maxThreads: o.slots ?? 256 }),
    ownsHandlerPool: o.handlerPool === undefined,
    cores: o.cores ?? os.availableParallelism(),
  };
  const throttle = o.fleet ? undefined : compileThrottle(o.throttle ?? false);
  if (throttle) c.throttle = throttle;
  for (const k of ['slots', 'cores', 'agingMs', 'leaseMs', 'heartbeatMs', 'logCapBytes', 'maxOutputBytes', 'queueTimeoutMs'] as const) {
    if (!(c[k] > 0)) throw new RangeError(`engine option ${k} must be > 0, got ${c[k]}`);
  }
  return c;
}
