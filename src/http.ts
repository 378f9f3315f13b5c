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
// What a config file parses to before baton adds where it came from (`BatonConfig`), with
// the zod schemas (as types only) that give it its shape; `loadConfigFile` does the checking.
export type { ParsedConfig, ParsedEscalation, ConfigSchema, EscalationSchema } from './workflow/index.js';
// The alert lifecycle (`RunningServer.alerts.book`): fire, acknowledge, clear, with the rules
// it applies and what each delivery did; the notifications channels are sent.
export type { AlertBook, AlertRule, AlertKind, AlertRuleSource, Subject, DeliveryReport } from './observe/index.js';
// The rule kinds (`AlertKind`) and the version of the JSON body a channel sends (`Notification.version`).
export { ALERT_KINDS } from './workflow/index.js';
export { NOTIFICATION_VERSION } from './observe/index.js';
export type {
  AlertNotification, AlertSubject, AlertSeverity, NotifiedAlert, NotificationReason, RunReportNotification, RunUpcomingNotification, WebhookChannelSpec, EmailChannelSpec, CommandChannelSpec,
} from './observe/index.js';
// What a server runs beside its API (`RunningServer`): the run loop that starts and adopts
// runs and fires schedules, its local fleet worker, and what they report.
export type { RunLoop, RunLoopOptions } from './modes/index.js';
export type { Worker } from './runtime/index.js';
export type { FiredTick, RegistryReport, WorkflowRegistry } from './triggers/index.js';
// Retention of a server: the config file's durations as ages, the kinds that plug in, what a pass did.
export { retentionAges, DEFAULT_RETENTION_MS } from './observe/index.js';
export type { Prunable, PruneCounts, PruneReport, RetentionHandle } from './observe/index.js';
export type { PrunableCounts } from './store/index.js';

// Types of the root entry (`baton-flow`) that this entry's signatures name (`serve`'s process,
// `ApiOptions.store`, `RunningServer.engine`…), re-exported as types so `baton-flow/server`
// can be read and typed on its own; they are the same types, not copies.
export type {
  BatonError, JsonValue, JsonObject, BatonProcess, ProcessOptions, CompiledProcessOptions, ProcessMode, StoreLocation,
  Engine, EngineOptions, EngineListener, HandlerPool, HandlerPoolOptions, CommitListener, CommittedEnds, CommittedRun, FinishedRun, RunHandle, RunSummary, StartRunOptions,
  Clock, CancelTimer, TimerOptions, ParsedAlertRule, AlertRuleSchema, RunState, StepRunState, AttemptState, EndReason, RunEndReason, Failure, FailureType,
  WorkflowSpec, StepSpec, StepAction, HttpRequestSpec, HttpMethod, HookKind, StepHandler, RetryPolicy, BackoffKind, BatchSpec, BatchFailurePolicy, ParamSpec, ParamType, Platform,
  ScheduleSpec, MisfirePolicy, OverlapPolicy, SecretSpec, WebhookSpec, RetentionSpec, SpecError, SpecErrorCode, ExtendedBy,
  StepContext, StepLogger,
  Store, RunRecord, StoredStepRun, StepRunRecord, AttemptRecord, EventRecord, RunFilter, Trigger, WorkflowVersionRecord, ScheduleRecord,
  StoredBatchGroup, BatchGroupState,
  AlertStore, StoredAlertRule, StoredAlertRules, AlertRecord, AlertState, AlertEventRecord, NewAlertEvent, AlertChange, AlertUpdate, AlertFilter, AlertGroupRecord,
  SilenceRecord, SilenceMatcher, DeliveryRecord, DeliveryState, LogStore, LogChunk, LogChunkInput, LogChunkRead,
  HistoryStore, HistoryQuery, HistorySummary, HistoryBucket, HistoryBucketSize, WorkflowHistory, StepHistory, StepDurations, FailingStep,
  ExportQuery, ExportPage, RunExport, StepExport, LoadQuery, HourlyLoad,
  Batch, NewEvent, NewRunRows, RunUpdate, AttemptEnd, RunOwner, RenewResult, RunReopen, TickFire, TickOutcome,
  ApiStore, RunQuery, QuietEnds, RunPage, StateCounts, WorkflowSummary, Role, TokenRecord, SessionRecord, WebhookDelivery, FeedEvent, FeedFilter, AlertFeedData, WaitingStepGroup,
  RetentionStore, PruneScope, RetiredRowCounts, RunCursor, AttemptLog,
  FleetStore, FleetAttemptInput, FleetChannel, FleetListener, ListenOptions, ClaimRequest, ClaimedAttempt, CompleteAndClaimResult, CompletedAttempt,
  CompletionItem, AttemptOutcome, HeartbeatResult, CancelRequestResult, ExpiredAttempt, ReapedAttempt, WaitingAttempt,
  WorkerRecord, WorkerRegistration, WorkerState, WorkerStatus, WorkerLoad, WorkerFacts, WaitingReason,
} from './index.js';
