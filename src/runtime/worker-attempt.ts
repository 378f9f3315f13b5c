/**
 * @module runtime/worker-attempt
 * One claimed fleet attempt on a worker: builds the executor request from its task, arms
 * the step timeout, runs it, and maps how it ended to the outcome reported to the store.
 * Pure of fleet I/O: the worker (./worker.ts) claims, renews, completes.
 */
import { join } from 'node:path';
import type { AbortCause, AttemptResult, ExecutorLimits } from '../executors/index.js';
import { AttemptLog, execute } from '../executors/index.js';
import type { AttemptOutcome, ClaimedAttempt } from '../store/index.js';
import { formatMs } from './attempts.js';
import { errorMessage } from '../shared/index.js';
import { fileNamePart } from '../shared/index.js';
import type { Clock } from './clock.js';
import { realClock } from './clock.js';
import type { FleetTask } from './fleet-task.js';
import type { LogShipper, Shipment } from './log-shipper.js';

/** Why the worker itself gave up an attempt (besides the abort causes the executor knows). */
export type AbandonCause = 'lease-lost' | 'fenced' | 'stopped';

/** An attempt running on this worker. */
export interface WorkerAttempt {
  claim: ClaimedAttempt;
  /** Undefined when the task could not be read (`taskError` says why). */
  task: FleetTask | undefined;
  taskError?: string;
  graceful: AbortController;
  force: AbortController;
  /** Set when the worker gave it up: its result is not reported as its own outcome. */
  abandoned?: AbandonCause;
  /** `performance.now()` when the claim returned: heartbeats sent later must renew it. */
  claimedAt: number;
  /** True once the executor returned (the process is gone). */
  ended: boolean;
  pid?: number;
  /** Resolves once the attempt is ended and reported (or dropped). */
  done: Promise<void>;
  /** Ships its log; its last bytes go with the completion (`Shipment.finish`). */
  shipment?: Shipment;
}

/** Where a claimed attempt runs and writes. */
export interface ClaimedRunOptions {
  outputDir: string;
  logCapBytes: number | undefined;
  limits: ExecutorLimits;
  /** The worker's log folder; absent: the task's `logPath`. */
  logDir?: string | undefined;
  /** Ships the log as it is written (`a.shipment`; the caller sends its last bytes with the completion). */
  shipper?: LogShipper | undefined;
  /** Times the step's timeout (the worker's clock). @default the wall clock */
  clock?: Clock;
}

/** The path of an attempt's log on this worker: under `logDir` as an engine lays it out, else the task's. */
export function workerLogPath(t: Pick<FleetTask, 'runId' | 'stepId' | 'attempt' | 'logPath'>, logDir: string | undefined): string {
  return logDir === undefined ? t.logPath : join(logDir, fileNamePart(t.runId), `${fileNamePart(t.stepId)}.${t.attempt}.log`);
}

/** Runs the claimed attempt's executor; resolves with the outcome to report. Never rejects. */
export async function runClaimed(a: WorkerAttempt, o: ClaimedRunOptions): Promise<AttemptOutcome> {
  const t = a.task;
  if (t === undefined) {
    return { state: 'failed', error: { type: 'task', message: a.taskError ?? 'unreadable fleet task', retryable: false } };
  }
  if (t.step.batch !== undefined) {
    return {
      state: 'failed',
      error: {
        type: 'unsupported',
        message: `step '${t.stepId}' is a batch step: fleet workers do not run batch steps yet (the coordinator runs them itself)`,
        retryable: false,
      },
    };
  }
  // The log fails the attempt, never the worker: the step is stopped and the failure kept.
  const log = new AttemptLog(workerLogPath(t, o.logDir), o.logCapBytes, () => {
    if (!a.graceful.signal.aborted) a.graceful.abort('failed' satisfies AbortCause);
  });
  const shipment = o.shipper?.open(t.runId, t.attemptId);
  if (shipment) {
    a.shipment = shipment;
    log.shipTo(shipment);
  }
  const startedAt = performance.now();
  const timer = t.timeoutMs === undefined ? undefined : (o.clock ?? realClock).setTimer(t.timeoutMs, () => a.graceful.abort('timeout' satisfies AbortCause));
  let result: AttemptResult;
  try {
    result = await execute(
      {
        runId: t.runId, workflow: t.workflow, stepId: t.stepId, attemptId: t.attemptId, attempt: t.attempt, step: t.step,
        baseDir: t.baseDir, cwd: t.cwd, env: t.env ?? {}, params: t.params ?? {}, inputs: t.inputs ?? null, outputs: () => t.outputs ?? {}, ...(t.map ? { map: t.map } : {}),
        signal: a.graceful.signal, force: a.force.signal, log,
        outputPath: join(o.outputDir, `${fileNamePart(a.claim.id)}.${a.claim.fence}.json`),
        onSpawn: (pid) => (a.pid = pid),
        // Read by execute from this worker's own environment and files, never from the task.
        ...(t.secrets ? { secrets: t.secrets } : {}),
      },
      o.limits,
    );
  } catch (e) {
    result = { ok: false, failure: { type: 'internal', message: errorMessage(e), retryable: true } };
  } finally {
    timer?.();
    log.close();
  }
  let cause = a.graceful.signal.reason as AbortCause | undefined;
  // A result that comes after the deadline is discarded: a handler that blocked the event
  // loop past its timeout returns before its timer can run.
  if (cause === undefined && t.timeoutMs !== undefined && performance.now() - startedAt >= t.timeoutMs) cause = 'timeout';
  if (log.failure !== undefined && (cause === undefined || cause === 'failed')) {
    return outcomeOf({ ...result, ok: false, failure: log.failure }, undefined, t.timeoutMs);
  }
  return outcomeOf(result, cause, t.timeoutMs);
}

/**
 * Maps an executor result to the reported outcome. The abort cause decides first: a step
 * that traps SIGTERM and exits 0 after its timeout or a cancel did not succeed.
 */
export function outcomeOf(result: AttemptResult, cause: AbortCause | undefined, timeoutMs: number | undefined): AttemptOutcome {
  const usage: Pick<AttemptOutcome, 'exitCode' | 'peakRssBytes' | 'cpuMs'> = {
    ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
    ...(result.peakRssBytes !== undefined ? { peakRssBytes: result.peakRssBytes } : {}),
    ...(result.cpuMs !== undefined ? { cpuMs: result.cpuMs } : {}),
  };
  if (cause === 'timeout') {
    return { state: 'failed', error: { type: 'timeout', message: `timed out after ${formatMs(timeoutMs ?? 0)}`, retryable: true }, ...usage };
  }
  if (cause === 'failed') return { state: 'failed', error: { type: 'internal', message: 'the worker stopped the attempt', retryable: true }, ...usage };
  if (cause !== undefined) {
    return { state: 'cancelled', error: { type: 'cancelled', message: 'cancelled', retryable: false }, ...usage };
  }
  if (result.ok) return { state: 'succeeded', output: result.output, ...usage };
  return { state: 'failed', error: result.failure, ...usage };
}

/** The outcome reported for an attempt the worker gave up (the store normally discards it). */
export function abandonedOutcome(cause: AbandonCause, workerId: string, detail: string): AttemptOutcome {
  const message = cause === 'lease-lost'
    ? `worker ${workerId} lost its lease on the attempt`
    : cause === 'fenced'
      ? `worker ${workerId} stopped it: ${detail}`
      : `worker ${workerId} stopped before the attempt ended (${detail})`;
  return { state: 'failed', error: { type: 'lost', message, retryable: true } };
}
