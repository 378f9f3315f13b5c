/**
 * @module shared
 * The ground floor: JSON types and the base error, imported by every layer and importing
 * nothing of baton's.
 */
export type { JsonValue, JsonObject } from './json.js';
export { BatonError, isBatonError, coerceError, errorMessage, systemErrorCode } from './errors.js';
