/**
 * @module baton-flow/server
 * The package's `baton-flow/server` entry: serve the HTTP API on an assembled process
 * ({@link serve}), or build the fastify app alone ({@link buildApi}). A separate entry so
 * programs that only run workflows never load fastify.
 *
 * @example
 * import { openProcess } from 'baton-flow';
 * import { serve } from 'baton-flow/server';
 * const proc = await openProcess({ mode: 'server', store: { kind: 'sqlite', path: '.baton/baton.db' } });
 * const server = await serve(proc, { report: console.log, api: { host: '127.0.0.1', port: 8080 } });
 */
export * from './server/index.js';
export { serve } from './modes/index.js';
export type { ServeOptions, ServeRetentionOptions, RunningServer, ServerReport } from './modes/index.js';
// Extra /metrics series (`ApiOptions.metrics`, `ServeOptions.metrics`).
export { scrapeGauge } from './observe/index.js';
export type { GaugeSample, MetricsContributor } from './observe/index.js';
// Alerting (`ServeOptions.config`, `channels`, `RunningServer.alerts`).
export { AlertService, createChannel, compileChannels } from './observe/index.js';
export type { AlertClock, AlertServiceOptions, SilenceInput, Channel, ChannelSpec, DeliveryOutcome, Notification } from './observe/index.js';
export { loadConfigFile, findConfig } from './workflow/index.js';
export type { BatonConfig } from './workflow/index.js';
// Retention of a server: the config file's durations as ages, the kinds that plug in, what a pass did.
export { retentionAges, DEFAULT_RETENTION_MS } from './observe/index.js';
export type { Prunable, PruneCounts, PruneReport, RetentionHandle } from './observe/index.js';
export type { PrunableCounts } from './store/index.js';
