/**
 * @module workflow/schema
 * The authored shape of a workflow as zod schemas: field names, types and ranges. Only
 * shape lives here; checks that relate fields to each other (needs, cycles, pools,
 * expressions) live in `validate.ts`, because they must run even when the shape is wrong
 * elsewhere so that every problem is reported at once.
 */
import { DeadlineSchema } from './deadline.js';
import { z } from 'zod';
import { MAX_CRON_LENGTH, MAX_DESCRIPTION_LENGTH, MAX_ID_LENGTH, MAX_NAME_LENGTH, MAX_TIMEZONE_LENGTH } from './limits.js';
import type { StepHandler } from './model.js';
import { HTTP_METHODS } from './model.js';
import { parseByteSize } from './size.js';
import {
  bounded, durationOf, ENV_NAME_PATTERN, HANDLER_REF_PATTERN, idOf, PARAM_NAME_PATTERN, SecretSchema, SIGNAL_NAME_PATTERN, STEP_ID_PATTERN, TIMEZONE_PATTERN, WORKFLOW_NAME_PATTERN,
} from './schema-base.js';
import { AlertRuleSchema, RunNotifySchema } from './config-schema.js';

export { durationOf, ENV_NAME_PATTERN, HANDLER_REF_PATTERN, PARAM_NAME_PATTERN, SecretSchema, SIGNAL_NAME_PATTERN, STEP_ID_PATTERN, TIMEZONE_PATTERN, WORKFLOW_NAME_PATTERN };

const duration = durationOf(false);
const delay = durationOf(true);

// YAML reads `PORT: 8080` as a number; env values are text, so scalars are accepted and stringified.
const envScalar = z.union([z.string(), z.number(), z.boolean()], { error: 'env values must be strings' });

/**
 * One `env` entry: a value, or `{ value, trusted: true }` to allow `${{ }}` in a variable that
 * changes which program runs (PATH, LD_PRELOAD…, see `PROGRAM_CHANGING_ENV`).
 */
export const EnvValueSchema = z.union([
  envScalar,
  z.strictObject({ value: envScalar, trusted: z.boolean({ error: 'trusted must be true or false' }).optional() }),
], { error: 'env values are strings, or { value: "...", trusted: true }' });

const envMap = z.record(
  z.string()
    .max(MAX_ID_LENGTH, { error: `env var names are at most ${MAX_ID_LENGTH} characters` })
    .regex(ENV_NAME_PATTERN, { error: 'env var names are letters, digits and _, not starting with a digit' }),
  EnvValueSchema,
);

const json = z.json({ error: 'expected a JSON value' });

const inheritEnvError = 'inheritEnv must be a list of env var names, e.g. [BATON_TOKEN]';
/** `inheritEnv`: variables baton withholds from shell steps that this workflow or step wants after all. */
const inheritEnv = z.array(
  z.string({ error: inheritEnvError }).regex(ENV_NAME_PATTERN, { error: 'env var names are letters, digits and _, not starting with a digit' }),
  { error: inheritEnvError },
);

/** A retry policy as written; every field is optional and inherits (step -> workflow -> defaults). */
export const RetrySchema = z.strictObject({
  attempts: z.number({ error: 'attempts must be an integer >= 1' }).int({ error: 'attempts must be an integer >= 1' }).min(1, { error: 'attempts must be an integer >= 1' }).optional(),
  backoff: z.enum(['fixed', 'exponential'], { error: 'backoff must be "fixed" or "exponential"' }).optional(),
  delay: delay.optional(),
  factor: z.number({ error: 'factor must be a number >= 1' }).min(1, { error: 'factor must be a number >= 1' }).optional(),
  maxDelay: delay.optional(),
  jitter: z.number({ error: 'jitter must be a number from 0 to 1' }).min(0, { error: 'jitter must be a number from 0 to 1' }).max(1, { error: 'jitter must be a number from 0 to 1' }).optional(),
});

/** One declared param as written. */
export const ParamSchema = z.strictObject({
  type: z.enum(['string', 'integer', 'number', 'boolean', 'array', 'object'], { error: 'type must be one of string, integer, number, boolean, array, object' }),
  default: json.optional(),
  description: bounded('description', MAX_DESCRIPTION_LENGTH).optional(),
  required: z.boolean().optional(),
});

const priorityError = 'priority must be an integer from -10 to +10';

const runCommand = z.union([
  z.string().min(1, { error: 'run must not be empty' }),
  z.strictObject({ linux: z.string().optional(), darwin: z.string().optional(), win32: z.string().optional() }),
], { error: 'run must be a command, or a map of platform (linux, darwin, win32) to command' });

const usesRef = z.union([
  z.string().regex(HANDLER_REF_PATTERN, { error: 'uses must be a module path starting with ./, ../ or /, optionally followed by #exportName' }),
  z.custom<StepHandler>((value) => typeof value === 'function'),
], { error: 'uses must be "./module.ts#exportName" (or a function, in TypeScript)' });

/** A batch's `validate` or `consolidate`: a command or a handler (exactly one, checked in validation). */
export const BatchActionSchema = z.strictObject({
  run: runCommand.optional(),
  uses: usesRef.optional(),
  with: z.record(z.string(), json, { error: 'with must be a map of input name to value' }).optional(),
}, { error: 'expected { uses: "./module.ts#export" } or { run: "command" }' });

const groupSizeError = 'groupSize must be an integer >= 1';
const batchConcurrencyError = 'concurrency must be an integer >= 1';
const maxFailuresError = 'maxFailures must be an integer >= 0 or a percentage such as "10%"';

/** A step's `batch:` as written; `maxFailures` needing `continue` is checked in validation. */
export const BatchSchema = z.strictObject({
  items: z.string({ error: 'items must be a glob (relative to the workflow folder) or an expression "${{ ... }}" giving an array' }).min(1, { error: 'items must not be empty' }),
  groupSize: z.number({ error: groupSizeError }).int({ error: groupSizeError }).min(1, { error: groupSizeError }).optional(),
  concurrency: z.number({ error: batchConcurrencyError }).int({ error: batchConcurrencyError }).min(1, { error: batchConcurrencyError }).optional(),
  validate: BatchActionSchema.optional(),
  onInvalid: z.enum(['fail', 'skip'], { error: 'onInvalid must be "fail" or "skip"' }).optional(),
  failurePolicy: z.enum(['fail-fast', 'continue'], { error: 'failurePolicy must be "fail-fast" or "continue"' }).optional(),
  maxFailures: z.union([
    z.number({ error: maxFailuresError }).int({ error: maxFailuresError }).min(0, { error: maxFailuresError }),
    z.string({ error: maxFailuresError }).regex(/^\d+(\.\d+)?%$/, { error: maxFailuresError }),
  ], { error: maxFailuresError }).optional(),
  consolidate: BatchActionSchema.optional(),
});

/** Items a `map:` may expand to when its `maxItems` says nothing. */
export const DEFAULT_MAP_MAX_ITEMS = 10_000;
/** The most `maxItems` may be: every item is a step run row, written in one commit. */
export const MAP_MAX_ITEMS_LIMIT = 100_000;
const maxItemsError = `maxItems must be an integer from 1 to ${MAP_MAX_ITEMS_LIMIT.toLocaleString('en-US')}`;

/** A step's `map:` as written; `maxFailures` needing `continue` is checked in validation. */
export const MapSchema = z.strictObject({
  items: z.string({ error: 'items must be an expression "${{ ... }}" giving an array, or a glob relative to the workflow folder' }).min(1, { error: 'items must not be empty' }),
  concurrency: z.number({ error: batchConcurrencyError }).int({ error: batchConcurrencyError }).min(1, { error: batchConcurrencyError }).optional(),
  maxItems: z.number({ error: maxItemsError }).int({ error: maxItemsError }).min(1, { error: maxItemsError }).max(MAP_MAX_ITEMS_LIMIT, { error: maxItemsError }).optional(),
  failurePolicy: z.enum(['fail-fast', 'continue'], { error: 'failurePolicy must be "fail-fast" or "continue"' }).optional(),
  maxFailures: z.union([
    z.number({ error: maxFailuresError }).int({ error: maxFailuresError }).min(0, { error: maxFailuresError }),
    z.string({ error: maxFailuresError }).regex(/^\d+(\.\d+)?%$/, { error: maxFailuresError }),
  ], { error: maxFailuresError }).optional(),
}, { error: 'map must be { items, concurrency?, maxItems?, failurePolicy?, maxFailures? }' });

/** The most an `http` step's `maxResponseBytes` may be: responses are read into memory. */
export const MAX_RESPONSE_BYTES_LIMIT = 1024 ** 3;
/** An `http` step's `maxResponseBytes` when it sets none: 10 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 ** 2;

const statusError = 'expect.status must be an HTTP status code (100-599) or a list of them';
const status = z.number({ error: statusError }).int({ error: statusError }).min(100, { error: statusError }).max(599, { error: statusError });
const sizeError = 'maxResponseBytes must be a size such as 10MiB, 512KiB or a number of bytes';

/**
 * A step's `http:` as written. That the URL is http(s) is checked in validation when it has
 * no `${{ }}`, and again when the attempt runs.
 */
export const HttpSchema = z.strictObject({
  url: z.string({ error: 'url must be a string, e.g. "https://api.example.com/items"' }).min(1, { error: 'url must not be empty' }),
  method: z.preprocess(
    (v) => (typeof v === 'string' ? v.toUpperCase() : v),
    z.enum(HTTP_METHODS, { error: `method must be one of ${HTTP_METHODS.join(', ')}` }),
  ).optional(),
  headers: z.record(z.string(), envScalar, { error: 'headers must be a map of header name to value' }).optional(),
  body: json.optional(),
  timeout: duration.optional(),
  expect: z.strictObject({ status: z.union([status, z.array(status).min(1, { error: statusError })], { error: statusError }) }, { error: 'expect must be { status: [200, 201] }' }).optional(),
  maxResponseBytes: z.union([z.string(), z.number()], { error: sizeError }).superRefine((value, ctx) => {
    const n = parseByteSize(value);
    if (n === undefined || n < 1) ctx.addIssue({ code: 'custom', message: sizeError });
    else if (n > MAX_RESPONSE_BYTES_LIMIT) ctx.addIssue({ code: 'custom', message: 'maxResponseBytes is at most 1GiB: responses are read into memory' });
  }).optional(),
  idempotencyKey: z.boolean({ error: 'idempotencyKey must be true or false' }).optional(),
}, { error: 'http must be { url, method?, headers?, body?, timeout?, expect?, maxResponseBytes?, idempotencyKey? }' });

const memoryError = 'memory must be a size such as 256MiB, 1GiB or a number of bytes';
const cpuError = 'cpu must be a number of cores from 0.05 to 1024, e.g. 0.5 or 2';
/** Smallest `memory` of a step: below it V8 cannot even start a thread with tsx loaded. */
export const MIN_HANDLER_MEMORY_BYTES = 16 * 1024 ** 2;
/** Largest `memory` of a step. */
export const MAX_HANDLER_MEMORY_BYTES = 64 * 1024 ** 3;

const waitError = 'wait must be { signal: NAME, timeout?: duration }';
/** A step's `wait:` as written: it ends when the run receives the named signal. */
export const WaitSchema = z.strictObject({
  signal: idOf('signal name', SIGNAL_NAME_PATTERN, 'signal names use letters, digits, "_", "." and "-"'),
  timeout: duration.optional(),
}, { error: waitError });

const approvalError = 'approval must be { message?: text, role?: operator | admin, timeout?: duration }';
/** A step's `approval:` as written: it ends when a person approves (succeeded) or rejects (failed). */
export const ApprovalSchema = z.strictObject({
  message: bounded('message', 2_000).optional(),
  role: z.enum(['operator', 'admin'], { error: 'role must be "operator" or "admin": who may answer through the API or dashboard' }).optional(),
  timeout: duration.optional(),
}, { error: approvalError });

const cpuLimit = z.number({ error: cpuError }).min(0.05, { error: cpuError }).max(1024, { error: cpuError });
const memoryLimit = z.union([z.string(), z.number()], { error: memoryError }).superRefine((value, ctx) => {
  const n = parseByteSize(value);
  if (n === undefined) ctx.addIssue({ code: 'custom', message: memoryError });
  else if (n < MIN_HANDLER_MEMORY_BYTES) ctx.addIssue({ code: 'custom', message: 'memory is at least 16MiB: a thread needs that much to load a handler' });
  else if (n > MAX_HANDLER_MEMORY_BYTES) ctx.addIssue({ code: 'custom', message: 'memory is at most 64GiB' });
});
const breakerError = 'breaker must be true, false, a key such as "http:api.example.com", or { key?, failures?, rate?, window?, minCalls?, cooldown? }';
/** Breaker keys: `pool:NAME`, `http:HOST`, `step:WORKFLOW/STEP` or a name of the author's; text shown in metrics labels and URLs. */
export const BREAKER_KEY_PATTERN = /^[A-Za-z0-9_.:/@-]+$/;
const breakerKey = idOf('breaker key', BREAKER_KEY_PATTERN, 'breaker keys use letters, digits and "_", ".", ":", "/", "@", "-"');
/**
 * A `breaker:` as written, on a step or as the workflow's default for its steps: `true` (the
 * default key and policy), a key, or the policy; `false` on a step turns the workflow's off.
 */
export const BreakerSchema = z.union([
  z.boolean(),
  breakerKey,
  z.strictObject({
    key: breakerKey.optional(),
    failures: z.number({ error: 'failures must be a whole number of consecutive failures >= 1' }).int({ error: 'failures must be a whole number of consecutive failures >= 1' }).min(1, { error: 'failures must be a whole number of consecutive failures >= 1' }).max(1000, { error: 'failures is at most 1000' }).optional(),
    rate: z.number({ error: 'rate must be a fraction of failed calls, above 0 and at most 1 (0.5 = half)' }).gt(0, { error: 'rate must be a fraction of failed calls, above 0 and at most 1 (0.5 = half)' }).max(1, { error: 'rate must be a fraction of failed calls, above 0 and at most 1 (0.5 = half)' }).optional(),
    window: duration.optional(),
    minCalls: z.number({ error: 'minCalls must be a whole number >= 1' }).int({ error: 'minCalls must be a whole number >= 1' }).min(1, { error: 'minCalls must be a whole number >= 1' }).max(200, { error: 'minCalls is at most 200 (the calls a breaker keeps)' }).optional(),
    cooldown: duration.optional(),
  }, { error: breakerError }),
], { error: breakerError });

/** One step as written. Whether it has exactly one action (`run`, `uses`, `http`, `workflow`, `wait`, `approval`) is checked in validation. */
export const StepSchema = z.strictObject({
  id: idOf('step id', STEP_ID_PATTERN, 'step ids use lowercase letters, digits, "_" and "-"'),
  needs: z.union([z.string(), z.array(z.string({ error: 'needs entries must be step ids' }))], { error: 'needs must be a step id or a list of step ids' }).optional(),
  run: runCommand.optional(),
  uses: usesRef.optional(),
  http: HttpSchema.optional(),
  with: z.record(z.string(), json, { error: 'with must be a map of input name to value' }).optional(),
  env: envMap.optional(),
  inheritEnv: inheritEnv.optional(),
  cwd: z.union([
    z.string(),
    z.strictObject({ value: z.string({ error: 'cwd value must be a path' }), trusted: z.boolean({ error: 'trusted must be true or false' }).optional() }),
  ], { error: 'cwd is a path, or { value: "...", trusted: true } to let an expression leave the workflow folder' }).optional(),
  shell: z.string().optional(),
  timeout: duration.optional(),
  /** Fleet mode: how long a published attempt may wait for a worker to claim it, then it fails (`unclaimed`). */
  'queue-timeout': duration.optional(),
  retry: RetrySchema.optional(),
  priority: z.number({ error: priorityError }).int({ error: priorityError }).min(-10, { error: priorityError }).max(10, { error: priorityError }).optional(),
  pool: idOf('pool name').optional(),
  /**
   * What bounds the step: `cpu` (computing) or `io` (waiting on disks, networks, services).
   * Sets its default share of a node's slots: about 0.75 × cores `cpu` steps at once, 2 × cores `io` ones.
   */
  kind: z.enum(['cpu', 'io'], { error: 'kind must be "cpu" (CPU-bound) or "io" (I/O-bound)' }).optional(),
  /** A circuit breaker in front of this step (README "Circuit breakers"); `false` turns the workflow's default off. */
  breaker: BreakerSchema.optional(),
  if: z.union([z.string(), z.boolean()], { error: 'if must be a condition expression' }).optional(),
  continueOnError: z.boolean().optional(),
  /** Tags (or a platform: linux, darwin, win32) a fleet worker must have to run this step, as GitHub Actions' `runs-on`. */
  'runs-on': z.union([z.string().min(1), z.array(z.string().min(1))], { error: 'runs-on must be a tag or a list of tags, e.g. [linux, gpu]' }).optional(),
  batch: BatchSchema.optional(),
  map: MapSchema.optional(),
  /** Runs another workflow as a child run: a file path, or `{ name, version? }` of a registered one; `with` gives its params. */
  workflow: z.union([
    z.string({ error: 'workflow must be a file path such as ./child.yaml, or { name, version? }' }).min(1, { error: 'workflow must not be empty' }),
    z.strictObject({ name: z.string({ error: 'name must be a workflow name' }).min(1), version: z.string().min(1).optional() }, { error: 'workflow must be a file path such as ./child.yaml, or { name, version? }' }),
  ], { error: 'workflow must be a file path such as ./child.yaml, or { name, version? }' }).optional(),
  /** Waits for a signal to the run (`POST /api/v1/runs/{id}/signals/{name}`, `baton signal`); its JSON payload is the output. */
  wait: WaitSchema.optional(),
  /** Waits for a person to approve or reject (`baton approve`, the API, the dashboard). */
  approval: ApprovalSchema.optional(),
  /** A shell step's CPU: at most this many cores (0.05 to 1024) across its process tree. */
  cpu: cpuLimit.optional(),
  /** Run a path handler on the engine's thread instead of a thread of the pool (README "Handlers"). */
  inline: z.boolean({ error: 'inline must be true or false' }).optional(),
  /**
   * A handler's thread: its V8 heap; a shell step: its process tree's resident memory. A size
   * (`256MiB`); past it the attempt fails with `memory-limit`.
   */
  memory: memoryLimit.optional(),
  /** `memory` and `cpu` grouped, as Kubernetes' `resources.limits` writes them: `limits: { memory: 1GB, cpu: 1.5 }`. */
  limits: z.strictObject({ memory: memoryLimit.optional(), cpu: cpuLimit.optional() }, { error: 'limits must be { memory?: SIZE, cpu?: CORES }' }).optional(),
});

/** One `schedule` entry as written. */
export const ScheduleSchema = z.strictObject({
  name: idOf('schedule name', STEP_ID_PATTERN, 'schedule names use lowercase letters, digits, "_" and "-"').optional(),
  cron: z.string({ error: 'cron must be a cron expression such as "0 2 * * *"' }).max(MAX_CRON_LENGTH, { error: `cron is too long: at most ${MAX_CRON_LENGTH} characters` }),
  timezone: z.string({ error: 'timezone must be an IANA time zone name such as "Europe/Paris"' })
    .max(MAX_TIMEZONE_LENGTH, { error: `timezone is too long: at most ${MAX_TIMEZONE_LENGTH} characters (IANA names such as "Europe/Paris")` })
    .regex(TIMEZONE_PATTERN, { error: 'timezone must be an IANA time zone name such as "Europe/Paris" or "UTC"' })
    .optional(),
  params: z.record(z.string(), json, { error: 'params must be a map of param name to value' }).optional(),
  misfire: z.enum(['skip', 'run-once', 'catch-up'], { error: 'misfire must be "skip", "run-once" or "catch-up"' }).optional(),
  overlap: z.enum(['skip', 'queue', 'allow'], { error: 'overlap must be "skip", "queue" or "allow"' }).optional(),
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
  /** When its runs must have ended: a duration after the tick or "HH:MM" in `timezone`; overrides the workflow's. */
  deadline: DeadlineSchema.optional(),
  /** A notice that a run will start: `notify: { before: 10m }`. */
  notify: z.strictObject({ before: duration, channels: z.array(z.string().min(1)).optional() }, { error: 'notify must be { before: 10m, channels?: [name] }' }).optional(),
});

const toleranceError = 'toleranceSec must be an integer number of seconds >= 1';

/** The `webhook` field as written; that `secret` names a declared secret is checked in validation. */
export const WebhookSchema = z.strictObject({
  secret: z.string({ error: 'secret must name one of the workflow\'s secrets' }).min(1, { error: 'secret must name one of the workflow\'s secrets' }),
  toleranceSec: z.number({ error: toleranceError }).int({ error: toleranceError }).min(1, { error: toleranceError }).optional(),
}, { error: 'webhook must be { secret: NAME, toleranceSec?: seconds }' });

/**
 * A workflow's `retention:` as written: how long its finished runs (with everything they
 * hold), their events and their attempt logs are kept, overriding the server's `retention:`
 * for this workflow's runs; what it leaves out follows the server's.
 */
export const WorkflowRetentionSchema = z.strictObject({
  runs: duration.optional(),
  events: duration.optional(),
  logs: duration.optional(),
}, { error: 'retention must be a map such as { runs: 90d, events: 7d, logs: 14d }' });

/** A whole workflow as written in YAML/JSON or passed to `defineWorkflow`. */
export const WorkflowSchema = z.strictObject({
  name: z.string({ error: 'name must be a string' })
    .max(MAX_NAME_LENGTH, { error: `name is too long: at most ${MAX_NAME_LENGTH} characters` })
    .regex(WORKFLOW_NAME_PATTERN, { error: 'name uses letters, digits, ".", "_" and "-"' }),
  description: bounded('description', MAX_DESCRIPTION_LENGTH).optional(),
  params: z.record(idOf('param name', PARAM_NAME_PATTERN, 'param names are identifiers (letters, digits, _)'), ParamSchema).optional(),
  concurrency: z.number().int().positive({ error: 'concurrency must be a positive integer' }).optional(),
  timeout: duration.optional(),
  /** When a run must have ended: a duration after it is due, or "HH:MM" (workflow/deadline.ts). */
  deadline: DeadlineSchema.optional(),
  retry: RetrySchema.optional(),
  pools: z.record(idOf('pool name'), z.number().int().positive({ error: 'a pool limit must be a positive integer' })).optional(),
  /** The circuit breaker of every step that does work (run, uses, http) unless a step sets its own. */
  breaker: BreakerSchema.optional(),
  env: envMap.optional(),
  inheritEnv: inheritEnv.optional(),
  secrets: z.array(SecretSchema, { error: 'secrets must be a list of names or { name, env | file } entries' }).optional(),
  webhook: WebhookSchema.optional(),
  /** Alert rules of this workflow's runs: added to the server's, or replacing one of the same name. */
  alerts: z.array(AlertRuleSchema, { error: 'alerts must be a list of rules' }).optional(),
  /** Post-run reports. */
  notify: RunNotifySchema.optional(),
  schedule: z.union([ScheduleSchema, z.array(ScheduleSchema)], { error: 'schedule must be an entry {cron, timezone, ...} or a list of them' }).optional(),
  retention: WorkflowRetentionSchema.optional(),
  /** What a run gives the step that runs this workflow as a sub-workflow: name -> "${{ steps.<id>.output... }}". */
  outputs: z.record(idOf('output name', PARAM_NAME_PATTERN, 'output names are identifiers (letters, digits, _)'), z.string({ error: 'an output is an expression such as "${{ steps.total.output }}"' })).optional(),
  steps: z.array(StepSchema, { error: 'steps must be a list' }).min(1, { error: 'a workflow needs at least one step' }),
  /** Hook steps run once the main steps have ended, only if they failed (or the run timed out). */
  onFailure: z.array(StepSchema, { error: 'onFailure must be a list of steps' }).optional(),
  /** Hook steps run once the main steps (and onFailure) have ended, whatever the outcome. */
  finally: z.array(StepSchema, { error: 'finally must be a list of steps' }).optional(),
});

/** The parsed (zod output) shape; durations still as written. */
export type ParsedWorkflow = z.output<typeof WorkflowSchema>;

/**
 * A workflow as authored: what a YAML/JSON file holds, or what `defineWorkflow` takes in
 * TypeScript, where `uses` may also be a {@link StepHandler} function. Durations are
 * strings like `'30s'` or numbers of seconds.
 */
export type WorkflowInput = z.input<typeof WorkflowSchema>;
/** One authored step; see {@link WorkflowInput}. */
export type StepInput = z.input<typeof StepSchema>;
/** One authored retry policy; see {@link WorkflowInput}. */
export type RetryInput = z.input<typeof RetrySchema>;

/** Allowed keys per object kind, for did-you-mean on unknown fields. */
export const KNOWN_KEYS = {
  // `templates`, `extend` and `args` are expanded away before the schema sees the workflow (templates.ts); listed for did-you-mean.
  workflow: [...Object.keys(WorkflowSchema.shape), 'templates'],
  step: [...Object.keys(StepSchema.shape), 'extend', 'args'],
  retry: Object.keys(RetrySchema.shape),
  param: Object.keys(ParamSchema.shape),
  run: ['linux', 'darwin', 'win32'],
  schedule: Object.keys(ScheduleSchema.shape),
  batch: Object.keys(BatchSchema.shape),
  map: Object.keys(MapSchema.shape),
  batchAction: Object.keys(BatchActionSchema.shape),
  http: Object.keys(HttpSchema.shape),
  breaker: ['key', 'failures', 'rate', 'window', 'minCalls', 'cooldown'],
  wait: Object.keys(WaitSchema.shape),
  approval: Object.keys(ApprovalSchema.shape),
  secret: ['name', 'env', 'file'],
  webhook: Object.keys(WebhookSchema.shape),
  retention: Object.keys(WorkflowRetentionSchema.shape),
} as const;

/**
 * The JSON Schema (draft 2020-12) of a workflow file as written (zod's input side), for tools
 * that write workflows (`baton draft` gives it to a language model). Refinements zod cannot
 * express (durations, cron, expressions) are checked only by `baton validate`.
 */
export function workflowJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(WorkflowSchema, { io: 'input', unrepresentable: 'any' });
}
