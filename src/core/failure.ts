import type { JsonValue } from '../shared/index.js';
import { coerceError } from '../shared/index.js';

export { coerceError };

/**
 * A failure as it is stored and shown: serializable, with a machine-readable `type`.
 * `retryable: false` stops retries (like BullMQ's `UnrecoverableError` and Temporal's
 * non-retryable `ApplicationFailure`).
 */
export interface Failure {
  /** e.g. `Error`, `TypeError`, `exit-code`, `timeout`, `lost`, `expression`, `spawn`. */
  type: string;
  /** Human-readable; secrets masked. */
  message: string;
  /** Whether the retry policy may try the step again. */
  retryable: boolean;
  /** Any JSON the thrower attached (a `StepFailure`'s `details`). */
  details?: JsonValue;
}

/**
 * Throw from a handler to fail the attempt with a chosen `type`, `details`, and whether
 * the retry policy may try again.
 * @example throw new StepFailure('bad input file', { retryable: false, type: 'validation' })
 */
export class StepFailure extends Error {
  /**
   * A registry-wide symbol marks instances, so a failure thrown by a handler that loaded its
   * own copy of baton (through tsx, or a second install) is still recognised: `instanceof`
   * only knows one copy of the class.
   */
  static readonly brand: unique symbol = Symbol.for('baton.StepFailure');
  /** The stored failure's `type`. @default 'StepFailure' */
  readonly type: string;
  /** `false` stops retries. @default true */
  readonly retryable: boolean;
  /** JSON stored with the failure. */
  readonly details?: JsonValue;
  /** @param message - the failure's message; `opts.cause` becomes the error's `cause`. */
  constructor(message: string, opts: { type?: string; retryable?: boolean; details?: JsonValue; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StepFailure';
    this.type = opts.type ?? 'StepFailure';
    this.retryable = opts.retryable ?? true;
    if (opts.details !== undefined) this.details = opts.details;
    Object.defineProperty(this, StepFailure.brand, { value: true });
  }
}

/** Whether `e` is a StepFailure of this or any other copy of baton. */
function isStepFailure(e: Error): e is StepFailure {
  return e instanceof StepFailure || (e as unknown as Record<symbol, unknown>)[StepFailure.brand] === true;
}

/** Turns anything thrown by a step into a stored `Failure`. */
export function toFailure(e: unknown): Failure {
  const err = coerceError(e);
  if (isStepFailure(err)) {
    const f: Failure = { type: err.type, message: err.message, retryable: err.retryable };
    if (err.details !== undefined) f.details = err.details;
    return f;
  }
  return { type: err.name || 'Error', message: err.message, retryable: true };
}
