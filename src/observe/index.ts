/**
 * @module observe
 * What a baton process reports about itself: Prometheus metrics, and OpenTelemetry traces
 * of its runs.
 */
export { createMetrics, scrapeGauge } from './metrics.js';
export type { BatonMetrics, GaugeSample, MetricsContributor, MetricsOptions } from './metrics.js';
export { startRunTraces, DEFAULT_SERVICE_NAME, TRACE_ATTRIBUTES } from './traces.js';
export type { RunTraces, RunTracesOptions } from './traces.js';
