/**
 * @module workflow/decode
 * Reading a stored definition back as a {@link WorkflowSpec}. The store keeps the compiled
 * workflow as JSON; whatever reads it (resume, re-run, the trigger loop, the API) goes
 * through {@link decodeDefinition}, which checks the shape instead of casting, so a row
 * written by another version of baton, or damaged, fails with the field that is wrong
 * rather than deep inside the engine. Objects are loose: a field a newer version added is
 * kept as it is, not dropped.
 */
import type { DeadlineView } from './deadline.js';
import { z } from 'zod';
import { AlertRuleSchema, RunNotifySchema } from './config-schema.js';
import { BatonError } from '../shared/index.js';
import type { JsonValue } from '../shared/index.js';
import type { WorkflowSpec } from './model.js';

const json: z.ZodType<JsonValue> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]));
const ms = z.number().nonnegative();

const retry = z.looseObject({
  attempts: z.number().int().positive(),
  backoff: z.enum(['fixed', 'exponential']),
  delayMs: ms,
  factor: z.number(),
  maxDelayMs: ms,
  jitter: z.number().min(0).max(1),
});

const action = z.union([
  z.looseObject({ kind: z.literal('run'), command: z.record(z.string(), z.string()) }),
  // A stored handler is always its `./module.ts#export` reference: inline SDK functions are not JSON.
  z.looseObject({ kind: z.literal('uses'), handler: z.string(), with: z.record(z.string(), json) }),
  z.looseObject({
    kind: z.literal('http'),
    request: z.looseObject({
      url: z.string(),
      method: z.string(),
      headers: z.record(z.string(), z.string()),
      body: json.optional(),
      timeoutMs: ms.optional(),
      expectStatus: z.array(z.number().int()).optional(),
      maxResponseBytes: z.number().int().positive(),
      idempotencyKey: z.boolean(),
    }),
  }),
]);

const workflowAction = z.looseObject({
  kind: z.literal('workflow'),
  workflow: z.union([z.looseObject({ path: z.string() }), z.looseObject({ name: z.string(), version: z.string().optional() })]),
  with: z.record(z.string(), json),
});

/** Waiting steps: decoded here, not in `action`, since a batch step's validate/consolidate cannot be one. */
const waitAction = z.union([
  z.looseObject({ kind: z.literal('wait'), signal: z.string(), timeoutMs: ms.optional() }),
  z.looseObject({ kind: z.literal('approval'), role: z.enum(['operator', 'admin']), message: z.string().optional(), timeoutMs: ms.optional() }),
]);

const batch = z.looseObject({
  items: z.string(),
  groupSize: z.number().int().positive(),
  concurrency: z.number().int().positive(),
  validate: action.optional(),
  onInvalid: z.enum(['fail', 'skip']),
  failurePolicy: z.enum(['fail-fast', 'continue']),
  maxFailures: z.union([z.looseObject({ count: z.number() }), z.looseObject({ percent: z.number() })]).optional(),
  consolidate: action.optional(),
});

const map = z.looseObject({
  items: z.string(),
  concurrency: z.number().int().positive().optional(),
  maxItems: z.number().int().positive(),
  failurePolicy: z.enum(['fail-fast', 'continue']),
  maxFailures: z.union([z.looseObject({ count: z.number() }), z.looseObject({ percent: z.number() })]).optional(),
});

const step = z.looseObject({
  id: z.string(),
  needs: z.array(z.string()),
  action: z.union([action, workflowAction, waitAction]),
  env: z.record(z.string(), z.string()),
  cwd: z.string().optional(),
  shell: z.string().optional(),
  timeoutMs: ms.optional(),
  retry,
  priority: z.number().int(),
  pool: z.string().optional(),
  workload: z.enum(['cpu', 'io']).optional(),
  breaker: z.looseObject({
    key: z.string(), failures: z.number().int().positive(), rate: z.number().optional(), windowMs: ms, minCalls: z.number().int().positive(), cooldownMs: ms,
  }).optional(),
  if: z.string().optional(),
  continueOnError: z.boolean(),
  runsOn: z.array(z.string()).optional(),
  batch: batch.optional(),
  map: map.optional(),
  hook: z.enum(['onFailure', 'finally']).optional(),
  inline: z.boolean().optional(),
  memoryBytes: z.number().int().positive().optional(),
  cpuCores: z.number().positive().optional(),
});

const deadline = z.union([z.looseObject({ afterMs: ms }), z.looseObject({ at: z.string().regex(/^\d\d:\d\d$/) })]);

const schedule = z.looseObject({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  params: z.record(z.string(), json),
  misfire: z.enum(['skip', 'run-once', 'catch-up']),
  overlap: z.enum(['skip', 'queue', 'allow']),
  enabled: z.boolean(),
  deadline: deadline.optional(),
});

const definition = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  params: z.record(z.string(), z.looseObject({
    type: z.enum(['string', 'integer', 'number', 'boolean', 'array', 'object']),
    default: json.optional(),
    description: z.string().optional(),
    required: z.boolean(),
  })),
  concurrency: z.number().int().positive(),
  timeoutMs: ms.optional(),
  deadline: deadline.optional(),
  retry,
  pools: z.record(z.string(), z.number().int().positive()),
  env: z.record(z.string(), z.string()),
  secrets: z.array(z.union([z.looseObject({ name: z.string(), env: z.string() }), z.looseObject({ name: z.string(), file: z.string() })])).optional(),
  webhook: z.looseObject({ secret: z.string(), toleranceSec: z.number().positive() }).optional(),
  alerts: z.array(AlertRuleSchema).optional(),
  notify: RunNotifySchema.optional(),
  retention: z.looseObject({ runsMs: ms.optional(), eventsMs: ms.optional(), logsMs: ms.optional() }).optional(),
  schedules: z.array(schedule),
  steps: z.array(step),
});

/**
 * Thrown by {@link decodeDefinition} when a stored definition does not have the shape of a
 * compiled workflow. `problems` lists each wrong field as `path: message`.
 */
export class DefinitionDecodeError extends BatonError {
  constructor(
    /** The stored version, when known. */
    readonly version: string | undefined,
    /** One `path: message` per field that does not fit (at most 10). */
    readonly problems: string[],
  ) {
    super('definition-invalid', `stored workflow definition${version === undefined ? '' : ` ${version}`} is unreadable: ${problems.join('; ')}`);
  }
}

/**
 * Reads a stored definition (`WorkflowVersionRecord.definition`) back as a compiled
 * workflow, checking its shape.
 * @param record the stored version, or just its `definition` (and `version` for messages)
 * @throws DefinitionDecodeError naming every field that does not fit
 */
export function decodeDefinition(record: { definition: unknown; version?: string }): WorkflowSpec {
  const parsed = definition.safeParse(record.definition);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new DefinitionDecodeError(record.version, problems);
  }
  // The schema above mirrors model.ts field by field; zod's inferred type differs only in
  // readonly-ness and the loose extra keys, so this is the one place the two types meet.
  return parsed.data as unknown as WorkflowSpec;
}

/** What alerting reads of a stored definition: its rules, its reports, which steps may fail. */
export interface AlertingView {
  alerts?: WorkflowSpec['alerts'];
  notify?: WorkflowSpec['notify'];
  /** Step ids whose failure does not fail the run (`continueOnError`). */
  continueOnError: ReadonlySet<string>;
  /** The workflow's and its schedule entries' deadlines: what `runDeadline` reads. */
  deadlines: DeadlineView;
}

const alertingShape = z.looseObject({
  alerts: z.array(AlertRuleSchema).optional(),
  notify: RunNotifySchema.optional(),
  steps: z.array(z.looseObject({ id: z.string(), continueOnError: z.boolean().optional() })),
  deadline: deadline.optional(),
  schedules: z.array(z.looseObject({ name: z.string(), timezone: z.string(), deadline: deadline.optional() })).optional(),
});

/**
 * Reads only the parts of a stored definition alerting needs, validated: decoding a whole
 * 5,000-step definition costs more than evaluating every event of its run.
 * @throws DefinitionDecodeError naming every field that does not fit
 */
export function decodeAlerting(record: { definition: unknown; version?: string }): AlertingView {
  const parsed = alertingShape.safeParse(record.definition);
  if (!parsed.success) {
    throw new DefinitionDecodeError(record.version, parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const deadlines: DeadlineView = {
    schedules: (parsed.data.schedules ?? []).map((s) => ({ name: s.name, timezone: s.timezone, ...(s.deadline ? { deadline: s.deadline } : {}) })),
    ...(parsed.data.deadline ? { deadline: parsed.data.deadline } : {}),
  };
  const view: AlertingView = { continueOnError: new Set(parsed.data.steps.filter((s) => s.continueOnError).map((s) => s.id)), deadlines };
  if (parsed.data.alerts) view.alerts = parsed.data.alerts;
  if (parsed.data.notify) view.notify = parsed.data.notify;
  return view;
}
