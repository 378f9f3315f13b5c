/**
 * @module workflow/model
 * The compiled workflow model: what a YAML/JSON file or `defineWorkflow` becomes after
 * validation. Every default is filled in and every duration is in milliseconds, so the
 * layers above never re-interpret author input (the "options compiled once" rule).
 */

import type { DeadlineSpec } from './deadline.js';
import type { ParsedAlertRule } from './config-schema.js';
import type { ScheduleSpec } from './schedule.js';
import type { SecretSpec, WebhookSpec } from './secrets.js';

import type { JsonObject, JsonValue } from '../shared/index.js';
export type { JsonObject, JsonValue } from '../shared/index.js';

/** Types a workflow param may declare; checked when a run is created. */
export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object';

/** One declared workflow param. */
export interface ParamSpec {
  /** The value's type; text from `--param k=v` is converted to it. */
  type: ParamType;
  /** Used when the run gives no value. Absent means "no default". */
  default?: JsonValue;
  /** Free text, shown by `baton validate` and the API. */
  description?: string;
  /** A required param without a default must be given when the run is created. @default false */
  required: boolean;
}

/** Backoff shapes, as in the glossary: `fixed` waits `delayMs` each time; `exponential` multiplies by `factor`. */
export type BackoffKind = 'fixed' | 'exponential';

/** A compiled retry policy. */
export interface RetryPolicy {
  /** Total tries including the first. @default 1 (no retry) */
  attempts: number;
  /** @default 'exponential' */
  backoff: BackoffKind;
  /** Delay before the second try, ms. @default 1000 */
  delayMs: number;
  /** Multiplier per further try for `exponential`. @default 2 */
  factor: number;
  /** Upper bound of any single delay, ms. @default 300000 (5 min) */
  maxDelayMs: number;
  /**
   * Fraction 0..1 of each delay that is randomized: the delay becomes
   * `d * (1 - jitter + jitter * r)` for a uniform `r` in [0,1) ("equal jitter" from the
   * AWS Architecture Blog's backoff article when jitter = 0.5). @default 0
   */
  jitter: number;
}

/** Platforms a `run` map may name; the keys of Node's `process.platform` we support. */
export type Platform = 'linux' | 'darwin' | 'win32';

/**
 * A method an `http` step may use: those RFC 9110 §9.3 defines for resources plus PATCH
 * (RFC 5789). CONNECT and TRACE are left out: they are not resource requests, and fetch
 * refuses them.
 */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
/** Every {@link HttpMethod}, in the order error messages list them. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const satisfies readonly HttpMethod[];

/**
 * A compiled `http:` request. `url`, header values and strings inside `body` may hold
 * `${{ }}` expressions (including `secrets.NAME`), evaluated by the process that executes
 * the attempt, as data: nothing is ever passed to a shell.
 */
export interface HttpRequestSpec {
  /** Must be `http:` or `https:` once evaluated. */
  url: string;
  /** @default 'GET' */
  method: HttpMethod;
  /** Header name -> value, as written (values may hold `${{ }}`). */
  headers: Record<string, string>;
  /**
   * Request body: a string is sent as it is; any other JSON value is sent as JSON with
   * `content-type: application/json` (unless a header sets one). Absent: no body.
   */
  body?: JsonValue;
  /** Bound of one request (connect to the last byte of the response), ms; absent: only the step's `timeout` bounds it. */
  timeoutMs?: number;
  /** Statuses that count as success; absent: any 2xx. */
  expectStatus?: number[];
  /** Largest response body read, bytes; a bigger one fails the attempt. @default 10485760 (10 MiB) */
  maxResponseBytes: number;
  /** Send the attempt id as `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header). @default true */
  idempotencyKey: boolean;
}

/** What a step does. Exactly one kind per step. */
export type StepAction =
  | { kind: 'run'; /** A command per platform; a plain string in the file applies to all. */ command: Partial<Record<Platform, string>> & { default?: string } }
  | { kind: 'uses'; /** `./module.ts#export` as written, or an inline function from the SDK. */ handler: string | StepHandler; with: JsonObject }
  | { kind: 'http'; /** The request, expressions not yet evaluated. */ request: HttpRequestSpec }
  | { kind: 'workflow'; /** The child workflow; see {@link WorkflowRef}. */ workflow: WorkflowRef; /** The child run's params; values may hold `${{ }}`. */ with: JsonObject }
  | { kind: 'wait'; /** The signal's name, as `POST /runs/{id}/signals/{name}` gives it. */ signal: string; /** Fails the step (`wait-timeout`) this long after it started waiting, ms; absent = none. */ timeoutMs?: number }
  | {
    kind: 'approval';
    /** What the person is asked, shown beside the answer's buttons and commands (plain text). */
    message?: string;
    /** The least role that may answer through the API or dashboard. @default 'operator' */
    role: ApprovalRole;
    /** Fails the step (`wait-timeout`) this long after it started waiting, ms; absent = none. */
    timeoutMs?: number;
  };

/** Who may answer an approval step through the API: an operator (or an admin), or only an admin. */
export type ApprovalRole = 'operator' | 'admin';

/**
 * A sub-workflow step's child: a workflow file by path (relative to the parent's folder,
 * loaded when the step runs), or a workflow registered in the store by name (its latest
 * version, or the one given).
 */
export type WorkflowRef = { path: string } | { name: string; version?: string };

/** What bounds a step's work (`kind:`): computing or waiting. */
export type StepWorkload = 'cpu' | 'io';
/** When a circuit breaker opens and how long it stays open; every field filled (compiled from `breaker:`). */
export interface BreakerPolicy {
  /** Consecutive failed calls that open it. @default 5 */
  failures: number;
  /** Failure rate (0 < rate <= 1) over `windowMs` that opens it; absent: only `failures` counts. */
  rate?: number;
  /** The rate's sliding window, ms. @default 300000 (5 min) */
  windowMs: number;
  /** Calls the window must hold before `rate` is judged. @default 10 */
  minCalls: number;
  /** How long it stays open before a trial, ms. @default 60000 */
  cooldownMs: number;
}

/** Defaults of {@link BreakerPolicy}: 5 failures in a row, a 5 min window of at least 10 calls, 60 s cool-down. */
export const BREAKER_DEFAULTS: Readonly<Omit<BreakerPolicy, 'rate'>> = { failures: 5, windowMs: 300_000, minCalls: 10, cooldownMs: 60_000 };

/**
 * A compiled `breaker:`: the key of the shared breaker (store row) and its policy, every
 * default filled. Keys by default: `pool:NAME` for a step with a pool, `http:HOST` for an
 * http step whose URL names its host, else `step:WORKFLOW/STEP`.
 */
export interface BreakerSpec extends BreakerPolicy {
  /** The breaker's key; steps with the same key share one breaker, across runs and nodes. */
  key: string;
}

/** A compiled step. */
export interface StepSpec {
  /** Unique within the workflow. */
  id: string;
  /** Ids of the steps it waits for. */
  needs: string[];
  /** What it executes: a shell command (`run`), a handler (`uses`) or a request (`http`). */
  action: StepAction;
  /** Values may hold `${{ }}` expressions, evaluated per attempt. */
  env: Record<string, string>;
  /**
   * Variables of the executing process that a shell step receives although baton withholds
   * them by default (its own `BATON_*`, `PGPASSWORD`, `PGPASSFILE`): the workflow's and the
   * step's `inheritEnv` together. Absent when neither names any.
   */
  inheritEnv?: string[];
  /**
   * Working directory, relative to the workflow file's folder; may hold `${{ }}`. When it
   * does, the evaluated directory must stay inside that folder unless `cwdTrusted`
   * (see `resolveStepCwd`).
   */
  cwd?: string;
  /** The workflow marked `cwd` `{ value, trusted: true }`: an evaluated cwd may leave the workflow's folder. */
  cwdTrusted?: boolean;
  /** Shell for `run` commands. @default '/bin/sh' (cmd.exe on win32) */
  shell?: string;
  /** Per-attempt timeout, ms; absent = none. A timeout is a failure with reason `timeout`. */
  timeoutMs?: number;
  /** Its retry policy: the step's own, else the workflow's, else `DEFAULT_RETRY`. */
  retry: RetryPolicy;
  /** −10..+10, higher first. @default 0 */
  priority: number;
  /** The pool (a name of `WorkflowSpec.pools`) whose limit it counts against. */
  pool?: string;
  /**
   * `kind:` as written: what bounds the step, CPU or I/O. A node runs at most
   * max(1, floor(0.75 × cores)) `cpu` steps and 2 × cores `io` steps at once, within its
   * slots (runtime/slots.ts); absent, only the slots and pools bound it.
   */
  workload?: StepWorkload;
  /** The circuit breaker its attempts go through (`breaker:` on the step or the workflow). */
  breaker?: BreakerSpec;
  /** A condition expression; false makes the step `skipped`. */
  if?: string;
  /** A failure of this step does not skip its dependents nor fail the run. @default false */
  continueOnError: boolean;
  /** Tags (or a platform) a fleet worker needs to run it (`runs-on` in the file). */
  runsOn?: string[];
  /**
   * Fleet mode: how long an attempt published to workers may wait unclaimed, ms of database
   * time (`queue-timeout` in the file); then it fails with type `unclaimed`. `timeoutMs`
   * only starts once a worker runs it. @default the engine's `queueTimeoutMs` (1 h)
   */
  queueTimeoutMs?: number;
  /** Maps the step's action over items in groups; absent for an ordinary step. */
  batch?: BatchSpec;
  /** Expands the step into one step run per item at run time; absent for an ordinary step. */
  map?: MapSpec;
  /**
   * A `uses` step whose handler is a module path runs on the engine's (or worker's) own
   * thread instead of a thread of the handler pool: the no-op fast path, with the old
   * limits (a CPU-bound handler blocks the event loop; one that ignores its signal cannot be
   * stopped). @default false
   */
  inline?: boolean;
  /**
   * A memory limit, bytes (`memory` in the file). A handler: the V8 heap (old generation) of
   * its thread, rounded up to whole MiB for `resourceLimits.maxOldGenerationSizeMb`. A shell
   * step: the resident memory of its process tree, sampled every 100 ms; over it the tree is
   * killed. Either way the attempt fails with type `memory-limit`, not retried. Absent: none.
   */
  memoryBytes?: number;
  /**
   * A shell step's CPU limit, cores (`cpu` in the file): its process tree runs at `nice` 10 and
   * is stopped (SIGSTOP) for as long as it went over in each 100 ms window, then continued.
   * Absent: none.
   */
  cpuCores?: number;
  /**
   * Set on a hook step (from the workflow's `onFailure:` or `finally:`), absent on a main
   * step. A hook waits until every main step (and, for `finally`, every `onFailure` step)
   * has ended; its outcome does not decide whether the main steps failed.
   */
  hook?: HookKind;
}

/** The two kinds of hook steps; see {@link StepSpec.hook}. */
export type HookKind = 'onFailure' | 'finally';

/** How a batch step reacts to a group that exhausted its retries. */
export type BatchFailurePolicy = 'fail-fast' | 'continue';

/**
 * A compiled `batch:`: the step's `run`/`uses` processes one group of items per try,
 * with the step's retry policy applied to each group on its own.
 */
export interface BatchSpec {
  /**
   * Where the items come from: a glob relative to the workflow folder (matches sorted),
   * a lone `${{ expr }}` that must evaluate to an array, or a glob with `${{ }}` parts
   * that are interpolated first.
   */
  items: string;
  /** Items handed to one try of the action. @default 5 */
  groupSize: number;
  /** Groups (and, while validating, items) processed at once. @default 1 */
  concurrency: number;
  /** Run on every item before any group starts; `with` gets `item` added. */
  validate?: StepAction;
  /** `fail` fails the step listing every invalid item; `skip` records them and goes on. @default 'fail' */
  onInvalid: 'fail' | 'skip';
  /** @default 'fail-fast' */
  failurePolicy: BatchFailurePolicy;
  /**
   * With `continue`: the step fails only when more items than this failed. A count, or a
   * percentage of all items. Absent = no limit.
   */
  maxFailures?: { count: number } | { percent: number };
  /** Receives the consolidated result (`with` gets `result`); its output becomes the step's. */
  consolidate?: StepAction;
}

/**
 * A compiled `map:`. When the step becomes ready its `items` are evaluated once and the
 * step expands into one step run per item, `<id>[0]`, `<id>[1]`, … (Airflow's dynamic task
 * mapping, GitHub Actions' `matrix`): each has its own attempts, retries, log and state, and
 * the step's output is the ordered array of their outputs (`null` for an item that did not
 * succeed). The expansion is recorded with the items, so a resumed run never expands again.
 */
export interface MapSpec {
  /**
   * A lone `${{ expr }}` that must evaluate to an array (its values are the items), or a
   * glob relative to the workflow folder (the matching paths, sorted, are the items).
   */
  items: string;
  /** Items running at once (besides slots, pools and the run's concurrency). Absent = no own limit. */
  concurrency?: number;
  /** More items than this fail the step before any runs. @default 10000 */
  maxItems: number;
  /** `fail-fast`: the first failed item fails the step and the items not started are skipped. @default 'fail-fast' */
  failurePolicy: BatchFailurePolicy;
  /** With `continue`: the step fails only when more items than this failed (a count or a percentage). Absent = no limit. */
  maxFailures?: { count: number } | { percent: number };
}

/** A workflow's compiled `retention:`, ms; an absent field follows the server's retention. */
export interface RetentionSpec {
  /** Finished runs older than this (by their end) are deleted with their step runs, attempts, events, batch groups and logs. */
  runsMs?: number;
  /** Events of finished runs older than this are deleted; the runs themselves stay. */
  eventsMs?: number;
  /** Attempt log files of finished runs older than this are deleted. */
  logsMs?: number;
}

/** A compiled workflow. */
export interface WorkflowSpec {
  /** The workflow's name: what runs, schedules and the API call it by. */
  name: string;
  /** Free text, shown in listings. */
  description?: string;
  /** Declared params by name. */
  params: Record<string, ParamSpec>;
  /** Max steps running at once in one run. @default 16 */
  concurrency: number;
  /** Whole-run timeout, ms; absent = none. */
  timeoutMs?: number;
  /** When a run must have ended (workflow/deadline.ts); a schedule entry's own wins. */
  deadline?: DeadlineSpec;
  /** Default retry for steps that set none. */
  retry: RetryPolicy;
  /** Pool name -> limit of steps running at once in that pool (across runs in this engine). */
  pools: Record<string, number>;
  /** Environment variables of every step (a step's own `env` wins); values may hold `${{ }}`. */
  env: Record<string, string>;
  /**
   * Declared secrets (names and sources, never values), read when each step executes.
   * Absent when none are declared, so adding the field left existing workflow versions as they were.
   */
  secrets?: SecretSpec[];
  /** How webhook requests for this workflow are signed; absent when it declares no `webhook`. */
  webhook?: WebhookSpec;
  /**
   * Alert rules of this workflow's runs, as written (durations as text; observe/ compiles
   * them): added to the server's rules, or replacing the server's rule of the same name.
   * Absent when none are declared.
   */
  alerts?: ParsedAlertRule[];
  /** Post-run reports (`notify: { on: [failure] }`); absent when not asked. */
  notify?: { on: ('success' | 'failure' | 'cancelled')[]; channels?: string[] };
  /**
   * How long this workflow's finished runs, their events and their logs are kept, ms: each
   * field given overrides the server's retention for this workflow's runs. Absent when the
   * workflow declares no `retention`, so existing versions keep their hash.
   */
  retention?: RetentionSpec;
  /**
   * What a run of this workflow gives the step that ran it as a sub-workflow: output name ->
   * a `${{ }}` expression over its steps' outputs and params, evaluated once it succeeded.
   * Absent when the workflow declares none (its parent step's output is then `{}`).
   */
  outputs?: Record<string, string>;
  /** Cron schedules that create runs of this workflow (fired by `baton server`). */
  schedules: ScheduleSpec[];
  /**
   * The steps, in definition order: the main steps, then the `onFailure` hook steps, then
   * the `finally` ones (marked by `hook`), so hooks are step runs like any other.
   */
  steps: StepSpec[];
  /** Absolute folder that relative `uses` and `cwd` resolve against. */
  baseDir: string;
  /** Absolute path of the file it came from, when it came from one. */
  sourcePath?: string;
}

/** A line logger handed to handlers; lines land in the attempt's log file. */
export interface StepLogger {
  /** Writes one line at level debug to the attempt's log; `fields` follow as JSON. */
  debug(message: string, fields?: JsonObject): void;
  /** Writes one line at level info to the attempt's log; `fields` follow as JSON. */
  info(message: string, fields?: JsonObject): void;
  /** Writes one line at level warn to the attempt's log; `fields` follow as JSON. */
  warn(message: string, fields?: JsonObject): void;
  /** Writes one line at level error to the attempt's log; `fields` follow as JSON. */
  error(message: string, fields?: JsonObject): void;
}

/**
 * What a `uses` handler receives.
 * @typeParam I - the shape of `with` after expressions are evaluated.
 */
export interface StepContext<I extends JsonValue = JsonObject> {
  /** The run's params, defaults applied. */
  params: JsonObject;
  /** The step's `with`, expressions evaluated. */
  inputs: I;
  /** Outputs of every upstream step (transitively), by step id. */
  outputs: Record<string, JsonValue>;
  /** The run this attempt belongs to: its id and its workflow's name. */
  run: { id: string; workflow: string };
  /** The step being executed. */
  step: { id: string };
  /** This try's number, from 1. */
  attempt: number;
  /** Stable id of this try; use it as an idempotency key for side effects. */
  attemptId: string;
  /** Aborted on cancellation or timeout; `signal.reason` says which. */
  signal: AbortSignal;
  /** Lines to the attempt's log (secrets masked). */
  log: StepLogger;
  /**
   * The workflow's secrets by name, read in the process that executes the step. Their values
   * are masked (`***`) in this step's log, output and error; a transformed value is not.
   */
  secrets: Readonly<Record<string, string>>;
}

/**
 * A step handler: returns the step's output (any JSON value, or undefined for none).
 * Throwing fails the attempt; throw a `StepFailure` with `retryable: false` to stop retries.
 */
export type StepHandler = (ctx: StepContext<never>) => unknown;
