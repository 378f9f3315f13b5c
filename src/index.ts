/**
 * @module baton-flow
 * The public TypeScript API of baton: define, validate and load workflows, run them on an
 * engine, open a store and read the durable record, write step handlers. Everything else
 * under `src/` is internal and may change in any release; the HTTP API is `baton-flow/server`.
 * The checked-in report `etc/baton-flow.api.md` lists this surface (`npm run api:check`).
 *
 * Importable from ESM (`import`) and CommonJS (`require`, Node >= 20.19 loads the ESM build
 * synchronously).
 *
 * @example
 * import { defineWorkflow, compileWorkflow, createEngine, openSqliteStore, workflowVersion } from 'baton-flow';
 * const spec = compileWorkflow(defineWorkflow({ name: 'hello', steps: [{ id: 'hi', run: 'echo hi' }] }), { baseDir: process.cwd() });
 * const store = openSqliteStore('.baton/baton.db'); await store.migrate();
 * const engine = createEngine({ store, dataDir: '.baton' });
 * const run = await engine.startRun(spec, workflowVersion(spec));
 * console.log(await run.result); // { id, state: 'succeeded' }
 */

// JSON and the base error every baton error extends.
export type { JsonValue, JsonObject } from './shared/index.js';
export { BatonError, isBatonError } from './shared/index.js';

// Workflow definitions: the SDK, the loader, validation, the compiled model.
export { defineWorkflow, compileWorkflow, DEFAULT_RETRY, DEFAULT_CONCURRENCY } from './workflow/index.js';
export type { CompileOptions, WorkflowInput, StepInput, RetryInput } from './workflow/index.js';
// The zod schemas a definition is checked against, as types only: they give `WorkflowInput`,
// `StepInput`, `RetryInput` and `ParsedAlertRule` their shapes. To check a definition at run
// time use `compileWorkflow` or `validateWorkflowText`, which add the checks zod cannot make.
export type { WorkflowSchema, StepSchema, RetrySchema, AlertRuleSchema } from './workflow/index.js';
export { loadWorkflowFile, validateWorkflowFile, validateWorkflowText, checkHandlers } from './workflow/index.js';
export type { ValidationResult, SourceFormat } from './workflow/index.js';
export { workflowVersion, toMermaid, parseDuration, decodeDefinition, DefinitionDecodeError } from './workflow/index.js';
export type {
  WorkflowSpec, StepSpec, StepWorkload, StepAction, HttpRequestSpec, HttpMethod, HookKind, RetryPolicy, BackoffKind, BatchSpec, BatchFailurePolicy, MapSpec,
  ParamSpec, ParamType, Platform, ScheduleSpec, MisfirePolicy, OverlapPolicy, SecretSpec, WebhookSpec, RetentionSpec,
} from './workflow/index.js';
export { WorkflowValidationError, ParamError, ExpressionError, HandlerLoadError, formatSpecError } from './workflow/index.js';
export type { SpecError, SpecErrorCode, ExtendedBy, HandlerLoadFailure } from './workflow/index.js';

// Writing step handlers.
export type { StepContext, StepHandler, StepLogger } from './workflow/index.js';
export { createMasker } from './executors/index.js';
export type { Masker, MaskStream } from './executors/index.js';
export { StepFailure } from './core/index.js';
export type { Failure, FailureType } from './core/index.js';
export { failures, isFailure } from './core/index.js';
export type { BatchResult, BatchItemResult, BatchItemStatus, BatchGroupRecord } from './executors/index.js';

// States of runs, step runs and attempts.
export { RUN_STATES, STEP_RUN_STATES, isRunDone, isStepDone, isStepActive } from './core/index.js';
export type { RunState, StepRunState, AttemptState, EndReason, RunEndReason, StepRunRecord } from './core/index.js';

// Stores and the durable record.
export { openSqliteStore, SqliteStore, openPostgresStore, PgStore, RunNotFoundError, TRIGGERS } from './store/index.js';
export type {
  Store, SqliteStoreOptions, PgStoreOptions, RunRecord, StoredStepRun, StepSignal, ApprovalAnswer, AttemptRecord, EventRecord,
  RunFilter, Trigger, WorkflowVersionRecord, ScheduleRecord, StoredBatchGroup, BatchGroupState,
  AlertStore, StoredAlertRule, StoredAlertRules, AlertRecord, AlertState, AlertEventRecord, NewAlertEvent, AlertChange, AlertUpdate, AlertFilter, AlertGroupRecord,
  SilenceRecord, SilenceMatcher, DeliveryRecord, DeliveryState,
  LogStore, LogChunk, LogChunkInput, LogChunkRead,
} from './store/index.js';
// What the `Store` contract's methods take and give: the engine's commits, run leases,
// operator re-runs, schedule ticks, and the parts for the HTTP API, retention and the fleet.
export type {
  Batch, NewEvent, NewRunRows, RunUpdate, AttemptEnd, RunOwner, RenewResult, RunReopen, TickFire, TickOutcome,
  ApiStore, RunQuery, QuietEnds, RunPage, StateCounts, WorkflowSummary, Role, TokenRecord, SessionRecord, WebhookDelivery, FeedEvent, FeedFilter, AlertFeedData, WaitingStepGroup,
  RetentionStore, PruneScope, PrunableCounts, RetiredRowCounts, RunCursor, AttemptLog,
  FleetStore, FleetAttemptInput, FleetChannel, FleetListener, ListenOptions, ClaimRequest, ClaimedAttempt, CompleteAndClaimResult, CompletedAttempt,
  CompletionItem, AttemptOutcome, HeartbeatResult, CancelRequestResult, ExpiredAttempt, ReapedAttempt, WaitingAttempt,
  WorkerRecord, WorkerRegistration, WorkerState, WorkerStatus, WorkerLoad, WorkerFacts, WaitingReason,
} from './store/index.js';
export type { ParsedAlertRule } from './workflow/index.js';
// Run history: what `baton history`, `baton forecast` and GET /api/v1/history and /forecast read (`store.history`).
export type {
  HistoryStore, HistoryQuery, HistorySummary, HistoryBucket, HistoryBucketSize, WorkflowHistory, StepHistory, StepDurations, FailingStep,
  ExportQuery, ExportPage, RunExport, StepExport, LoadQuery, HourlyLoad,
} from './store/index.js';

// Running workflows.
export { createEngine, RunHeldError, ResumeError } from './runtime/index.js';
export type { Engine, EngineOptions, EngineListener, RunHandle, RunSummary, StartRunOptions } from './runtime/index.js';
export type { HostReading, HostSampler, ThrottleEvent, ThrottleOptions, ThrottleStatus } from './runtime/index.js';
// The worker threads path handlers run in; pass one to several engines or workers to share it.
export { HandlerPool } from './executors/index.js';
export type { HandlerPoolOptions } from './executors/index.js';
// What each commit ended, for reporters such as traces (`engine.onCommitted`).
export type { CommitListener, CommittedEnds, CommittedRun, FinishedRun } from './runtime/index.js';
// The OpenTelemetry trace id of a run (what `baton show` prints), derived from its id.
export { traceIdOf } from './shared/index.js';
// Time as the engine sees it (retries, timeouts, heartbeats): a virtual clock lets a test
// advance days in milliseconds.
export { VirtualClock, StoreDiskFullError } from './runtime/index.js';
export { answerApproval, sendSignal, SignalError } from './runtime/index.js';
export type { Clock, CancelTimer, TimerOptions } from './runtime/index.js';

// Assembling a baton process (what the CLI's commands do): the store opened and migrated,
// fleet-or-local decided from it, one engine.
export { openProcess, processOnStore, compileProcessOptions, tracesRequested, ProcessOptionsError, StoreOpenError } from './modes/index.js';
export type { BatonProcess, ProcessOptions, ProcessOnStoreOptions, CompiledProcessOptions, ProcessMode, StoreLocation } from './modes/index.js';
