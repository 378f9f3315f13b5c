/**
 * @module shared/json
 * JSON value types, on the ground floor so every layer can name a JSON value without
 * importing the workflow-definition layer.
 */

/** Any value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };
