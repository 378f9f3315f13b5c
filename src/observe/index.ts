/**
 * @module observe
 * What a server reports about itself: Prometheus metrics.
 */
export { createMetrics } from './metrics.js';
export type { BatonMetrics } from './metrics.js';
export * from './alerts/index.js';
export type * from './channels/types.js';
export { NOTIFICATION_VERSION } from './channels/types.js';
