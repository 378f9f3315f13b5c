/**
 * @module executors/handler-thread
 * The entry file of a handler thread (a piscina worker, see ./handler-pool.ts). It loads the
 * handler exactly as the engine's thread does (`loadHandler`, same errors), and calls it with a `StepContext`
 * built from the task's data. `ctx.log` and everything the handler prints go back over the
 * attempt's port to the engine's thread, which masks and writes them; the result goes last.
 *
 * Resource figures, measured here around the call: `cpuMs` is this thread's own CPU time
 * (user + system, from Linux `/proc/thread-self/stat`; elsewhere its event loop's active time,
 * which counts synchronous waits too); `peakRssBytes` is the thread's V8 heap as the handler
 * returns (committed heap plus external memory), the figure a step's `memory` limit bounds,
 * modules the thread loaded included. Neither is the process's RSS, which threads share.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
// Deep imports on purpose (eslint.config.js KNOWN_DEEP_IMPORTS): each new thread loads only these.
import { toFailure } from '../core/failure.js';
import type { JsonObject } from '../shared/index.js';
import type { StepContext, StepHandler, StepLogger } from '../workflow/index.js';
import { loadHandler } from '../workflow/handlers.js';
import { captureOutput } from './console.js';
import type { CaptureTarget } from './console.js';
import { abortError, toOutput, withStack } from './handler-result.js';
import type { FromThread, ThreadTask, ToThread } from './handler-pool.js';
import { loggableFields } from './log.js';
import type { AttemptResult } from './types.js';

/** `ctx.log` and captured output of one attempt, as messages to the engine's thread. */
class PortLog implements StepLogger, CaptureTarget {
  constructor(private readonly port: MessagePort) {}

  write(chunk: Buffer | string, stream: 'stdout' | 'stderr'): void {
    this.send({ t: 'write', stream, chunk: typeof chunk === 'string' ? chunk : new Uint8Array(chunk) });
  }
  debug(message: string, fields?: JsonObject): void {
    this.line('debug', message, fields);
  }
  info(message: string, fields?: JsonObject): void {
    this.line('info', message, fields);
  }
  warn(message: string, fields?: JsonObject): void {
    this.line('warn', message, fields);
  }
  error(message: string, fields?: JsonObject): void {
    this.line('error', message, fields);
  }

  /** Fields are made JSON here: an Error or a bigint does not survive a structured clone as the log writes it. */
  private line(level: string, message: string, fields?: JsonObject): void {
    const json = fields && Object.keys(fields).length ? loggableFields(fields) : undefined;
    this.send({ t: 'line', level, message: String(message), ...(json ? { fields: json } : {}) });
  }

  send(m: FromThread): void {
    try {
      this.port.postMessage(m);
    } catch {
      // the attempt ended and its port is closed: a late write is dropped
    }
  }
}

/** Runs one attempt's handler in this thread; the result is sent on the task's port. */
export default async function runInThread(task: ThreadTask): Promise<void> {
  const { port } = task;
  const controller = new AbortController();
  const onMessage = (m: ToThread): void => {
    if (m.t === 'abort' && !controller.signal.aborted) controller.abort(m.reason);
  };
  port.on('message', onMessage);
  if (task.aborted !== undefined) controller.abort(task.aborted);
  const log = new PortLog(port);
  log.send({ t: 'start', threadId });
  const cpu0 = threadCpuMs();
  let result: AttemptResult;
  try {
    result = await call(task, controller.signal, log);
  } catch (e) {
    result = { ok: false, failure: { ...toFailure(e), retryable: true } };
  }
  const cpu1 = threadCpuMs();
  const heap = getHeapStatistics();
  result = { ...result, cpuMs: Math.max(0, Math.round(cpu1 - cpu0)), peakRssBytes: heap.total_heap_size + heap.external_memory };
  port.off('message', onMessage);
  log.send({ t: 'done', result });
  // The engine's thread closes the port once it has the result; until then it must not keep this thread alive.
  port.unref();
}

async function call(task: ThreadTask, signal: AbortSignal, log: PortLog): Promise<AttemptResult> {
  let fn: StepHandler;
  try {
    // A module's top-level code prints into the attempt's log too.
    fn = await captureOutput(log, () => loadHandler(task.ref, task.baseDir));
  } catch (e) {
    return { ok: false, failure: { ...toFailure(e), retryable: false } };
  }
  const ctx: StepContext<never> = {
    params: task.params,
    inputs: task.inputs as never,
    outputs: task.outputs,
    run: { id: task.runId, workflow: task.workflow },
    step: { id: task.stepId },
    attempt: task.attempt,
    attemptId: task.attemptId,
    signal,
    log,
    secrets: Object.freeze(task.secrets),
  };
  let value: unknown;
  try {
    if (signal.aborted) throw abortError(signal);
    value = await captureOutput(log, () => fn(ctx));
  } catch (e) {
    return { ok: false, failure: withStack(toFailure(e), e) };
  }
  return toOutput(value, task.maxOutputBytes);
}

/** This thread's CPU time so far, ms: see the module comment. */
function threadCpuMs(): number {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync('/proc/thread-self/stat', 'utf8');
      // After "(comm) ": utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // no procfs: fall through
    }
  }
  return performance.eventLoopUtilization().active;
}
