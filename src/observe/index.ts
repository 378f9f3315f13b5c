/**
 * @module observe
 * What a server reports about itself: Prometheus metrics.
 */
export { createMetrics } from './metrics.js';
export type { BatonMetrics } from './metrics.js';
