/**
 * @module server/schemas
 * The API's request and response shapes, as zod schemas: fastify validates requests with
 * them, and @fastify/swagger turns the same schemas into the OpenAPI document, so the
 * document cannot drift from what the server accepts. Times are ms since the Unix epoch.
 * The CLI's API client reads every answer through the same schemas (this module loads zod
 * only, not fastify: the server layer's second public face).
 */
import { z } from 'zod';
import type { RunState, StepRunState } from '../core/index.js';
import { RUN_STATES, STEP_RUN_STATES } from '../core/index.js';
import type { Trigger } from '../store/index.js';
import { MAX_EXPORT_PAGE, TRIGGERS } from '../store/index.js';
import { checkDuration } from '../workflow/index.js';

/** The body of every error response. */
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(), message: z.string(), details: z.unknown().optional(),
    requestId: z.string().optional().describe('on 500s: the id the server logged the failure under'),
  }),
}).meta({ id: 'Error' });

const ms = z.number().int().describe('ms since the Unix epoch');

const FailureSchema = z.object({
  type: z.string(), message: z.string(), retryable: z.boolean(), details: z.unknown().optional(),
  retryAfterMs: z.number().nonnegative().optional().describe('the wait the failed party asked for before the next try, ms (an HTTP Retry-After)'),
}).meta({ id: 'Failure' });

/** A run's ETA (observe/eta). */
export const RunEtaSchema = z.object({
  p50: ms.nullable().describe('predicted end, median, ms since epoch; null when unknown or the run has ended'),
  p90: ms.nullable().describe('predicted end, 90th percentile (never before p50), ms since epoch; null when unknown or the run has ended'),
  basis: z.enum(['steps', 'runs', 'unknown']).describe("what it came from: 'steps', the duration history of the run's steps along its remaining DAG; 'runs', the durations of the workflow's succeeded runs; 'unknown', neither (no history, or the run has ended)"),
  deadline: ms.optional().describe("when the run must have ended (its workflow's or schedule entry's `deadline:`), ms since epoch; absent when none is declared. At risk while p90 is past it"),
}).meta({ id: 'RunEta' });

/** A run. */
export const RunSchema = z.object({
  id: z.string(),
  workflow: z.string(),
  version: z.string(),
  state: z.enum(RUN_STATES as readonly [RunState, ...RunState[]]),
  trigger: z.enum(TRIGGERS as readonly [Trigger, ...Trigger[]]),
  params: z.record(z.string(), z.unknown()),
  priority: z.number().int(),
  concurrency: z.number().int().optional(),
  stepCount: z.number().int(),
  createdAt: ms,
  startedAt: ms.optional(),
  endedAt: ms.optional(),
  reason: z.string().optional().describe('why it ended so: cancelled, run-timeout, or for a run with hook steps the failed steps, e.g. "steps failed: work; hooks failed: cleanup"'),
  owner: z.string().optional().describe('the process holding the run'),
  ownerHost: z.string().optional(),
  ownerPid: z.number().int().optional(),
  leaseExpiresAt: ms.optional(),
  cancelRequestedAt: ms.optional(),
  dueAt: ms.optional().describe('a pending run becomes queued at this time'),
  scheduleId: z.string().optional(),
  tickAt: ms.optional(),
  pausedAt: ms.optional().describe('set while the run is paused'),
  queuedAt: ms.optional(),
  retryOf: z.string().optional().describe('the run this one retries'),
  parentRunId: z.string().optional().describe('a child run (trigger `parent`): the run whose sub-workflow step started it'),
  parentStepId: z.string().optional().describe('a child run: the sub-workflow step that started it'),
  depth: z.number().int().optional().describe('a child run: how many parents are above it (absent for a run no step started)'),
  waitedMs: z.number().optional().describe('how long it has waited queued, ms'),
  eta: RunEtaSchema.optional().describe('GET /runs and GET /runs/{id}: when the run is predicted to end, from the history of its steps (null figures once it has ended)'),
}).meta({ id: 'Run' });

/** Items of a batch step by the state of their groups. */
export const BatchProgressSchema = z.object({
  done: z.number().int().describe('items whose group succeeded'),
  failed: z.number().int().describe('items whose group failed after its retries'),
  invalid: z.number().int().describe('items that failed validation'),
  total: z.number().int().describe('every item, invalid ones included'),
}).meta({ id: 'BatchProgress' });

/** A step run. */
/** The answer a waiting step received. */
export const StepSignalSchema = z.object({
  name: z.string().describe('the signal name; `approval` for an approval step'),
  payload: z.unknown().describe("the signal's JSON payload (the step's output); for an approval, `{ approved, note? }`"),
  by: z.string().optional().describe('who sent it: api:<token name>, cli:<user>'),
  at: ms,
}).meta({ id: 'StepSignal' });

/** The body of `POST /runs/{id}/steps/{step}/approval`. */
export const ApprovalBody = z.object({
  approved: z.boolean().describe('true approves (the step succeeds), false rejects (the step fails with `rejected`, not retried)'),
  note: z.string().max(2_000).optional().describe('why, kept with the answer and shown in the run'),
});

export const StepRunSchema = z.object({
  stepId: z.string(),
  position: z.number().int(),
  state: z.enum(STEP_RUN_STATES as readonly [StepRunState, ...StepRunState[]]),
  attempts: z.number().int(),
  lostAttempts: z.number().int(),
  queuedAt: ms.optional(),
  dueAt: ms.optional().describe('when a retrying step is queued again'),
  startedAt: ms.optional(),
  endedAt: ms.optional(),
  output: z.unknown().optional(),
  error: FailureSchema.optional(),
  reason: z.string().optional(),
  waitedMs: z.number().optional().describe('how long it has waited queued, ms'),
  waiting: z.object({
    reason: z.enum(['no-worker', 'no-matching-worker', 'circuit-open', 'pool-full', 'workers-busy', 'claimable']),
    detail: z.string(),
    missingTags: z.array(z.string()).optional(),
    waitedMs: z.number(),
  }).optional().describe('fleet mode: why its published attempt is not claimed by a worker yet'),
  batch: BatchProgressSchema.optional().describe('a batch step whose groups are planned: its items as the stored groups stand (the live feed\'s `batch` events carry the same counts as each group ends)'),
  item: z.unknown().optional().describe('an item of a mapped step (step id `<step>[<index>]`, listed after its step): the item it runs for, as recorded when the step expanded (a `map` event)'),
  signal: StepSignalSchema.optional().describe('a `wait:` or `approval:` step: the answer it received (it may arrive before the step waits); absent while it waits'),
  circuit: z.object({
    reason: z.literal('circuit-open'),
    breaker: z.string().describe('the breaker key (GET /breakers)'),
    until: ms.optional().describe('when its half-open trial may start; absent while another step\'s trial is out'),
  }).optional().describe('a queued step run held back because its circuit breaker is open; absent once it starts'),
}).meta({ id: 'StepRun' });

/** A circuit breaker shared by every node of the store. */
export const BreakerSchema = z.object({
  key: z.string().describe('pool:NAME, http:HOST, step:WORKFLOW/STEP, or the key a workflow named'),
  state: z.enum(['closed', 'open', 'half-open']),
  consecutiveFailures: z.number().int(),
  callsInWindow: z.number().int().describe('calls recorded inside the rate window'),
  failedInWindow: z.number().int(),
  openedAt: ms.optional(),
  nextTrialAt: ms.optional().describe('while open: when one trial attempt may start'),
  trialAttempt: z.string().optional().describe('while half-open: the attempt that is the trial'),
  reason: z.string().optional().describe('why it is in its state, e.g. "5 consecutive failures", "trial succeeded"'),
  updatedAt: ms,
}).meta({ id: 'Breaker' });

/** An attempt. */
export const AttemptSchema = z.object({
  id: z.string().describe('stable: <run>.<step>.<number>, usable as an idempotency key'),
  runId: z.string(),
  stepId: z.string(),
  number: z.number().int(),
  state: z.string(),
  startedAt: ms,
  endedAt: ms.optional(),
  exitCode: z.number().int().optional(),
  error: FailureSchema.optional(),
  logPath: z.string().optional(),
  pid: z.number().int().optional(),
  peakRssBytes: z.number().optional(),
  cpuMs: z.number().optional(),
  worker: z.string().optional(),
}).meta({ id: 'Attempt' });

/** A run with its step runs and attempts. */
export const RunDetailSchema = z.object({
  run: RunSchema,
  traceId: z.string().regex(/^[0-9a-f]{32}$/).describe("the OpenTelemetry trace id of the run's spans: the first 16 bytes of SHA-256 of the run id, hex (known from the run's creation, whether or not traces are exported)"),
  steps: z.array(StepRunSchema),
  attempts: z.array(AttemptSchema),
}).meta({ id: 'RunDetail' });

/** `GET /runs` filters: comma-separated lists for state and trigger. */
export const RunListQuery = z.object({
  workflow: z.string().optional(),
  state: z.string().optional().describe(`comma-separated: ${RUN_STATES.join(', ')}`),
  trigger: z.string().optional().describe(`comma-separated: ${TRIGGERS.join(', ')}`),
  since: z.coerce.number().int().optional().describe('created at or after, ms since epoch'),
  until: z.coerce.number().int().optional().describe('created before, ms since epoch'),
  cursor: z.string().optional().describe("the 'next' of the previous page"),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

/** A page of runs. */
export const RunPageSchema = z.object({ runs: z.array(RunSchema), next: z.string().optional() }).meta({ id: 'RunPage' });

/** `POST /runs`. */
export const CreateRunBody = z.object({
  workflow: z.string().min(1),
  version: z.string().optional().describe('default: the newest registered version'),
  params: z.record(z.string(), z.unknown()).default({}),
  priority: z.number().int().min(-10).max(10).optional(),
  concurrency: z.number().int().min(1).optional(),
  at: z.union([ms, z.iso.datetime({ offset: true })]).optional().describe('start no earlier than this (ms since epoch or ISO 8601): the run is pending until then'),
});

/** `POST /runs/{id}/retry`. */
export const RetryBody = z.object({
  mode: z.enum(['new', 'failed', 'from']).default('new').describe("'new': a new run with the same params; 'failed': only the failed steps of this run; 'from': a step and everything downstream"),
  step: z.string().optional().describe("with mode 'from'"),
  on: z.array(z.string().regex(/^[^\s,]+$/, { error: 'a tag has no blank or comma' }).max(100)).min(1).max(20).optional()
    .describe("with mode 'failed' or 'from' on a fleet (PostgreSQL): tags the workers running the re-run steps must have, besides each step's runs-on (400 without a fleet)"),
});

/** `POST /runs/{id}/priority`. */
export const PriorityBody = z.object({ priority: z.number().int().min(-10).max(10) });

/** A workflow name with its newest version. */
export const WorkflowSummarySchema = z.object({
  name: z.string(), latestVersion: z.string(), versions: z.number().int(), updatedAt: ms,
}).meta({ id: 'WorkflowSummary' });

/** A stored workflow version. */
export const WorkflowVersionSchema = z.object({
  name: z.string(), version: z.string(), createdAt: ms, definition: z.unknown(), sourcePath: z.string().optional(),
}).meta({ id: 'WorkflowVersion' });

/** A validation problem, positioned in the submitted text. */
export const SpecErrorSchema = z.object({
  code: z.string(), message: z.string(), path: z.string(), file: z.string().optional(), line: z.number().int().optional(), column: z.number().int().optional(),
  extendedBy: z.object({
    template: z.string(), step: z.string().optional(), path: z.string(), file: z.string().optional(), line: z.number().int().optional(), column: z.number().int().optional(),
  }).optional().describe('set when the field came from a step template: `file`/`line` above point into the template, this names the step whose `extend` used it'),
}).meta({ id: 'SpecError' });

/** A schedule with its next fire times. */
export const ScheduleSchema = z.object({
  id: z.string(), workflow: z.string(), version: z.string(), paused: z.boolean(), spec: z.unknown(), lastTickAt: ms.optional(),
  lastOutcome: z.enum(['created', 'skipped-overlap', 'skipped-misfire', 'skipped-backpressure']).optional()
    .describe('what the tick at lastTickAt did; skipped-backpressure: intake refused its run (absent when a resume moved lastTickAt)'),
  updatedAt: ms, nextFireTimes: z.array(ms),
}).meta({ id: 'Schedule' });

/** A fleet worker. */
export const WorkerSchema = z.object({
  id: z.string(), host: z.string(), pid: z.number().int(), platform: z.string(),
  tags: z.array(z.string()).describe('tags runs-on can name (the platform counts too): those given to the worker and, for baton worker, those it detected (architecture, tools on its PATH, gpu)'),
  slots: z.number().int(), version: z.string(),
  facts: z.object({
    arch: z.string().describe('os.arch(): x64, arm64, …'),
    cpus: z.number().int().describe('CPUs the worker can use'),
    memoryBytes: z.number().describe('total memory of its machine, bytes'),
  }).optional().describe('its machine, read when it started; absent for workers of an older baton'),
  state: z.enum(['active', 'draining', 'stopped', 'lost']).describe('lost: not stopped, but no heartbeat within its lease (it died)'),
  startedAt: ms, heartbeatAt: ms, heartbeatAgeMs: z.number(),
  leaseMs: z.number().int().optional().describe('lease of its claims, ms: a heartbeat older than this makes it lost'),
  stoppedAt: ms.optional(),
  load: z.object({
    cpu: z.number(), mem: z.number(), slotsInUse: z.number().int(),
    throttled: z.boolean().optional().describe('it claims nothing now: its adaptive limit is below its slots and all in use'),
    limit: z.number().int().optional().describe('slots it may use now, by its adaptive throttle (≤ slots); absent with --no-throttle'),
    limitReason: z.string().optional().describe('why limit is below slots: "cpu 93 % > 80 %", "memory 85 % > 80 %", "event-loop lag 250 ms > 200 ms"'),
  }).optional(),
}).meta({ id: 'Worker' });

/** Waiting step runs of one pool at one effective priority. */
export const QueueGroupSchema = z.object({
  pool: z.string().describe("the steps' pool; empty for steps without one"),
  priority: z.number().int().describe("effective priority: the step's priority plus its run's"),
  count: z.number().int().min(0).describe('step runs waiting'),
  oldestQueuedAt: ms.describe('when the longest-waiting of them became ready'),
  oldestAgeMs: z.number().min(0).describe('how long it has waited, ms'),
}).meta({ id: 'QueueGroup' });

/** The queue: step runs waiting to start, by pool and effective priority. */
export const QueueSchema = z.object({
  queued: z.number().int().min(0).describe('step runs queued (ready, waiting for a slot), as `baton_queue_depth`'),
  groups: z.array(QueueGroupSchema).describe('step runs waiting (queued, or published and not claimed by a fleet worker) by pool and effective priority, highest priority first'),
}).meta({ id: 'Queue' });

/** An API token, never with its secret. */
export const TokenSchema = z.object({
  id: z.string(), name: z.string(), role: z.enum(['viewer', 'operator', 'admin']), createdAt: ms, lastUsedAt: ms.optional(), revokedAt: ms.optional(),
}).meta({ id: 'Token' });

/** Path parameter of run routes. */
export const RunParams = z.object({ id: z.string().min(1).describe('run id or a unique prefix') });

/** An alert (DESIGN.md glossary). Times are ms since the epoch. */
export const AlertSchema = z.object({
  id: z.string(), key: z.string().describe('rule + subject: one open alert per key'), rule: z.string(), kind: z.string(),
  severity: z.enum(['info', 'warning', 'critical']), state: z.enum(['firing', 'acknowledged', 'silenced', 'resolved']), summary: z.string(),
  subject: z.record(z.string(), z.string()), labels: z.record(z.string(), z.string()), details: z.record(z.string(), z.unknown()).optional(),
  groupKey: z.string(), firedAt: ms, updatedAt: ms, acknowledgedAt: ms.optional(), acknowledgedBy: z.string().optional(),
  resolvedAt: ms.optional(), resolvedBy: z.string().optional(), count: z.number().int().describe('times the condition was seen while open'),
  notified: z.enum(['firing', 'resolved']).optional(), notifiedAt: ms.optional(), level: z.number().int(), round: z.number().int(), escalationDone: z.boolean(), version: z.number().int(),
}).meta({ id: 'Alert' });

/** A rule in effect on the server, with where it comes from. */
export const AlertRuleInfoSchema = z.object({
  name: z.string(), kind: z.string(),
  source: z.enum(['builtin', 'config', 'api']).describe('builtin: no alerts: in the config; config: baton.config.yaml; api: set with PUT /alert-rules/{name}, overriding the others of its name'),
  severity: z.enum(['info', 'warning', 'critical']), enabled: z.boolean(), notify: z.array(z.string()).describe('channels of its first message'),
  definition: z.record(z.string(), z.unknown()).optional().describe('the rule as written, in the shape of a baton.config.yaml rule'),
}).meta({ id: 'AlertRuleInfo' });

/** One change of an alert. */
export const AlertEventSchema = z.object({
  seq: z.number().int(), alertId: z.string(), at: ms, type: z.string(), actor: z.string(), note: z.string().optional(), data: z.record(z.string(), z.unknown()).optional(),
}).meta({ id: 'AlertEvent' });

/** A delivery job of a notification to one channel. */
export const DeliverySchema = z.object({
  id: z.string(), channel: z.string(), reason: z.string(), state: z.enum(['pending', 'delivered', 'failed']), attempts: z.number().int(),
  nextAt: ms, createdAt: ms, deliveredAt: ms.optional(), statusCode: z.number().int().optional().describe('HTTP status, SMTP reply code or exit code'),
  error: z.string().optional(), alertIds: z.array(z.string()),
}).meta({ id: 'Delivery' });

/** A silence matcher: label `name` equals `value` (a `*` glob with `glob: true`). */
export const SilenceMatcherSchema = z.object({ name: z.string().min(1), value: z.string(), glob: z.boolean().optional() }).meta({ id: 'SilenceMatcher' });

/** A silence. */
export const SilenceSchema = z.object({
  id: z.string(), matchers: z.array(SilenceMatcherSchema), startsAt: ms, endsAt: ms, createdBy: z.string(), comment: z.string().optional(), createdAt: ms, expiredAt: ms.optional(),
}).meta({ id: 'Silence' });

/** `GET /runs/{id}/logs`: a search over a run's attempt logs. */
export const LogSearchQuery = z.object({
  q: z.string().min(1).max(1024).describe('what to look for: a plain substring, or with regex=true a JavaScript regular expression'),
  regex: z.enum(['true', 'false']).default('false').describe('read q as a regular expression (refused with 400 bad-pattern when it does not compile)'),
  ignoreCase: z.enum(['true', 'false']).default('false'),
  step: z.string().optional().describe('only the attempts of this step'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000).describe('matches at most'),
});

/** One line of a log that matched a search. */
export const LogMatchSchema = z.object({
  stepId: z.string(),
  attempt: z.number().int().describe('the attempt number, from 1'),
  line: z.number().int().describe("line number in the attempt's log, from 1"),
  offset: z.number().int().describe("byte offset of the line's start in the attempt's log (read the log from there to show it)"),
  text: z.string().describe('the line as stored (secrets masked), without its newline; at most its first 4096 characters'),
}).meta({ id: 'LogMatch' });

/** The answer of a log search. */
export const LogSearchSchema = z.object({
  matches: z.array(LogMatchSchema),
  truncated: z.boolean().describe('more lines matched than limit: only the first limit are given'),
}).meta({ id: 'LogSearch' });

/** How far back a history window reaches: a duration text, checked as workflow durations are. */
const sinceText = z.string().default('7d')
  .superRefine((v, ctx) => {
    const problem = checkDuration(v, false);
    if (problem) ctx.addIssue({ code: 'custom', message: `since: ${problem.message}` });
  })
  .describe('how far back from now: a duration such as 24h, 7d or 30d (at most 365d); runs that ended since then count');

/** `GET /history`. */
export const HistoryQuerySchema = z.object({
  workflow: z.string().min(1).optional().describe('only runs of this workflow'),
  since: sinceText,
  by: z.enum(['hour', 'day']).default('day').describe('bucket size of `buckets`, aligned on UTC'),
});

const count = z.number().int().min(0);
const rate = z.number().min(0).max(1).nullable().describe('failed / (succeeded + failed); null when neither');
const pct = (p: string) => z.number().optional().describe(`${p} duration, ms (continuous percentile); absent when none has a duration`);

/** Runs that ended in one bucket. */
export const HistoryBucketSchema = z.object({
  start: ms.describe('the bucket\'s start (a UTC hour or day), ms since the Unix epoch'), succeeded: count, failed: count, cancelled: count,
}).meta({ id: 'HistoryBucket' });

/** One workflow's runs in a history window. */
export const WorkflowHistorySchema = z.object({
  workflow: z.string(), runs: count, succeeded: count, failed: count, cancelled: count, failureRate: rate, p50Ms: pct('median'), p95Ms: pct('95th percentile'),
}).meta({ id: 'WorkflowHistory' });

/** One step's runs (succeeded or failed) in a history window. */
export const StepHistorySchema = z.object({
  workflow: z.string(), stepId: z.string(), count, succeeded: count, failed: count, failureRate: rate, p50Ms: pct('median'), p95Ms: pct('95th percentile'),
}).meta({ id: 'StepHistory' });

/** A step that failed in a history window, with its latest failure. */
export const FailingStepSchema = z.object({
  workflow: z.string(), stepId: z.string(), failures: count, lastFailureAt: ms, lastRunId: z.string(),
  lastError: z.string().optional(), lastErrorType: z.string().optional(),
}).meta({ id: 'FailingStep' });

/** A history summary: every figure is over the runs that ended in `[since, until)`. */
export const HistorySchema = z.object({
  since: ms, until: ms, by: z.enum(['hour', 'day']), workflow: z.string().optional(),
  buckets: z.array(HistoryBucketSchema).describe('every bucket of the window, oldest first, empty ones included'),
  workflows: z.array(WorkflowHistorySchema),
  steps: z.array(StepHistorySchema).describe('by workflow, then definition order; at most 1,000'),
  stepsTruncated: z.boolean().describe('more steps ran than `steps` lists'),
  topFailing: z.array(FailingStepSchema).describe('most failures first, then the latest; at most 10'),
}).meta({ id: 'History' });

/** `GET /forecast`. */
export const ForecastQuerySchema = z.object({
  workflow: z.string().min(1).optional().describe('only runs of this workflow, and their attempts'),
  hours: z.coerce.number().int().min(1).max(168).default(24).describe('hours to forecast from the current UTC hour'),
});

const loadFigures = {
  queuedRuns: z.number().min(0).describe('runs that became queued in the hour (by when each became due)'),
  stepSeconds: z.number().min(0).describe('attempt seconds within the hour'),
};

/** Backtest errors of one method. */
export const ForecastErrorsSchema = z.object({
  mae: z.number().min(0).describe('mean absolute error, in the series\' unit'),
  smape: z.number().min(0).describe('symmetric mean absolute percentage error, a fraction (0..2)'),
  mase: z.number().min(0).nullable().describe('mean absolute scaled error (MAE over the mean absolute change from the naive period before); null for a constant series'),
}).meta({ id: 'ForecastErrors' });

/** How one series was forecast. */
export const SeriesForecastSchema = z.object({
  model: z.enum(['double-seasonal', 'daily']).nullable().describe('double-seasonal: Taylor\'s double seasonal Holt-Winters (day and week, from two weeks of history); daily: Holt-Winters with a daily season (two days to two weeks); null: under two days, no forecast'),
  naive: z.enum(['week', 'day']).nullable().describe('the naive forecast of the backtest: the same hour a week (or a day) before'),
  backtest: z.object({
    origins: count, horizon: count, model: ForecastErrorsSchema, naive: ForecastErrorsSchema,
  }).optional().describe('rolling-origin backtest over the latest 14 days of origins; absent without a full horizon after the first'),
}).meta({ id: 'SeriesForecast' });

/** A load forecast. */
export const ForecastSchema = z.object({
  workflow: z.string().optional(),
  historyHours: count.describe('hours of history the models read (from the first hour with any load, at most eight weeks)'),
  history: z.array(z.object({ start: ms, ...loadFigures })).describe('the last 48 complete UTC hours, oldest first'),
  forecast: z.array(z.object({ start: ms, ...loadFigures })).describe('from the current UTC hour on; empty when the history is too short'),
  queuedRuns: SeriesForecastSchema,
  stepSeconds: SeriesForecastSchema,
  tooShort: z.string().optional().describe('why there is no forecast, when there is none'),
}).meta({ id: 'Forecast' });

/** `GET /history/runs`. */
export const HistoryExportQuery = z.object({
  workflow: z.string().min(1).optional().describe('only runs of this workflow'),
  since: sinceText,
  cursor: z.string().optional().describe("the 'next' of the previous page"),
  limit: z.coerce.number().int().min(1).max(MAX_EXPORT_PAGE).default(100),
});

/** A step run of an exported run (no output). */
export const StepExportSchema = z.object({
  stepId: z.string(), position: z.number().int(), state: z.enum(STEP_RUN_STATES as readonly [StepRunState, ...StepRunState[]]), attempts: z.number().int(),
  startedAt: ms.optional(), endedAt: ms.optional(), durationMs: z.number().optional().describe('of its last attempt, ms'),
  reason: z.string().optional(), error: z.string().optional().describe('the failure\'s message'),
}).meta({ id: 'StepExport' });

/** A finished run with its step runs, for export. */
export const RunExportSchema = z.object({
  id: z.string(), workflow: z.string(), version: z.string(), state: z.enum(RUN_STATES as readonly [RunState, ...RunState[]]),
  trigger: z.enum(TRIGGERS as readonly [Trigger, ...Trigger[]]), createdAt: ms, startedAt: ms.optional(), endedAt: ms,
  durationMs: z.number().optional(), reason: z.string().optional(), steps: z.array(StepExportSchema),
}).meta({ id: 'RunExport' });

/** A page of exported runs, oldest end first. */
export const RunExportPageSchema = z.object({ runs: z.array(RunExportSchema), next: z.string().optional() }).meta({ id: 'RunExportPage' });

/** Body of `POST /session`: the API token the browser exchanges, once, for a session cookie. */
export const SessionBody = z.object({ token: z.string().min(1).max(200).describe('an API token (`baton token create`)') });

/** A dashboard session as its owner sees it. */
export const SessionSchema = z.object({
  role: z.enum(['viewer', 'operator', 'admin']).describe("the token's role: what the session may do"),
  name: z.string().describe("the token's name"),
  expiresAt: z.number().int().describe('ms since the epoch; log in again after it'),
  csrfToken: z.string().describe('send as `X-CSRF-Token` with every POST, PUT, PATCH or DELETE made with the session cookie'),
}).meta({ id: 'Session' });

/** A staged file of an upload. */
export const UploadedFileSchema = z.object({
  path: z.string().describe('its path inside the upload, `/`-separated'),
  size: z.number().int().describe('bytes'),
  sha256: z.string(),
  problem: z.string().optional().describe('what a run may mind (`empty`)'),
}).meta({ id: 'UploadedFile' });

/** An upload: files staged on the server for a batch run. */
export const UploadSchema = z.object({
  id: z.string(), createdAt: ms, by: z.string(),
  files: z.array(UploadedFileSchema), bytes: z.number().int().describe('all files, bytes'),
  dir: z.string().describe("the server's folder holding the files: what the run's param receives"),
  runs: z.array(z.string()).optional().describe('the runs started over it, in start order; absent until the first'),
}).meta({ id: 'Upload' });

/** `POST /uploads/{id}/runs`. */
export const UploadRunBody = z.object({
  workflow: z.string().min(1).describe('a workflow with a `batch` step'),
  version: z.string().optional().describe('default: the newest registered version'),
  param: z.string().optional().describe("the param that receives the files: an `array` param gets their absolute paths, a `string` param the folder; default: the param the batch step's `items` reads"),
  params: z.record(z.string(), z.unknown()).default({}).describe('the other params'),
  priority: z.number().int().min(-10).max(10).optional(),
  at: z.union([ms, z.iso.datetime({ offset: true })]).optional().describe('start no earlier than this (ms since epoch or ISO 8601)'),
});

/** One quoted fact of a diagnosis (`GET /runs/{id}/diagnosis`). */
export const EvidenceSchema = z.object({
  id: z.string().describe('e1, e2…: unique within the step\'s diagnosis; recoveries cite them'),
  kind: z.enum(['log', 'exit-code', 'failure', 'output']),
  text: z.string().describe('the quoted text, secrets masked'),
  offset: z.number().int().optional().describe("for log: byte offset of the line's start in the attempt's log"),
  line: z.number().int().optional().describe('for log: line number from 1, when the 64 KiB read covers the log from its start'),
}).meta({ id: 'Evidence' });

const ParamChangeSchema = z.object({ key: z.string(), from: z.unknown().optional(), to: z.unknown().optional() }).meta({ id: 'ParamChange' });

/** A step's diagnosis. */
export const StepDiagnosisSchema = z.object({
  stepId: z.string(),
  attempt: z.number().int().describe('the attempt diagnosed: the latest failed one'),
  attemptId: z.string(),
  class: z.enum(['timeout', 'sub-workflow', 'http-status', 'memory', 'command-not-found', 'permission-denied', 'network', 'secret-missing', 'handler-exception', 'output-missing', 'lost', 'exit-nonzero']),
  summary: z.string(),
  evidence: z.array(EvidenceSchema),
  changes: z.object({
    baseline: z.object({ runId: z.string(), version: z.string(), endedAt: ms.optional() }).optional().describe('the last run of the workflow that succeeded before this one'),
    version: z.object({ from: z.string(), to: z.string(), steps: z.array(z.string()).optional() }).optional().describe('present when the versions differ; steps: ids of steps whose definitions differ'),
    params: z.array(ParamChangeSchema),
    worker: z.object({ failed: z.string().optional(), baseline: z.string().optional() }).optional(),
    duration: z.object({ attemptMs: z.number().optional(), baselineMs: z.number().optional(), p95Ms: z.number().optional(), successes: z.number().int().optional() }),
    peakRss: z.object({
      attemptBytes: z.number().optional(), baselineBytes: z.number().optional(),
      p95Bytes: z.number().optional().describe("p95 of the step's successful attempts in the workflow's last 50 successful runs over 30 days"), successes: z.number().int().optional(),
    }),
  }),
  similar: z.object({
    signature: z.string().describe('class and normalised error text'),
    scanned: z.number().int().describe('failed attempts of the step read (at most 200, over 30 days)'),
    truncated: z.boolean(),
    items: z.array(z.object({
      runId: z.string(), stepId: z.string().optional().describe('for an item of a mapped step: the item that failed, any item of the same mapped step'), attempt: z.number().int(), at: ms, version: z.string(),
      endedBy: z.enum(['retry', 'new-version', 'param-change', 'nothing-yet']),
      fix: z.object({ runId: z.string(), attempt: z.number().int().optional(), version: z.string().optional(), params: z.array(ParamChangeSchema).optional() }).optional(),
    })).describe('newest first, at most 20; cited as s1, s2… in order'),
  }),
  recoveries: z.array(z.object({ command: z.string(), reason: z.string(), evidence: z.array(z.string()) })).describe('best first; none is applied'),
}).meta({ id: 'StepDiagnosis' });

/** `GET /runs/{id}/diagnosis`. */
export const DiagnosisSchema = z.object({
  runId: z.string(), workflow: z.string(), version: z.string(), state: z.string(),
  steps: z.array(StepDiagnosisSchema),
}).meta({ id: 'Diagnosis' });

/** `GET /runs/{id}/diagnosis` query. */
export const DiagnosisQuery = z.object({ step: z.string().optional().describe('only this step') });

/** `POST /runs/{id}/diagnosis/apply`: which recovery of which diagnosed step to apply. */
export const ApplyRecoveryBody = z.object({
  recovery: z.number().int().min(1).describe('the rank of the recovery, from 1, as listed in the diagnosis'),
  step: z.string().optional().describe('the diagnosed step whose recovery it is; needed when several steps failed'),
});

/** What applying a recovery did: the run after its re-run, the steps re-run and the recovery applied. */
export const AppliedRecoverySchema = z.object({
  run: RunSchema,
  steps: z.array(z.string()),
  recovery: z.object({ stepId: z.string(), rank: z.number().int(), command: z.string() }),
});
