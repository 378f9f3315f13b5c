/**
 * @module shared/trace-ids
 * The OpenTelemetry ids of a run's trace, derived from its records instead of stored: every
 * process that emits spans for a run (the one that started it, one that resumed it, a fleet
 * coordinator that took it over) and every reader (`baton show`, the API) computes the same
 * ids, from the moment the run exists, without a column or a round trip.
 * @see https://www.w3.org/TR/trace-context/#trace-id (16 bytes, 32 lowercase hex; all zeros is invalid)
 */
import { createHash } from 'node:crypto';

/** `bytes` bytes of SHA-256 of `text`, as lowercase hex, never all zeros (an invalid W3C id). */
function hashId(text: string, bytes: number): string {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, 2 * bytes);
  // One chance in 2^64 or 2^128; a valid id beats a dropped span.
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/**
 * The trace id of a run: the first 16 bytes of SHA-256 of its id, 32 lowercase hex
 * characters. What `baton show` and the API print, and the trace id of every span of the run.
 * @example traceIdOf('0mb3h2x1a1b2c3d4') // 32 hex characters, the same in every process
 */
export function traceIdOf(runId: string): string {
  return hashId(runId, 16);
}

/**
 * The span id of a run's root span (`run <workflow>`), 16 lowercase hex characters: the first
 * 8 bytes of SHA-256 of `run` and the run id. One per run, like its start: a run that ends
 * again (an operator's re-run, a cancelled run resumed) keeps its first start, and its root
 * span is emitted again under the same id, with the later end.
 */
export function runSpanIdOf(runId: string): string {
  return hashId(`run\u0000${runId}`, 8);
}

/**
 * The span id of an attempt's span (`step <id>`), 16 lowercase hex characters: the first 8
 * bytes of SHA-256 of `attempt` and the attempt id (`<run>.<step>.<n>`, unique), so a span
 * emitted twice (an end applied again after a crash) carries the same id.
 */
export function attemptSpanIdOf(attemptId: string): string {
  return hashId(`attempt\u0000${attemptId}`, 8);
}
