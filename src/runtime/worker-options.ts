/**
 * @module runtime/worker-options
 * What `baton worker` (./worker.ts) is configured with and reports, and the helpers it
 * decides with (which database errors are worth retrying).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { AttemptOutcome, FleetStore, LogStore, WorkerFacts } from '../store/index.js';
import { WORKER_RETENTION_MS } from '../store/index.js';
import { HandlerPool } from '../executors/index.js';
import { BatonError } from '../shared/index.js';
import type { Clock } from './clock.js';
import { realClock } from './clock.js';
import { machineFacts } from './worker-detect.js';
import type { HostReading, HostSampler } from './host-sampler.js';
import { hostSampler } from './host-sampler.js';
import type { CompiledThrottle, ThrottleOptions, ThrottleStatus } from './throttle.js';
import { compileThrottle } from './throttle.js';

/** Options of `createWorker`. */
export interface WorkerOptions {
  fleet: FleetStore;
  /** baton version, announced with the registration. */
  version: string;
  /** Attempts run at once. @default os.availableParallelism() */
  slots?: number;
  /**
   * Capabilities (`docker`, `gpu`); the platform counts as one too. Taken as given: the
   * detection of `baton worker` (runtime/worker-detect.ts) is its caller's choice. @default []
   */
  tags?: string[];
  /** The machine's facts, registered with the worker for people to read. @default machineFacts() */
  facts?: WorkerFacts;
  /** Lease of each claim, renewed by every heartbeat, ms. @default 30000 */
  leaseMs?: number;
  /** Heartbeat interval, ms; less than `leaseMs`. @default 10000 */
  heartbeatMs?: number;
  /** Fallback poll interval, ms; doubles while idle up to `maxPollMs`. @default 1000 */
  pollMs?: number;
  /** @default 5000 */
  maxPollMs?: number;
  /** Reaper interval, ms. @default leaseMs / 3 */
  reapMs?: number;
  /** SIGTERM → SIGKILL grace of a stopped step, and default drain grace, ms. @default 5000 */
  graceMs?: number;
  /** Bytes of log kept per attempt. @default 10 MiB */
  logCapBytes?: number;
  /** Largest output, bytes of JSON. @default 1 MiB */
  maxOutputBytes?: number;
  /**
   * Adaptive slots (runtime/throttle.ts): every `intervalMs` the worker samples its host and
   * the number of attempts it claims at once moves by AIMD between 1 and `slots`: × 0.7
   * while CPU, memory or event-loop lag is over its threshold, + 1 otherwise. It never drops
   * below one, so the fleet's only machine never stalls. `false` keeps `slots` fixed.
   * @default {} (80 % CPU, 80 % memory, 200 ms lag, every second)
   */
  throttle?: ThrottleOptions | false;
  /** The throttle's CPU threshold, 0..1 of the machine (`--max-cpu`); overrides `throttle.cpu`. @default 0.8 */
  cpuThreshold?: number;
  /** The throttle's memory threshold, 0..1 in use (`--max-mem`); overrides `throttle.mem`. @default 0.8 */
  memThreshold?: number;
  /**
   * How long rows of stopped or lost workers stay in `baton workers`, ms; older ones are
   * pruned by every worker's housekeeping. @default WORKER_RETENTION_MS (24 h)
   */
  workerRetentionMs?: number;
  /** @default `<host>:<pid>:<random>` */
  id?: string;
  /** Folder for `$BATON_OUTPUT` files. @default a fresh folder under os.tmpdir(), removed on stop */
  outputDir?: string;
  /**
   * Folder of this worker's attempt logs, laid out as an engine's (`<run>/<step>.<n>.log`):
   * the worker's own machine, not the coordinator's path, which another machine may not
   * have or may not let it write. @default the path the coordinator chose (the task's `logPath`)
   */
  logDir?: string;
  /**
   * Where attempt logs are shipped as they are written (the store's `logs`, PostgreSQL),
   * so other nodes can read them; see runtime/log-shipper.ts. @default not shipped
   */
  logs?: LogStore;
  /**
   * The timers of the worker's time rules: heartbeats, self-fencing checks, the reaper, the
   * fallback poll and its backoff, attempt timeouts, completion retries and the grace periods
   * of drain and stop. Tests pass a `VirtualClock` and advance it. Elapsed time that guards
   * the lease (since the last acknowledged heartbeat, since a claim) is still measured on the
   * monotonic `performance.now()`, which no clock setting can move. @default the wall clock
   */
  clock?: Clock;
  /**
   * Load sampler (tests): the whole host sample, event-loop lag counted as 0.
   * @default the host's (runtime/host-sampler.ts: /proc/stat, /proc/meminfo, event-loop delay)
   */
  sampleLoad?: () => LoadSample;
  /** Called with what the worker does, for logs. Must not throw. */
  report?: (e: WorkerEvent) => void;
  /**
   * The worker threads the handlers it runs go to (README "Handlers"): `baton server` shares
   * its engine's. The caller closes a pool it passes.
   * @default a pool of `slots` threads at most, started on first use, closed by `stop()`
   */
  handlerPool?: HandlerPool;
}

/**
 * {@link WorkerOptions} with every default filled in: the only options type inside the worker
 * (the "options compiled once" rule). `outputDir` stays optional: absent, the worker makes a
 * folder of its own and removes it on stop.
 */
export type CompiledWorkerOptions = Required<Omit<WorkerOptions, 'outputDir' | 'report' | 'logDir' | 'logs' | 'throttle' | 'sampleLoad' | 'cpuThreshold' | 'memThreshold'>> & Pick<WorkerOptions, 'outputDir' | 'report' | 'logDir' | 'logs'> & {
  /** The throttle, with its sampler; absent with `throttle: false`. */
  throttle?: CompiledThrottle;
  /** What heartbeats report: the throttle's last reading, or a fresh one without a throttle. */
  sampler: HostSampler;
  /** Whether the worker made `handlerPool` (and so closes it on stop). */
  ownsHandlerPool: boolean;
};

/** Thrown for worker options that cannot work (no slot, a heartbeat not shorter than the lease). */
export class WorkerOptionsError extends BatonError {
  constructor(message: string) {
    super('worker-options', message);
  }
}

/**
 * Fills in the defaults written in {@link WorkerOptions}' TSDoc, once.
 * @throws WorkerOptionsError when `slots` < 1, `heartbeatMs` is not in (0, `leaseMs`) or a
 *   throttle threshold is not above 0
 */
export function compileWorkerOptions(o: WorkerOptions): CompiledWorkerOptions {
  const leaseMs = o.leaseMs ?? 30_000;
  const given = o.sampleLoad;
  const sampler: HostSampler = (o.throttle ? o.throttle.sampler : undefined)
    ?? (given ? { sample: () => readingOf(given()), close: () => undefined } : hostSampler());
  let throttle: CompiledThrottle | undefined;
  try {
    throttle = o.throttle === false ? undefined : compileThrottle({
      ...o.throttle,
      ...(o.cpuThreshold !== undefined ? { cpu: o.cpuThreshold } : {}),
      ...(o.memThreshold !== undefined ? { mem: o.memThreshold } : {}),
      sampler,
    });
  } catch (e) {
    sampler.close();
    throw new WorkerOptionsError((e as Error).message);
  }
  const pollMs = o.pollMs ?? 1_000;
  const c: CompiledWorkerOptions = {
    ...(throttle ? { throttle } : {}),
    fleet: o.fleet,
    version: o.version,
    slots: o.slots ?? os.availableParallelism(),
    tags: o.tags ?? [],
    facts: o.facts ?? machineFacts(),
    leaseMs,
    heartbeatMs: o.heartbeatMs ?? 10_000,
    pollMs,
    maxPollMs: Math.max(pollMs, o.maxPollMs ?? 5_000),
    reapMs: o.reapMs ?? Math.max(10, leaseMs / 3),
    graceMs: o.graceMs ?? 5_000,
    logCapBytes: o.logCapBytes ?? 10 * 1024 * 1024,
    maxOutputBytes: o.maxOutputBytes ?? 1024 * 1024,
    workerRetentionMs: o.workerRetentionMs ?? WORKER_RETENTION_MS,
    id: o.id ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
    sampler,
    clock: o.clock ?? realClock,
    ...(o.outputDir !== undefined ? { outputDir: o.outputDir } : {}),
    ...(o.report !== undefined ? { report: o.report } : {}),
    ...(o.logDir !== undefined ? { logDir: o.logDir } : {}),
    ...(o.logs !== undefined ? { logs: o.logs } : {}),
    handlerPool: o.handlerPool ?? new HandlerPool({ maxThreads: o.slots ?? os.availableParallelism() }),
    ownsHandlerPool: o.handlerPool === undefined,
  };
  if (!(c.slots >= 1)) throw new WorkerOptionsError(`slots must be at least 1, got ${c.slots}`);
  if (!(c.heartbeatMs > 0 && c.heartbeatMs < c.leaseMs)) {
    throw new WorkerOptionsError(`the heartbeat (${c.heartbeatMs} ms) must be shorter than the lease (${c.leaseMs} ms)`);
  }
  return c;
}

/** A load sample. */
export interface LoadSample {
  /** CPU use, 0..1 of the machine. */
  cpu: number;
  /** Fraction of memory in use, 0..1. */
  memFraction: number;
  /** Memory in use, bytes. */
  memBytes: number;
}

/** What a worker reports. */
export type WorkerEvent =
  | { kind: 'started'; workerId: string; slots: number; tags: string[]; platform: string; facts: WorkerFacts }
  | { kind: 'claimed'; attemptId: string; runId: string; stepId: string; fence: number }
  | { kind: 'completed'; attemptId: string; state: AttemptOutcome['state']; result: 'applied' | 'discarded'; error?: string }
  | { kind: 'lease-lost'; attemptId: string }
  | { kind: 'cancel-requested'; attemptId: string }
  | { kind: 'fenced'; reason: string; killed: string[] }
  | { kind: 'unfenced' }
  /** The throttle moved the slots it claims into: `reason` is `cpu 93 % > 80 %`, … or `recovered`. */
  | { kind: 'throttle'; from: number; to: number; reason: string; cpu: number; mem: number }
  | { kind: 'reaped'; attemptIds: string[] }
  | { kind: 'pruned'; workers: number }
  | { kind: 'draining'; running: number }
  | { kind: 'stopped' }
  | { kind: 'error'; message: string };

/** A running worker. */
export interface Worker {
  readonly id: string;
  /** Registers, listens, and starts claiming. */
  start(): Promise<void>;
  /** Stops claiming, waits up to `graceMs` for running attempts, kills the rest, stops. */
  drain(graceMs?: number): Promise<void>;
  /** Stops at once: kills running attempts (completed failed/retryable, best effort). */
  stop(): Promise<void>;
  /** Attempt ids running now. */
  running(): string[];
  /** Where its adaptive slots are (limit, max, why, last sample); undefined with `throttle: false`. */
  throttle(): ThrottleStatus | undefined;
  /**
   * Log bytes this worker stored in `logs` so far (0 without it): the count behind a
   * `baton_log_bytes_shipped_total` counter, for a process that exposes metrics.
   */
  readonly logBytesShipped: number;
}

/**
 * True for errors worth retrying: connection failures and transient SQLSTATE classes (08
 * connection, 40 rollback, 53 resources, 57P shutdown, and 55000 "database is not accepting
 * connections", which a database being restarted or closed for maintenance answers).
 */
export function isTransientDbError(e: unknown): boolean {
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|40|53|57P|55000)/.test(code);
  return true;
}

/** A test's {@link LoadSample} as a host reading (no event-loop lag). */
function readingOf(l: LoadSample): HostReading {
  return { cpu: l.cpu, mem: l.memFraction, memBytes: l.memBytes, lagMs: 0 };
}
