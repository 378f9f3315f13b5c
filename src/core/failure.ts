import type { JsonValue } from '../shared/index.js';
import { coerceError } from '../shared/index.js';

export { coerceError };

/**
 * A failure as it is stored and shown: serializable, with a machine-readable `type`.
 * `retryable: false` stops retries (like BullMQ's `UnrecoverableError` and Temporal's
 * non-retryable `ApplicationFailure`).
 */
export interface Failure {
  /**
   * One of baton's own {@link FailureType}s, or what a handler chose: a `StepFailure`'s
   * `type`, else the thrown error's `name` (`Error`, `TypeError`…).
   */
  type: FailureType | (string & {});
  /** Human-readable; secrets masked. */
  message: string;
  /** Whether the retry policy may try the step again. */
  retryable: boolean;
  /** Any JSON the thrower attached (a `StepFailure`'s `details`). */
  details?: JsonValue;
  /**
   * How long the failed party asked to be left alone before the next try, ms (an HTTP
   * `Retry-After`, RFC 9110 §10.2.3). When set, it replaces the policy's computed delay,
   * capped at the policy's `maxDelayMs` (see `backoffDelay`).
   */
  retryAfterMs?: number;
}

/**
 * The failures baton itself produces, a closed union; each has one constructor in
 * {@link failures}, and code recognises one with {@link isFailure}, never by its message.
 * - `lost`: the process or worker running the attempt died or lost its lease (no retry spent)
 * - `timeout`: the step's own `timeout` elapsed, or the run's (then not retryable)
 * - `cancelled`: an operator or the run's end cancelled it
 * - `exit-code`: a shell step exited non-zero; `spawn`: it could not be started
 * - `expression`: a `${{ }}` in `with`, `env` or `if` failed to evaluate
 * - `secret-missing`: a declared secret had no value where the step ran
 * - `output-invalid`, `output-too-large`: the step's output is not JSON or over the limit
 * - `batch-invalid`: items of a batch step were refused
 * - `task`: a fleet task could not be read; `unsupported`: this worker cannot run the step
 * - `unclaimed`: no worker claimed a published attempt within its queue timeout
 * - `disk-full`: a write for the attempt (log, output) found no space
 * - `internal`: a fault of baton's while running the attempt
 * - `http-status`: an http step's response had a status outside `expect` (retryable for
 *   408, 429 and 5xx); `http-request`: the request could not be sent or its response not
 *   read (network error, request timeout; retryable); `http-invalid`: its request, once
 *   evaluated, cannot be sent (a URL that is not http(s), a header value with a newline);
 *   `response-too-large`: its response was over `maxResponseBytes`
 * - `sub-workflow`: a sub-workflow step's child run failed (retryable: a retry starts a new
 *   child); `sub-workflow-invalid`: the child cannot be started (its file does not load, its
 *   params are wrong, or it would nest deeper than the depth limit)
 * - `map-invalid`: a mapped step's items could not be evaluated, were not an array or were
 *   more than `maxItems`; `map-items-failed`: items of a mapped step failed beyond its
 *   failure policy (the items' own failures are on their step runs)
 * - `rejected`: a person rejected an `approval:` step; `wait-timeout`: an `approval:` or
 *   `wait:` step's own timeout passed with no answer (neither retried: another try would wait
 *   for the same answer)
 */
export type FailureType =
  | 'lost' | 'timeout' | 'cancelled' | 'exit-code' | 'spawn' | 'expression'
  | 'secret-missing' | 'output-invalid' | 'output-too-large' | 'batch-invalid' | 'task'
  | 'unsupported' | 'unclaimed' | 'disk-full' | 'internal'
  | 'http-status' | 'http-request' | 'http-invalid' | 'response-too-large'
  | 'map-invalid' | 'map-items-failed' | 'sub-workflow' | 'sub-workflow-invalid'
  | 'rejected' | 'wait-timeout';

/** Whether `f` is baton's own failure of type `type`. */
export function isFailure(f: Pick<Failure, 'type'> | undefined, type: FailureType): boolean {
  return f?.type === type;
}

function make(type: FailureType, message: string, retryable: boolean, details?: JsonValue): Failure {
  return details === undefined ? { type, message, retryable } : { type, message, retryable, details };
}

/**
 * The one constructor of each {@link FailureType}. Retryability is part of the type's
 * meaning (a timeout may pass on another try; a missing secret will not), so callers do
 * not choose it, except where noted.
 */
export const failures = {
  /** The holder died or its lease expired: retried without spending the retry budget. */
  lost: (message: string): Failure => make('lost', message, true),
  /** The step's `timeout` (ms) elapsed. */
  timeout: (message: string): Failure => make('timeout', message, true),
  /** The run's `timeout` elapsed: the run ends, nothing is retried. */
  runTimeout: (): Failure => make('timeout', 'the run timed out', false),
  cancelled: (message = 'cancelled'): Failure => make('cancelled', message, false),
  expression: (message: string): Failure => make('expression', message, false),
  secretMissing: (message: string, details?: JsonValue): Failure => make('secret-missing', message, false, details),
  outputInvalid: (message: string): Failure => make('output-invalid', message, false),
  outputTooLarge: (message: string): Failure => make('output-too-large', message, false),
  /** An unreadable fleet task will not become readable on another try. */
  task: (message: string): Failure => make('task', message, false),
  unsupported: (message: string, details?: JsonValue): Failure => make('unsupported', message, false, details),
  unclaimed: (message: string, details?: JsonValue): Failure => make('unclaimed', message, false, details),
  diskFull: (message: string, details?: JsonValue): Failure => make('disk-full', message, true, details),
  /**
   * An http response with an unexpected status. Retryable only when another try may get a
   * different answer: 408 Request Timeout, 429 Too Many Requests and 5xx (RFC 9110 §15);
   * any other 4xx says the request itself is wrong, so retries would be spent for nothing.
   */
  httpStatus: (message: string, status: number, details?: JsonValue, retryAfterMs?: number): Failure => {
    const f = make('http-status', message, status === 408 || status === 429 || status >= 500, details);
    return retryAfterMs === undefined ? f : { ...f, retryAfterMs };
  },
  /** A request that failed before a complete response (connection refused, reset, request timeout). */
  httpRequest: (message: string, details?: JsonValue): Failure => make('http-request', message, true, details),
  httpInvalid: (message: string): Failure => make('http-invalid', message, false),
  responseTooLarge: (message: string, details?: JsonValue): Failure => make('response-too-large', message, false, details),
  /** A fault of baton's; retryable, since it is not the step's. */
  subWorkflow: (message: string, details?: JsonValue): Failure => make('sub-workflow', message, true, details),
  subWorkflowInvalid: (message: string, details?: JsonValue): Failure => make('sub-workflow-invalid', message, false, details),
  mapInvalid: (message: string): Failure => make('map-invalid', message, false),
  rejected: (message: string, details?: JsonValue): Failure => make('rejected', message, false, details),
  waitTimeout: (message: string, details?: JsonValue): Failure => make('wait-timeout', message, false, details),
  mapItemsFailed: (message: string, details?: JsonValue): Failure => make('map-items-failed', message, false, details),
  internal: (e: unknown): Failure => make('internal', coerceError(e).message, true),
} as const;

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
