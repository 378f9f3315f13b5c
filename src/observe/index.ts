/**
 * @module observe
 * What a server reports about itself and to whom: Prometheus metrics, alert rules and their
 * lifecycle, and the notification channels (webhook, email, command) that deliver alerts
 * and run reports.
 */
export { createMetrics } from './metrics.js';
export type { BatonMetrics } from './metrics.js';
export * from './alerts/index.js';
export * from './channels/index.js';
export { compileChannels, ChannelSecretError } from './channels/compile.js';
