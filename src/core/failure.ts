import type { JsonValue } from '../spec/index.js';

/**
 * A failure as it is stored and shown: serializable, with a machine-readable `type`.
 * `retryable: false` stops retries (like BullMQ's `UnrecoverableError` and Temporal's
 * non-retryable `ApplicationFailure`).
 */
export interface Failure {
  /** e.g. `Error`, `TypeError`, `exit-code`, `timeout`, `lost`, `expression`, `spawn`. */
  type: string;
  message: string;
  retryable: boolean;
  details?: JsonValue;
}

/**
 * Throw from a handler to fail the attempt with a chosen `type`, `details`, and whether
 * the retry policy may try again.
 * @example throw new StepFailure('bad input file', { retryable: false, type: 'validation' })
 */
export class StepFailure extends Error {
  readonly type: string;
  readonly retryable: boolean;
  readonly details?: JsonValue;
  constructor(message: string, opts: { type?: string; retryable?: boolean; details?: JsonValue; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StepFailure';
    this.type = opts.type ?? 'StepFailure';
    this.retryable = opts.retryable ?? true;
    if (opts.details !== undefined) this.details = opts.details;
  }
}

/** Wraps anything thrown into an `Error`, keeping a non-Error original as `cause`. */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : `non-error thrown: ${safeString(e)}`, { cause: e });
}

/** Turns anything thrown by a step into a stored `Failure`. */
export function toFailure(e: unknown): Failure {
  const err = coerceError(e);
  if (err instanceof StepFailure) {
    const f: Failure = { type: err.type, message: err.message, retryable: err.retryable };
    if (err.details !== undefined) f.details = err.details;
    return f;
  }
  return { type: err.name || 'Error', message: err.message, retryable: true };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
