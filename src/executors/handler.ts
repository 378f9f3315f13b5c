/**
 * @module executors/handler
 * Runs a `uses:` step in the engine's process: loads the module (TypeScript through tsx,
 * no build step), calls the export with a `StepContext`, and takes its return value as
 * the output. A handler that ignores its AbortSignal cannot be stopped from outside; the
 * attempt still ends on timeout or cancellation and its late result is discarded.
 */
import { toFailure } from '../core/index.js';
import type { StepContext, StepHandler } from '../workflow/index.js';
import type { JsonValue } from '../shared/json.js';
import { coerceError, errorMessage } from '../shared/errors.js';
import { loadHandler } from '../workflow/index.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

const NO_SECRETS: Readonly<Record<string, string>> = Object.freeze({});

/** Runs one attempt of a handler step. Never throws. */
export async function runHandler(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.action.kind !== 'uses') throw new Error(`step ${req.stepId} is not a handler step`);
  let fn: StepHandler;
  try {
    const h = req.step.action.handler;
    fn = typeof h === 'function' ? h : await loadHandler(h, req.baseDir);
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
    const ret = fn(ctx);
    value = isPromise(ret) ? await raceAbort(ret, req.signal) : ret;
  } catch (e) {
    return { ok: false, failure: toFailure(e) };
  }
  return toOutput(value, limits.maxOutputBytes);
}

/** Normalizes a return value to JSON, enforcing the output size limit. */
export function toOutput(value: unknown, max: number): AttemptResult {
  if (value === undefined || value === null) return { ok: true, output: null };
  if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, output: value };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    return { ok: false, failure: { type: 'output-invalid', message: `the return value is not JSON: ${errorMessage(e)}`, retryable: false } };
  }
  if (text === undefined) return { ok: true, output: null };
  if (text.length > max && Buffer.byteLength(text) > max) {
    return {
      ok: false,
      failure: { type: 'output-too-large', message: `output is ${Buffer.byteLength(text)} bytes; the limit is ${max}. Write large data to a file and return its path`, retryable: false },
    };
  }
  return { ok: true, output: typeof value === 'string' ? value : (JSON.parse(text) as JsonValue) };
}

function isPromise(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
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

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return Object.assign(new Error(`aborted: ${typeof reason === 'string' ? reason : 'cancelled'}`), { name: 'AbortError' });
}
