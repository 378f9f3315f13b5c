/**
 * @module server
 * The HTTP API of `baton server` (fastify): runs, workflows, schedules, workers, live
 * events, webhooks, health and metrics, uploads for batch runs, and the dashboard, behind
 * bearer tokens or session cookies with roles.
 */
export { buildApi, API_PREFIX, DEFAULT_BODY_LIMIT } from './app.js';
export type { ApiOptions, RunService } from './app.js';
export { ApiError } from './errors.js';
export type { ErrorBody } from './errors.js';
export { createToken, verifyToken, allows } from './tokens.js';
export type { CreatedToken } from './tokens.js';
export { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER } from './routes/hooks.js';
export { DEFAULT_UPLOAD_LIMITS } from './uploads.js';
export type { UploadLimits, UploadManifest, UploadedFile } from './uploads.js';
export { DEFAULT_UPLOAD_RETENTION_MS, uploadsPrunable } from './upload-retention.js';
export { SESSION_COOKIE, SESSION_TTL_MS } from './sessions.js';
