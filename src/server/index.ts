/**
 * @module server
 * The HTTP API of `baton server` (fastify): runs, workflows, schedules, workers, live
 * events, webhooks, health and metrics, behind bearer tokens with roles.
 */
export { buildApi, API_PREFIX, DEFAULT_BODY_LIMIT } from './app.js';
export type { ApiOptions, RunService } from './app.js';
export { ApiError } from './errors.js';
export type { ErrorBody } from './errors.js';
export { createToken, verifyToken, allows } from './tokens.js';
export type { CreatedToken } from './tokens.js';
export { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './routes/hooks.js';
