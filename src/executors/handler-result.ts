/**
 * @module executors/handler-result
 * What a handler's return value or thrown error becomes, shared by the two places a handler
 * runs: the engine's thread (./handler.ts) and a handler thread (./handler-thread.ts).
 */
import type { Failure } from '../core/index.js';
import { errorMessage } from '../shared/index.js';
import type { JsonValue } from '../shared/index.js';
import type { AttemptResult } from './types.js';

/** Frames of a thrown error's stack kept with its failure. */
const STACK_FRAMES = 5;

/**
 * The failure with the top {@link STACK_FRAMES} frames of the thrown error's stack as
 * `details.stack` (lines `at fn (file:line:col)`), when it is a plain error that attached no
 * details: `baton explain` reads them to tell an exception raised in the workflow's own
 * code from one raised deeper. Details a `StepFailure` set are kept as they are.
 */
export function withStack(f: Failure, e: unknown): Failure {
  if (f.details !== undefined || !(e instanceof Error) || typeof e.stack !== 'string') return f;
  const frames = e.stack.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('at ')).slice(0, STACK_FRAMES);
  return frames.length ? { ...f, details: { stack: frames } } : f;
}

/**
 * Normalizes a handler's return value to JSON, enforcing the output size limit (`max`,
 * bytes of JSON). Never throws: a value that is not JSON fails with type `output-invalid`,
 * one too large with `output-too-large`, both not retryable.
 */
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

/** Whether `v` is a thenable (a handler's async result). */
export function isPromise(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The error a handler's run ends with when its signal aborted: `aborted: timeout`, `aborted: cancelled`… */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return Object.assign(new Error(`aborted: ${typeof reason === 'string' ? reason : 'cancelled'}`), { name: 'AbortError' });
}
