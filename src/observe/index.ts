/**
 * @module observe
 * What a baton process reports about itself and to whom: Prometheus metrics, OpenTelemetry
 * traces of its runs, alert rules and their lifecycle, and the notification channels
 * (webhook, email, command) that deliver alerts and run reports.
 * The diagnosis of failed runs, and the optional language model that narrates it. The ETA
 * of queued and running runs from their steps' duration history.
 */
export { createMetrics, scrapeGauge } from './metrics.js';
export type { BatonMetrics, GaugeSample, MetricsContributor, MetricsOptions } from './metrics.js';
export { QueueReader } from './queue.js';
export { intakeMetrics } from './intake-metrics.js';
export type { QueueGroup } from './queue.js';
export { startRunTraces, DEFAULT_SERVICE_NAME, TRACE_ATTRIBUTES } from './traces.js';
export type { RunTraces, RunTracesOptions } from './traces.js';
export * from './alerts/index.js';
export * from './channels/index.js';
export { compileChannels, ChannelSecretError } from './channels/compile.js';
export {
  readAttemptLog, readAttemptLogTail, searchRunLogs, compileLogQuery, LogPatternError, DEFAULT_LOG_MATCHES, MAX_LOG_MATCHES, MAX_LINE_SCANNED, REGEX_BUDGET_MS,
} from './logs.js';
export type { LogMatch, LogQuery, LogRange, LogSearchResult } from './logs.js';
export { DEFAULT_RETENTION_MS, Pruner, RETENTION_KINDS, RetentionOptionsError, retentionAges } from './retention.js';
export type { Prunable, PruneCounts, PruneReport, PrunerOptions } from './retention.js';
export { leaseHolder, pruneUnderLease, RETENTION_LEASE, RetentionLoop } from './retention-loop.js';
export type { LeasedPassOptions, RetentionHandle, RetentionLoopOptions } from './retention-loop.js';
export * from './diagnosis/index.js';
export * from './assistant/index.js';
export { loadReport, BACKTEST_ORIGINS, DEFAULT_FORECAST_HOURS, MAX_FORECAST_HOURS, SHOWN_HISTORY_HOURS } from './forecast/report.js';
export type { ForecastPoint, LoadReport, LoadReportQuery, SeriesForecast } from './forecast/report.js';
export type { ForecastErrors, LoadBacktest, LoadModel, NaiveKind } from './forecast/load.js';
export * from './eta/index.js';
