/**
 * @module store
 * The storage layer's public face: the `Store` contract and its implementations, SQLite
 * (embedded default) and PostgreSQL (shared by several nodes).
 */
export * from './types.js';
export * from './api-types.js';
export * from './alert-types.js';
export type * from './breaker-types.js';
export { newAlertId } from './alert-sql.js';
export type * from './log-types.js';
export * from './history-types.js';
export type * from './retention-types.js';
export { TOKEN_TOUCH_MS } from './api-rows.js';
export { openSqliteStore, SqliteStore } from './sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { openPostgresStore, PgStore } from './postgres/pg-store.js';
export type { PgStoreOptions } from './postgres/pg-store.js';
export { redactDatabaseUrl } from './postgres/dialect.js';
export type * from './fleet-types.js';
export { DEFAULT_WORKER_LEASE_MS, WORKER_RETENTION_MS } from './fleet-types.js';
export { waitingReason } from './fleet-waiting.js';
export { openFleetStore, PgFleetStore } from './postgres/fleet.js';
export type { FleetStoreOptions } from './postgres/fleet.js';
