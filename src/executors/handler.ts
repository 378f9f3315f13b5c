/**
 * @module executors/handler
 * Runs a `uses:` step in the engine's process: loads the module (TypeScript through tsx,
 * no build step), calls the export with a `StepContext`, and takes its return value as
 * the output. A handler that ignores its AbortSignal cannot be stopped from outside; the
 * attempt still ends on timeout or cancellation and its late result is discarded. What the
 * handler prints (`console.*`, `process.stdout.write`, `process.stderr.write`) goes to the
 * attempt's log, masked, not to baton's own output (./console.ts).
 */
import type { Failure } from '../core/index.js';
import { toFailure } from '../core/index.js';
import { coerceError, errorMessage } from '../shared/index.js';
import type { StepContext, StepHandler } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import { loadHandler } from '../workflow/index.js';
import { captureOutput } from './console.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

const NO_SECRETS: Readonly<Record<string, string>> = Object.freeze({});

/** Runs one attempt of a handler step. Never throws. */
export async function runHandler(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.action.kind !== 'uses') throw new Error(`step ${req.stepId} is not a handler step`);
  let fn: StepHandler;
  try {
    const h = req.step.action.handler;
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

/** Frames of a thrown error's stack kept with its failure. */
const STACK_FRAMES = 5;

/**
 * The failure with the top {@link STACK_FRAMES} frames of the thrown error's stack as
 * `details.stack` (lines `at fn (file:line:col)`), when it is a plain error that attached no
 * details: `baton explain` reads them to tell an exception raised in the workflow's own
 * code from one raised deeper. Details a `StepFailure` set are kept as they are.
 */
function withStack(f: Failure, e: unknown): Failure {
  if (f.details !== undefined || !(e instanceof Error) || typeof e.stack !== 'string') return f;
  const frames = e.stack.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at ')).slice(0, STACK_FRAMES);
  return frames.length ? { ...f, details: { stack: frames } } : f;
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
