/**
 * @module observe
 * What a server reports about itself: Prometheus metrics; and attempt logs read and
 * searched the same way for the CLI and the API (files or the store's shipped chunks).
 */
export { createMetrics } from './metrics.js';
export type { BatonMetrics, MetricsSources } from './metrics.js';
export {
  readAttemptLog, searchRunLogs, compileLogQuery, LogPatternError, DEFAULT_LOG_MATCHES, MAX_LOG_MATCHES, MAX_LINE_SCANNED, REGEX_BUDGET_MS,
} from './logs.js';
export type { LogMatch, LogQuery, LogRange, LogSearchResult } from './logs.js';
