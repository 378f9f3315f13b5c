/**
 * @module workflow/compile
 * Authored input -> `WorkflowSpec`: shape check (zod), cross-field checks, then every
 * default filled in and every duration turned into milliseconds, once.
 */
import { compileDeadline } from './deadline.js';
import { resolve } from 'node:path';
import { parseDuration } from './duration.js';
import { WorkflowValidationError } from './errors.js';
import { fromZodIssue, toSpecError } from './issues.js';
import type { Issue } from './issues.js';
import { BREAKER_DEFAULTS } from './model.js';
import type { BatchSpec, BreakerSpec, HttpRequestSpec, MapSpec, JsonObject, ParamSpec, Platform, RetentionSpec, RetryPolicy, StepAction, StepHandler, StepSpec, WorkflowSpec } from './model.js';
import { append, capIssues, checkBounds, MAX_ISSUES } from './limits.js';
import { DEFAULT_MAP_MAX_ITEMS, DEFAULT_MAX_RESPONSE_BYTES, WorkflowSchema } from './schema.js';
import { parseByteSize } from './size.js';
import type { ParsedWorkflow, RetryInput, WorkflowInput } from './schema.js';
import { checkSemantics } from './validate.js';
import { compileSchedules } from './schedule.js';
import { DEFAULT_WEBHOOK_TOLERANCE_SEC } from './secrets.js';
import type { SecretSpec } from './secrets.js';

/** The retry policy when neither the step nor the workflow sets a field. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 1,
  backoff: 'exponential',
  delayMs: 1_000,
  factor: 2,
  maxDelayMs: 300_000,
  jitter: 0,
});

/** Max steps running at once in one run when `concurrency` is not set. */
export const DEFAULT_CONCURRENCY = 16;

/** Options for {@link compileWorkflow}. */
export interface CompileOptions {
  /** Folder that relative `uses` and `cwd` resolve against; made absolute. */
  baseDir: string;
  /** The file the input came from, recorded on the spec and on errors. */
  sourcePath?: string;
}

/**
 * Identity function that gives a TypeScript workflow definition its type, so editors
 * complete field names and flag typos. Validation happens in `compileWorkflow`.
 * @example
 * export default defineWorkflow({
 *   name: 'nightly',
 *   steps: [{ id: 'fetch', run: 'curl -fsSL "$URL" -o data.json', env: { URL: '${{ params.url }}' } }],
 * });
 */
export function defineWorkflow(input: WorkflowInput): WorkflowInput {
  return input;
}

/** Runs every check; `parsed` is set only when there are no issues. */
export function checkWorkflow(input: unknown): { parsed?: ParsedWorkflow; issues: Issue[] } {
  // Size bounds first, iteratively: zod and the semantic pass recurse over the input.
  const bounds = checkBounds(input);
  if (bounds.length > 0) return { issues: bounds };
  const result = WorkflowSchema.safeParse(input, { reportInput: true });
  const issues: Issue[] = [];
  if (!result.success) for (const issue of result.error.issues) append(issues, fromZodIssue(issue, input));
  append(issues, checkSemantics(input));
  // Zod reports in schema order and the semantic pass in its own; sort so output follows the file.
  issues.sort((a, b) => comparePaths(a.path, b.path));
  const capped = capIssues(issues, (first, count) => ({ code: first.code, message: `and ${count.toLocaleString('en-US')} more problems (only the first ${MAX_ISSUES.toLocaleString('en-US')} are reported)`, path: first.path }));
  return result.success && issues.length === 0 ? { parsed: result.data, issues } : { issues: capped };
}

function comparePaths(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  // Only step indexes have a meaningful order; other keys keep their relative order (stable sort).
  return stepOrder(a) - stepOrder(b);
}

const SECTION_BASE: Record<string, number> = { steps: 0, onFailure: 1e9, finally: 2e9 };

/** Main steps, then onFailure, then finally, as the file usually lists them. */
function stepOrder(path: readonly (string | number)[]): number {
  const base = typeof path[0] === 'string' ? SECTION_BASE[path[0]] : undefined;
  return base !== undefined && typeof path[1] === 'number' ? base + path[1] : -1;
}

/**
 * Validates an authored workflow (parsed YAML/JSON, or a `defineWorkflow` object) and
 * compiles it to a {@link WorkflowSpec} with defaults filled in and durations in ms.
 * It does not import handler modules (see `loadWorkflowFile` / `checkHandlers`).
 * @throws WorkflowValidationError with every problem found; errors carry `file` when
 *   `sourcePath` is given, but no line/column (use `validateWorkflowFile` for those).
 */
export function compileWorkflow(input: unknown, opts: CompileOptions): WorkflowSpec {
  const { parsed, issues } = checkWorkflow(input);
  if (parsed === undefined) {
    const name = (input as { name?: unknown } | null)?.name;
    throw new WorkflowValidationError(issues.map((issue) => toSpecError(issue, opts.sourcePath)), typeof name === 'string' ? name : undefined);
  }
  return buildSpec(parsed, opts);
}

/** Builds the compiled spec from input that passed every check. */
export function buildSpec(parsed: ParsedWorkflow, opts: CompileOptions): WorkflowSpec {
  const retry = compileRetry(parsed.retry, DEFAULT_RETRY);
  const params: Record<string, ParamSpec> = {};
  for (const [name, param] of Object.entries(parsed.params ?? {})) {
    const compiled: ParamSpec = { type: param.type, required: param.required ?? false };
    if (param.default !== undefined) compiled.default = structuredClone(param.default);
    if (param.description !== undefined) compiled.description = param.description;
    params[name] = compiled;
  }
  const spec: WorkflowSpec = {
    name: parsed.name,
    params,
    concurrency: parsed.concurrency ?? DEFAULT_CONCURRENCY,
    retry,
    pools: { ...parsed.pools },
    env: stringifyEnv(parsed.env),
    schedules: compileSchedules(parsed.name, parsed.schedule),
    steps: [
      ...parsed.steps.map((step) => compileStep(step, retry, parsed.inheritEnv, parsed)),
      ...(parsed.onFailure ?? []).map((step) => ({ ...compileStep(step, retry, parsed.inheritEnv, parsed), hook: 'onFailure' as const })),
      ...(parsed.finally ?? []).map((step) => ({ ...compileStep(step, retry, parsed.inheritEnv, parsed), hook: 'finally' as const })),
    ],
    baseDir: resolve(opts.baseDir),
  };
  if (parsed.description !== undefined) spec.description = parsed.description;
  if (parsed.secrets?.length) spec.secrets = parsed.secrets.map(compileSecret);
  if (parsed.alerts !== undefined && parsed.alerts.length > 0) spec.alerts = parsed.alerts;
  if (parsed.notify !== undefined) spec.notify = { on: parsed.notify.on, ...(parsed.notify.channels ? { channels: parsed.notify.channels } : {}) };
  if (parsed.webhook !== undefined) spec.webhook = { secret: parsed.webhook.secret, toleranceSec: parsed.webhook.toleranceSec ?? DEFAULT_WEBHOOK_TOLERANCE_SEC };
  if (parsed.timeout !== undefined) spec.timeoutMs = parseDuration(parsed.timeout);
  if (parsed.deadline !== undefined) spec.deadline = compileDeadline(parsed.deadline);
  if (parsed.retention !== undefined) spec.retention = compileRetention(parsed.retention);
  if (parsed.outputs !== undefined && Object.keys(parsed.outputs).length > 0) spec.outputs = { ...parsed.outputs };
  if (opts.sourcePath !== undefined) spec.sourcePath = resolve(opts.sourcePath);
  return spec;
}

function compileRetention(r: NonNullable<ParsedWorkflow['retention']>): RetentionSpec {
  const out: RetentionSpec = {};
  if (r.runs !== undefined) out.runsMs = parseDuration(r.runs);
  if (r.events !== undefined) out.eventsMs = parseDuration(r.events);
  if (r.logs !== undefined) out.logsMs = parseDuration(r.logs);
  return out;
}

/** One authored `secrets` entry as a {@link SecretSpec}: a bare name reads the env var of that name. */
export function compileSecret(entry: NonNullable<ParsedWorkflow['secrets']>[number]): SecretSpec {
  if (typeof entry === 'string') return { name: entry, env: entry };
  return entry.file !== undefined ? { name: entry.name, file: entry.file } : { name: entry.name, env: entry.env ?? entry.name };
}

function compileStep(
  step: ParsedWorkflow['steps'][number], workflowRetry: RetryPolicy, workflowInheritEnv: readonly string[] = [],
  workflow?: Pick<ParsedWorkflow, 'name' | 'breaker'>,
): StepSpec {
  let action: StepAction;
  if (step.uses !== undefined) {
    action = { kind: 'uses', handler: step.uses, with: structuredClone(step.with ?? {}) };
  } else if (step.http !== undefined) {
    action = { kind: 'http', request: compileHttp(step.http) };
  } else if (step.workflow !== undefined) {
    const w = step.workflow;
    action = { kind: 'workflow', workflow: typeof w === 'string' ? { path: w } : { name: w.name, ...(w.version !== undefined ? { version: w.version } : {}) }, with: structuredClone(step.with ?? {}) };
  } else if (step.wait !== undefined) {
    action = { kind: 'wait', signal: step.wait.signal, ...(step.wait.timeout !== undefined ? { timeoutMs: parseDuration(step.wait.timeout) } : {}) };
  } else if (step.approval !== undefined) {
    const a = step.approval;
    action = {
      kind: 'approval', role: a.role ?? 'operator',
      ...(a.message !== undefined ? { message: a.message } : {}),
      ...(a.timeout !== undefined ? { timeoutMs: parseDuration(a.timeout) } : {}),
    };
  } else {
    const run = step.run ?? '';
    action = { kind: 'run', command: typeof run === 'string' ? { default: run } : { ...run } };
  }
  const needs = typeof step.needs === 'string' ? [step.needs] : [...new Set(step.needs ?? [])];
  const compiled: StepSpec = {
    id: step.id,
    needs,
    action,
    env: stringifyEnv(step.env),
    retry: compileRetry(step.retry, workflowRetry),
    priority: step.priority ?? 0,
    continueOnError: step.continueOnError ?? false,
  };
  // The workflow's list applies to every step, so a fleet task (which carries only its step) keeps it.
  const inherit = [...new Set([...workflowInheritEnv, ...(step.inheritEnv ?? [])])];
  if (inherit.length) compiled.inheritEnv = inherit;
  if (typeof step.cwd === 'string') compiled.cwd = step.cwd;
  else if (step.cwd !== undefined) {
    compiled.cwd = step.cwd.value;
    if (step.cwd.trusted === true) compiled.cwdTrusted = true;
  }
  if (step.shell !== undefined) compiled.shell = step.shell;
  if (step.timeout !== undefined) compiled.timeoutMs = parseDuration(step.timeout);
  if (step['queue-timeout'] !== undefined) compiled.queueTimeoutMs = parseDuration(step['queue-timeout']);
  if (step.pool !== undefined) compiled.pool = step.pool;
  if (step.kind !== undefined) compiled.workload = step.kind;
  if (step.if !== undefined) compiled.if = String(step.if);
  const runsOn = step['runs-on'];
  if (runsOn !== undefined) compiled.runsOn = typeof runsOn === 'string' ? [runsOn] : [...new Set(runsOn)];
  if (step.batch !== undefined) compiled.batch = compileBatch(step.batch);
  if (step.map !== undefined) compiled.map = compileMap(step.map);
  if (step.inline === true) compiled.inline = true;
  const memory = step.memory ?? step.limits?.memory;
  if (memory !== undefined) {
    const bytes = parseByteSize(memory);
    if (bytes !== undefined) compiled.memoryBytes = bytes;
  }
  const cpu = step.cpu ?? step.limits?.cpu;
  if (cpu !== undefined) compiled.cpuCores = cpu;
  const held = action.kind === 'workflow' || action.kind === 'wait' || action.kind === 'approval';
  // A held step calls nothing a breaker could protect (validation refuses one written on it).
  const breaker = held ? undefined : compileBreaker(step.breaker ?? workflow?.breaker, workflow?.name ?? '', compiled);
  if (breaker) compiled.breaker = breaker;
  return compiled;
}

type ParsedBreaker = NonNullable<ParsedWorkflow['breaker']>;

/**
 * A `breaker:` with its key and every default filled; undefined for none (`false`, absent).
 * The default key is what the step's attempts share: its pool, its HTTP host, else itself.
 */
export function compileBreaker(b: ParsedBreaker | undefined, workflow: string, step: Pick<StepSpec, 'id' | 'pool' | 'action'>): BreakerSpec | undefined {
  if (b === undefined || b === false) return undefined;
  const o = typeof b === 'object' ? b : {};
  const key = typeof b === 'string' ? b : o.key ?? defaultBreakerKey(workflow, step);
  const spec: BreakerSpec = {
    key,
    failures: o.failures ?? BREAKER_DEFAULTS.failures,
    windowMs: o.window === undefined ? BREAKER_DEFAULTS.windowMs : parseDuration(o.window),
    minCalls: o.minCalls ?? BREAKER_DEFAULTS.minCalls,
    cooldownMs: o.cooldown === undefined ? BREAKER_DEFAULTS.cooldownMs : parseDuration(o.cooldown),
  };
  if (o.rate !== undefined) spec.rate = o.rate;
  return spec;
}

/** `pool:NAME`, `http:HOST` (a URL whose host is written out, not an expression), else `step:WORKFLOW/STEP`. */
export function defaultBreakerKey(workflow: string, step: Pick<StepSpec, 'id' | 'pool' | 'action'>): string {
  if (step.pool !== undefined) return `pool:${step.pool}`;
  if (step.action.kind === 'http') {
    const m = /^https?:\/\/([^/?#${}\s]+)(?:[/?#]|$)/i.exec(step.action.request.url);
    if (m) return `http:${m[1]!.replace(/^[^@]*@/, '').toLowerCase()}`;
  }
  return `step:${workflow}/${step.id}`;
}

function compileHttp(h: NonNullable<ParsedWorkflow['steps'][number]['http']>): HttpRequestSpec {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(h.headers ?? {})) headers[k] = String(v);
  const out: HttpRequestSpec = {
    url: h.url,
    method: h.method ?? 'GET',
    headers,
    maxResponseBytes: h.maxResponseBytes === undefined ? DEFAULT_MAX_RESPONSE_BYTES : (parseByteSize(h.maxResponseBytes) ?? DEFAULT_MAX_RESPONSE_BYTES),
    idempotencyKey: h.idempotencyKey ?? true,
  };
  if (h.body !== undefined) out.body = structuredClone(h.body);
  if (h.timeout !== undefined) out.timeoutMs = parseDuration(h.timeout);
  if (h.expect !== undefined) out.expectStatus = typeof h.expect.status === 'number' ? [h.expect.status] : [...new Set(h.expect.status)];
  return out;
}

/** Items per group when `groupSize` is not set. */
export const DEFAULT_GROUP_SIZE = 5;

function compileBatch(b: NonNullable<ParsedWorkflow['steps'][number]['batch']>): BatchSpec {
  const compiled: BatchSpec = {
    items: b.items,
    groupSize: b.groupSize ?? DEFAULT_GROUP_SIZE,
    concurrency: b.concurrency ?? 1,
    onInvalid: b.onInvalid ?? 'fail',
    failurePolicy: b.failurePolicy ?? 'fail-fast',
  };
  if (b.validate !== undefined) compiled.validate = compileAction(b.validate);
  if (b.consolidate !== undefined) compiled.consolidate = compileAction(b.consolidate);
  if (typeof b.maxFailures === 'number') compiled.maxFailures = { count: b.maxFailures };
  else if (b.maxFailures !== undefined) compiled.maxFailures = { percent: Number.parseFloat(b.maxFailures) };
  return compiled;
}

function compileMap(m: NonNullable<ParsedWorkflow['steps'][number]['map']>): MapSpec {
  const compiled: MapSpec = { items: m.items, maxItems: m.maxItems ?? DEFAULT_MAP_MAX_ITEMS, failurePolicy: m.failurePolicy ?? 'fail-fast' };
  if (m.concurrency !== undefined) compiled.concurrency = m.concurrency;
  if (typeof m.maxFailures === 'number') compiled.maxFailures = { count: m.maxFailures };
  else if (m.maxFailures !== undefined) compiled.maxFailures = { percent: Number.parseFloat(m.maxFailures) };
  return compiled;
}

function compileAction(a: { run?: string | Partial<Record<Platform, string>> | undefined; uses?: string | StepHandler | undefined; with?: JsonObject | undefined }): StepAction {
  if (a.uses !== undefined) return { kind: 'uses', handler: a.uses, with: structuredClone(a.with ?? {}) };
  const run = a.run ?? '';
  return { kind: 'run', command: typeof run === 'string' ? { default: run } : { ...run } };
}

function compileRetry(input: RetryInput | undefined, base: Readonly<RetryPolicy>): RetryPolicy {
  return {
    attempts: input?.attempts ?? base.attempts,
    backoff: input?.backoff ?? base.backoff,
    delayMs: input?.delay === undefined ? base.delayMs : parseDuration(input.delay),
    factor: input?.factor ?? base.factor,
    maxDelayMs: input?.maxDelay === undefined ? base.maxDelayMs : parseDuration(input.maxDelay),
    jitter: input?.jitter ?? base.jitter,
  };
}

type EnvInput = string | number | boolean | { value: string | number | boolean; trusted?: boolean | undefined };

function stringifyEnv(env: Record<string, EnvInput> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  // `trusted` is a validation-time permission only; the compiled spec keeps the text.
  for (const [key, value] of Object.entries(env ?? {})) out[key] = String(typeof value === 'object' ? value.value : value);
  return out;
}
