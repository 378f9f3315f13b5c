/**
 * @module shared
 * The ground floor: JSON types, the base error, timers of any length and bounded file names,
 * imported by every layer and importing
 * nothing of baton's.
 */
export type { JsonValue, JsonObject } from './json.js';
export { BatonError, isBatonError, coerceError, errorMessage, systemErrorCode } from './errors.js';
export { setLongTimeout, MAX_TIMEOUT_MS } from './timers.js';
export type { CancelTimer, LongTimeoutOptions } from './timers.js';
export { fileNamePart, MAX_NAME_PART } from './file-names.js';
export { BATON_VERSION } from './version.js';
export { traceIdOf, runSpanIdOf, attemptSpanIdOf } from './trace-ids.js';
