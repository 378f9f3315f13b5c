/**
 * @module executors/handler
 * Runs a `uses:` step: loads the module (TypeScript through tsx, no build step), calls the
 * export with a `StepContext`, and takes its return value as the output.
 *
 * Where: a handler given by module path runs in a worker thread of the executor's
 * {@link HandlerPool} (./handler-pool.ts), so it can use a CPU without holding the engine's
 * event loop, and a timeout or cancel can stop it for good. An inline function (SDK), a step
 * marked `inline: true`, or any handler when no pool is given, runs here, on the calling
 * thread; such a handler that ignores its AbortSignal cannot be stopped from outside: the
 * attempt still ends on timeout or cancellation and its late result is discarded. What the
 * handler prints (`console.*`, `process.stdout.write`, `process.stderr.write`) goes to the
 * attempt's log, masked, not to baton's own output (./console.ts).
 */
import { toFailure } from '../core/index.js';
import { coerceError } from '../shared/index.js';
import type { StepContext, StepHandler } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import { loadHandler } from '../workflow/index.js';
import { captureOutput } from './console.js';
import { abortError, isPromise, toOutput, withStack } from './handler-result.js';
import type { HandlerPool } from './handler-pool.js';
import { runInPool } from './handler-pool.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

const NO_SECRETS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Runs one attempt of a handler step: in a thread of `limits.handlerPool` when the handler is
 * a module path and the step is not `inline`, else on this thread. Never throws.
 */
export async function runHandler(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.action.kind !== 'uses') throw new Error(`step ${req.stepId} is not a handler step`);
  const h = req.step.action.handler;
  const pool: HandlerPool | undefined = limits.handlerPool;
  if (typeof h === 'string' && pool !== undefined && req.step.inline !== true) return runInPool(pool, req, h, limits);
  let fn: StepHandler;
  try {
    // A module's top-level code prints into the attempt's log too.
    fn = typeof h === 'function' ? h : await captureOutput(req.log, () => loadHandler(h, req.baseDir));
  } catch (e) {
    return { ok: false, failure: { ...toFailure(e), retryable: false } };
  }
  let outputs: Record<string, JsonValue> | undefined;
  const ctx: StepContext<never> = {
    params: req.params,
    inputs: req.inputs as never,
    get outputs() {
      return (outputs ??= req.outputs());
    },
    run: { id: req.runId, workflow: req.workflow },
    step: { id: req.stepId },
    attempt: req.attempt,
    attemptId: req.attemptId,
    signal: req.signal,
    log: req.log,
    secrets: req.secretValues ?? NO_SECRETS,
  };
  let value: unknown;
  try {
    // The signal may have fired while the module loaded: never start work already cancelled.
    if (req.signal.aborted) throw abortError(req.signal);
    const ret = captureOutput(req.log, () => fn(ctx));
    value = isPromise(ret) ? await raceAbort(ret, req.signal) : ret;
  } catch (e) {
    return { ok: false, failure: withStack(toFailure(e), e) };
  }
  return toOutput(value, limits.maxOutputBytes);
}

/** Settles with the handler, or rejects as soon as the signal aborts. */
function raceAbort(p: PromiseLike<unknown>, signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(coerceError(e))),
    );
  });
}
