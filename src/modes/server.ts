/**
 * @module modes/server
 * `baton server` assembled from a process: its engine (which publishes attempts to the
 * fleet's workers on PostgreSQL, or runs them here), the run loop (schedules, delayed runs,
 * queued and orphaned runs) and the HTTP API, wired so that a run the API queues starts at
 * once, a pause reaches the engine at once, and live feeds wake when the engine commits.
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { availableParallelism } from 'node:os';
import type { Engine, Worker } from '../runtime/index.js';
import { join } from 'node:path';
import { createWorker } from '../runtime/index.js';
import type { ApiOptions, RunService } from '../server/index.js';
import { buildApi, uploadsPrunable } from '../server/index.js';
import type { BatonProcess } from './process.js';
import type { ServerReport } from './run-loop.js';
import { RunLoop } from './run-loop.js';
import type { Prunable, PruneReport, RetentionHandle } from '../observe/index.js';
import { Pruner, RetentionLoop, retentionAges } from '../observe/index.js';
import { BATON_VERSION } from '../shared/index.js';
import type { BackpressureLimits, BatonConfig } from '../workflow/index.js';
import { backpressureLimits } from '../workflow/index.js';
import type { AlertClock, Channel } from '../observe/index.js';
import { AlertService, alertMetrics, createEtaService, intakeMetrics } from '../observe/index.js';
import { IntakeGate } from '../triggers/index.js';
import { realClock } from '../runtime/index.js';

/** How long a stopping server's worker lets the attempts it holds finish, ms. */
const WORKER_GRACE_MS = 5_000;

/**
 * Retention of a server (observe/retention.ts): its ages and pace. Every field has a default;
 * `{}` prunes by 30 days for every kind, a minute after start and every ten minutes.
 */
export interface ServeRetentionOptions {
  /** Ages by kind, ms: `runs`, `events`, `logs`, `alerts`, and each extra kind's (`retentionAges` reads the config file's). @default 30 days each */
  maxAgeMs?: Readonly<Record<string, number | undefined>>;
  /** Other kinds to prune (alerts, …). @default [] */
  extra?: readonly Prunable[];
  /** Rows per transaction at most. @default 200 */
  batchSize?: number;
  /** Least real time between two batches, ms. @default 20 */
  pauseMs?: number;
  /** Also wait this many times as long as the last batch took. @default 9 */
  idleRatio?: number;
  /** Between passes, ms (from the end of one to the start of the next). @default 600000 */
  intervalMs?: number;
  /** From start to the first pass, ms. @default 60000 */
  firstDelayMs?: number;
  /** Each pass's report (skipped ones too); passes that ran also reach `ServeOptions.report` as `pruned`. Must not throw. */
  report?: (r: PruneReport) => void;
}

/** Options of {@link serve}. */
export interface ServeOptions extends Pick<ApiOptions, 'bodyLimitBytes' | 'webhookRatePerMinute' | 'env' | 'feedPollMs' | 'logger' | 'metrics' | 'webDir' | 'uploads'> {
  /** Folder of workflow files to load and watch; also where `uses` paths of API-registered workflows resolve. */
  workflowsDir?: string;
  /**
   * With a fleet: attempts the server's own worker runs at once. Like `baton worker`'s, one per
   * CPU by default, so dedicated workers get their share of the queue.
   * @default min(the process's slots, os.availableParallelism())
   */
  workerSlots?: number;
  /** With a fleet: capabilities of the server's own worker (`runs-on` tags it satisfies). @default [] */
  workerTags?: string[];
  /** Where the API listens; `api: false` serves no HTTP. @default { host: '127.0.0.1', port: 8080 } */
  api?: { host: string; port: number } | false;
  /** What the server does (workflows loaded, ticks, runs started and finished, errors), for its log. Must not throw. */
  report: (r: ServerReport) => void;
  /** Longest sleep of the trigger loop, ms. @default 1000 */
  pollMs?: number;
  /** The server's config (`baton.config.yaml`): alert rules, channels. Absent = the built-in rules, no channels. */
  config?: BatonConfig;
  /** Channels by name, ready to send (built from `config.channels`). @default none */
  channels?: ReadonlyMap<string, Channel>;
  /** Alerting's clock (tests drive grouping and escalation with a virtual one). @default the wall clock */
  alertClock?: AlertClock;
  /** How often alerting reads the event feed when nothing wakes it, ms. @default 1000 */
  alertFeedMs?: number;
  /**
   * Prune old runs, events, logs and other kinds periodically on the process's clock, one
   * server of a fleet at a time (the store's leader lease); `false` never prunes.
   * @default {} (30 days for every kind)
   */
  retention?: ServeRetentionOptions | false;
  /**
   * Backpressure on intake (triggers/intake.ts): alerts at `warning` and `critical` runs
   * waiting to start, and new runs from the API, webhooks and schedule ticks refused at
   * `reject`. @default the config's `backpressure:`, each field defaulting to 100, 500, 1000, 30 s
   */
  backpressure?: BackpressureLimits;
  /** How long the intake gate uses one count of the runs waiting, ms of real time (not the process's clock). @default 1000 */
  intakeCacheMs?: number;
}

/** A started server. */
export interface RunningServer {
  /** The process's engine. */
  engine: Engine;
  /** The run loop: schedule ticks, due runs, queued and orphaned runs. */
  loop: RunLoop;
  /**
   * With a fleet: the server's own worker, which claims published attempts like any
   * `baton worker` (DESIGN.md: a server is API + triggers + a local worker), so one server
   * on PostgreSQL runs its runs alone and shares them with the workers that join.
   */
  worker?: Worker;
  /** Absent with `api: false`. */
  http?: FastifyInstance;
  /** `http://host:port` the API listens on. */
  address?: string;
  /** Alerting: rules over the feed, notifications, deliveries. */
  alerts: AlertService;
  /** Backpressure on the API's, webhooks' and schedules' new runs. */
  intake: IntakeGate;
  /** Workflow files loaded at start. */
  loaded: { valid: number; invalid: number };
  /** The retention loop; absent with `retention: false`. */
  retention?: RetentionHandle;
  /** Stops the API and the trigger loop; runs in flight go on until `close`. */
  stop(): Promise<void>;
  /** Stops everything and closes the process (its engine too: interrupted runs are resumed by the next server; a store the caller opened stays open). */
  close(): Promise<void>;
}

/**
 * Starts the run loop and the API on a process (its engine, store and fleet).
 * @throws the listen error (address in use, permission) after stopping what was started.
 * @throws RetentionOptionsError for `retention` ages or a batch size that cannot work, before anything starts.
 */
export async function serve(proc: BatonProcess, o: ServeOptions): Promise<RunningServer> {
  const engine = proc.engine();
  let worker: Worker | undefined;
  if (proc.fleet) {
    worker = createWorker({
      fleet: proc.fleet, clock: proc.options.clock, handlerPool: proc.handlerPool, logDir: join(proc.dataDir, 'logs'), ...(proc.store.logs ? { logs: proc.store.logs } : {}),
      version: BATON_VERSION, slots: o.workerSlots ?? Math.min(proc.options.slots, availableParallelism()), ...(o.workerTags ? { tags: o.workerTags } : {}),
      throttle: proc.options.throttle,
      report: (e) => {
        if (e.kind === 'error') o.report({ kind: 'error', message: `worker: ${e.message}` });
        else if (e.kind === 'throttle') o.report({ kind: 'throttle', from: e.from, to: e.to, reason: e.reason, node: 'worker' });
      },
    });
    await worker.start();
  }
  try {
    return await start(proc, o, engine, worker);
  } catch (e) {
    // Whatever was started is stopped, the worker before the fleet it talks through.
    await worker?.stop().catch(() => undefined);
    await proc.close().catch(() => undefined);
    throw e;
  }
}

/** The run loop and the API; `serve` stops the worker and the process when this throws. */
async function start(proc: BatonProcess, o: ServeOptions, engine: Engine, worker: Worker | undefined): Promise<RunningServer> {
  // Built first, so options that cannot work are refused before anything runs.
  const retention = retentionLoop(proc, o);
  const alertSeries = alertMetrics(proc.store);
  const limits = o.backpressure ?? backpressureLimits(o.config?.backpressure);
  const intakeSeries = intakeMetrics(() => intake.depth());
  const intake: IntakeGate = new IntakeGate({
    store: proc.store, limits, onRefused: intakeSeries.onRefused,
    ...(o.intakeCacheMs !== undefined ? { cacheMs: o.intakeCacheMs } : {}),
  });
  // One cache of ETAs for the API's run resource and the deadline alerts.
  const eta = createEtaService({ store: proc.store, clock: proc.options.clock, slots: proc.options.slots });
  // Followers of the event table read at once on this, instead of at their next poll.
  const feedSignal = new EventEmitter();
  const alerts = new AlertService({
    store: proc.store, clock: o.alertClock ?? realClock, channels: o.channels ?? new Map(), onDelivery: alertSeries.onDelivery,
    eta: (run) => eta.ofRun(run),
    ...(o.config?.alerts ? { rules: o.config.alerts } : {}),
    ...(o.config?.defaultNotify ? { defaultNotify: o.config.defaultNotify } : {}),
    ...(o.config?.defaultEscalate ? { defaultEscalate: o.config.defaultEscalate } : {}),
    ...(o.config?.publicUrl ? { publicUrl: o.config.publicUrl } : {}),
    ...(o.alertFeedMs !== undefined ? { feedMs: o.alertFeedMs } : {}),
    // The intake rules are built-in: in force with the built-in set, or beside the config's
    // `alerts:` when it writes `backpressure:`.
    ...(o.backpressure || !o.config?.alerts || o.config.backpressure ? { backpressure: limits } : {}),
    report: (message) => o.report({ kind: 'error', message }),
    onAlert: (alert, what) => {
      // The change's feed row committed with it: live followers read it now.
      feedSignal.emit('events');
      o.report({ kind: 'alert', what, alert });
    },
  });
  const report = (r: ServerReport): void => {
    if (r.kind === 'tick') void alerts.tick(r.tick).catch(() => undefined);
    o.report(r);
  };
  const triggers = new RunLoop({
    store: proc.store, engine, report, clock: proc.options.clock, intake,
    ...(o.workflowsDir ? { workflowsDir: o.workflowsDir } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
  });
  let loaded: { valid: number; invalid: number };
  try {
    loaded = await triggers.start();
  } catch (e) {
    await triggers.stop();
    throw e;
  }
  alerts.start();
  engine.onThrottle((e) => o.report({ kind: 'throttle', from: e.from, to: e.to, reason: e.reason, node: 'engine' }));
  // A run that ended here is new history for its workflow's next ETA (others' ends: within the history's TTL).
  engine.onCommitted((ends) => {
    for (const r of ends.runs) eta.invalidate(r.workflow);
  });
  let signalled = false;
  // One wake-up per event-loop turn, however many events the engine committed in it.
  engine.onEvent(() => {
    if (signalled) return;
    signalled = true;
    setImmediate(() => {
      signalled = false;
      feedSignal.emit('events');
      alerts.wake();
    });
  });
  const listen = o.api === undefined ? { host: '127.0.0.1', port: 8080 } : o.api;
  let http: FastifyInstance | undefined;
  let address: string | undefined;
  if (listen) {
    const runs: RunService = {
      start: (spec, version, opts) => triggers.startNew(spec, version, opts),
      startQueued: (runId) => void (runId === undefined ? triggers.runIteration() : triggers.startQueued(runId)),
      refresh: (runId) => void engine.refresh(runId).catch(() => undefined),
    };
    try {
      http = await buildApi({
        store: proc.store, dataDir: proc.dataDir, feedSignal, runs, alerts, intake, eta,
        ...(proc.fleet ? { fleet: proc.fleet } : {}),
        ...(worker ? { logBytesShipped: () => worker.logBytesShipped } : {}),
        throttle: () => worker?.throttle() ?? engine.throttle(),
        ...(o.workflowsDir ? { baseDir: o.workflowsDir } : {}),
        ...(o.bodyLimitBytes !== undefined ? { bodyLimitBytes: o.bodyLimitBytes } : {}),
        ...(o.webhookRatePerMinute !== undefined ? { webhookRatePerMinute: o.webhookRatePerMinute } : {}),
        ...(o.uploads !== undefined ? { uploads: o.uploads } : {}),
        ...(o.webDir !== undefined ? { webDir: o.webDir } : {}),
        ...(o.env ? { env: o.env } : {}),
        ...(o.feedPollMs !== undefined ? { feedPollMs: o.feedPollMs } : {}),
        ...(o.logger !== undefined ? { logger: o.logger } : {}),
        metrics: [...alertSeries.contributors, ...intakeSeries.contributors, ...(o.metrics ?? [])],
      });
      address = await http.listen({ host: listen.host, port: listen.port });
    } catch (e) {
      await http?.close();
      await triggers.stop();
      await alerts.stop();
      throw e;
    }
  }
  retention?.start();
  const stop = async (): Promise<void> => {
    await retention?.stop();
    await http?.close();
    await triggers.stop();
    await alerts.stop();
  };
  return {
    engine, loop: triggers, loaded, stop, alerts, intake,
    ...(retention ? { retention } : {}),
    ...(worker ? { worker } : {}),
    ...(http ? { http } : {}),
    ...(address ? { address } : {}),
    async close() {
      await stop();
      // The worker may hold attempts of other servers' runs: it claims nothing more and lets
      // them finish within the grace (what is still running then is completed as failed,
      // retryable, and retried elsewhere); then the engine lets its runs go.
      await worker?.drain(WORKER_GRACE_MS);
      await proc.close();
    },
  };
}

/**
 * The server's retention loop on the process's clock, not started yet; undefined with
 * `retention: false`.
 * @throws RetentionOptionsError for ages or a batch size that cannot work
 */
function retentionLoop(proc: BatonProcess, o: ServeOptions): RetentionLoop | undefined {
  if (o.retention === false) return undefined;
  const r = o.retention ?? {};
  // The config file's `retention:` unless ages were given; resolved alerts and staged
  // uploads are two more kinds.
  const maxAgeMs = r.maxAgeMs ?? (o.config?.retention ? retentionAges(o.config.retention) : undefined);
  const alerts: Prunable = { kind: 'alerts', pruneBatch: (before, limit) => proc.store.alerts.prune(before, limit) };
  const pruner = new Pruner({
    store: proc.store, dataDir: proc.dataDir,
    ...(maxAgeMs ? { maxAgeMs } : {}),
    extra: [alerts, uploadsPrunable(proc.dataDir, proc.store), ...(r.extra ?? [])],
    ...(r.batchSize !== undefined ? { batchSize: r.batchSize } : {}),
    ...(r.pauseMs !== undefined ? { pauseMs: r.pauseMs } : {}),
    ...(r.idleRatio !== undefined ? { idleRatio: r.idleRatio } : {}),
  });
  const loop = new RetentionLoop({
    store: proc.store, pruner, clock: proc.options.clock,
    ...(r.intervalMs !== undefined ? { intervalMs: r.intervalMs } : {}),
    ...(r.firstDelayMs !== undefined ? { firstDelayMs: r.firstDelayMs } : {}),
    report: (rep) => {
      r.report?.(rep);
      if (rep.skipped === undefined) o.report({ kind: 'pruned', report: rep });
    },
    onError: (message) => o.report({ kind: 'error', message }),
  });
  return loop;
}
