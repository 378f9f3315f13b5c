/**
 * @module observe/channels/outcome
 * How every channel words what went wrong: one line, secrets masked first, then cut.
 * Masking comes first because a text cut first can end in the first characters of a
 * secret, which then no longer match it.
 */
import { oneLine } from './render.js';
import type { DeliveryOutcome } from './types.js';

/** Longest error text an outcome carries, characters (the webhook quotes the body up to this). */
export const MAX_ERROR_CHARS = 200;

/** `text` masked with `mask`, then on one line of at most {@link MAX_ERROR_CHARS} characters. */
export function errorLine(text: string, mask: (text: string) => string): string {
  return oneLine(mask(text), MAX_ERROR_CHARS);
}

/** A failed outcome; its error masked and cut by {@link errorLine}. */
export function failed(
  error: string,
  retryable: boolean,
  started: number,
  mask: (text: string) => string,
  codes: Pick<DeliveryOutcome, 'statusCode' | 'exitCode'> = {},
): DeliveryOutcome {
  return { ok: false, retryable, ...codes, error: errorLine(error, mask), durationMs: elapsed(started) };
}

/** ms since `started` (a `performance.now()` reading), whole. */
export function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
