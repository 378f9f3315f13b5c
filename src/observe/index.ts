/**
 * @module observe
 * What a server reports about itself and keeps: Prometheus metrics; retention (pruning old
 * runs, events, logs and other kinds by age, under a leader lease).
 */
export { createMetrics } from './metrics.js';
export type { BatonMetrics } from './metrics.js';
export { DEFAULT_RETENTION_MS, Pruner, RETENTION_KINDS, RetentionOptionsError, retentionAges } from './retention.js';
export type { Prunable, PruneCounts, PruneReport, PrunerOptions } from './retention.js';
export { leaseHolder, pruneUnderLease, RETENTION_LEASE, RetentionLoop } from './retention-loop.js';
export type { LeasedPassOptions, RetentionHandle, RetentionLoopOptions } from './retention-loop.js';
