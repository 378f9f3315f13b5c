/**
 * @module store
 * The storage layer's public face: the `Store` contract and its implementations.
 */
export * from './types.js';
export { openSqliteStore, SqliteStore } from './sqlite/sqlite-store.js';
export type { SqliteStoreOptions } from './sqlite/sqlite-store.js';
