/**
 * @module shared/errors
 * The one base class of baton's local errors and the one way to turn anything thrown into
 * an `Error`.
 *
 * Every error baton throws on purpose extends {@link BatonError}: it carries a stable,
 * machine-readable `code` that the CLI maps to exit codes and the API to HTTP statuses, so
 * no caller ever matches on message text. A registry-wide symbol brands instances, so
 * {@link isBatonError} recognises an error made by another copy of the package (a handler
 * loaded through tsx, a second install) where `instanceof` cannot; Temporal's SDK brands
 * its errors the same way.
 */

/** The brand of a class: one registry-wide symbol per class name. */
function brandOf(name: string): symbol {
  return Symbol.for(`baton.error.${name}`);
}

/**
 * Base class of baton's typed local errors. `code` is stable (tools branch on it); the
 * message is for people. `instanceof` on it and on every subclass holds across two copies
 * of baton: each instance is branded with one symbol per class of its chain.
 */
export class BatonError extends Error {
  /** Stable kind, e.g. `workflow-invalid`, `run-not-found`, `run-state`, `params-invalid`. */
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      Object.defineProperty(this, brandOf((c as { name: string }).name), { value: true });
    }
  }

  /** `instanceof` by brand: true for an instance of this class from any copy of baton. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brandOf(this.name)] === true;
  }
}

/** Whether `e` is a {@link BatonError} of this or any other copy of baton. */
export function isBatonError(e: unknown): e is BatonError {
  return e instanceof BatonError;
}

/**
 * Wraps anything thrown into an `Error`, keeping a non-Error original as `cause`
 * (graphile-worker's `coerceError`). Use at every catch site:
 * `catch (e) { const err = coerceError(e); … err.message … }`.
 */
export function coerceError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new Error(typeof e === 'string' ? e : `non-error thrown: ${safeString(e)}`, { cause: e });
}

/** The message of anything thrown: `coerceError(e).message`. */
export function errorMessage(e: unknown): string {
  return coerceError(e).message;
}

/** The `code` of a Node.js system error (`ENOSPC`, `ENAMETOOLONG`…), or undefined. */
export function systemErrorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
