/**
 * @module server/routes/runs
 * Runs: create, list (filters, cursor pages), read with step runs and attempts, and operate
 * (cancel, pause, resume, retry, priority) through the same library functions the CLI uses.
 */
import { z } from 'zod';
import { RUN_STATES, isRunDone } from '../../core/index.js';
import type { RunState, StepRunState } from '../../core/index.js';
import {
  answerApproval, cancelStoredRun, holderAlive, newRun, pauseRun, progressOf, queuedForMs, rerunRun, retryAsNewRun, sendSignal, setRunPriority, SignalError, unpauseRun,
} from '../../runtime/index.js';
import type { BatchProgress } from '../../runtime/index.js';
import type { WorkflowSpec } from '../../workflow/index.js';
import type { JsonValue } from '../../shared/index.js';
import { traceIdOf } from '../../shared/index.js';
import { decodeDefinition, resolveParams } from '../../workflow/index.js';
import type { RunRecord, StoredStepRun, Trigger } from '../../store/index.js';
import { TRIGGERS } from '../../store/index.js';
import { applyRecovery, diagnoseRun, DiagnosisStepError, pickRecovery, RecoveryApplyError, searchRunLogs, UNKNOWN_ETA } from '../../observe/index.js';
import type { RunEta } from '../../observe/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import {
  AppliedRecoverySchema, ApplyRecoveryBody, ApprovalBody, CreateRunBody, DiagnosisQuery, DiagnosisSchema, ErrorSchema, LogSearchQuery, LogSearchSchema, PriorityBody, RetryBody, RunDetailSchema, RunListQuery, RunPageSchema, RunParams, RunSchema,
} from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
/** `createRun`'s responses: also 429 when intake refuses new runs (backpressure). */
const createErrors = { ...errors, 429: ErrorSchema.describe('intake refused: too many runs wait to start (`backpressure.reject`); the `Retry-After` header says in how many seconds to try again. `error.details`: { queued, limit, retryAfterSec }') };

/** A comma-separated filter, each value checked against `allowed`. @throws ApiError 400 */
function listParam<T extends string>(name: string, raw: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  const values = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = values.filter((v) => !allowed.includes(v as T));
  if (bad.length) throw new ApiError(400, 'invalid-request', `unknown ${name} ${bad.map((b) => `'${b}'`).join(', ')}; one of: ${allowed.join(', ')}`);
  return values as T[];
}

/** The stored definition of a workflow version, or of the newest version of a name. @throws ApiError 404 */
export async function workflowSpec(ctx: Pick<ApiContext, 'store' | 'specs'>, name: string, version?: string): Promise<{ spec: WorkflowSpec; version: string }> {
  const { store } = ctx;
  const v = version ?? (await store.api.listWorkflowVersions(name))[0]?.version;
  const known = v === undefined ? undefined : ctx.specs.get(v);
  if (known && known.name === name) return { spec: known, version: v! };
  const w = v === undefined ? undefined : await store.getWorkflow(v);
  if (!w || w.name !== name) {
    throw new ApiError(404, 'workflow-not-found', version ? `workflow '${name}' has no version '${version}'` : `no workflow '${name}' is registered; POST it to /api/v1/workflows or load it with 'baton server --workflows DIR'`);
  }
  const spec = decodeDefinition(w);
  if (ctx.specs.size >= 256) ctx.specs.clear();
  ctx.specs.set(w.version, spec);
  return { spec, version: w.version };
}

/** Creates a run of a stored workflow with params checked against its declarations. */
export async function createRunOf(ctx: ApiContext, name: string, opts: { version?: string; params: Record<string, unknown>; trigger: Trigger; priority?: number; concurrency?: number; dueAt?: number }): Promise<RunRecord> {
  const { spec, version } = await workflowSpec(ctx, name, opts.version);
  const params = resolveParams(spec, opts.params as Record<string, JsonValue>);
  const start = {
    params, trigger: opts.trigger,
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
  };
  if (opts.dueAt === undefined && ctx.startRun) return ctx.startRun(spec, version, start);
  const run = newRun(spec, version, { ...start, ...(opts.dueAt !== undefined ? { dueAt: opts.dueAt } : {}) }, ctx.clock());
  await ctx.store.createRun(run.record, run.steps, run.events);
  if (run.record.state === 'queued') ctx.onRunQueued(run.record.id);
  return run.record;
}

/**
 * Item counts of the run's batch steps that have started, from their stored groups: the
 * live feed tells them only as each group ends, so a page opened mid-way reads them here.
 * A definition that cannot be read leaves the counts out rather than failing the read.
 */
async function batchProgress(ctx: ApiContext, run: RunRecord, steps: readonly StoredStepRun[]): Promise<Map<string, BatchProgress>> {
  const out = new Map<string, BatchProgress>();
  const started = steps.filter((s) => s.state !== 'pending' && s.state !== 'skipped');
  if (!started.length) return out;
  let spec: WorkflowSpec;
  try {
    spec = (await workflowSpec(ctx, run.workflow, run.version)).spec;
  } catch {
    return out;
  }
  const batchIds = new Set(spec.steps.filter((s) => s.batch !== undefined).map((s) => s.id));
  await Promise.all(started.filter((s) => batchIds.has(s.stepId)).map(async (s) => {
    const groups = await ctx.store.getBatchGroups(run.id, s.stepId);
    if (groups.length) out.set(s.stepId, progressOf(groups));
  }));
  return out;
}

/** Who asked, for the event log. */
function by(req: { token?: { name: string; id: string } }): { by: string } {
  return { by: `api:${req.token?.name || req.token?.id || 'unknown'}` };
}

/** Registers the run routes on the `/api/v1` scope. */
/**
 * The ETA of a run for its resource: a failure to compute it (the store failing between
 * two reads) shows as unknown rather than failing the read of the run itself.
 */
async function etaOf(ctx: ApiContext, run: RunRecord, steps?: readonly StoredStepRun[]): Promise<RunEta> {
  try {
    return await ctx.eta.ofRun(run, steps);
  } catch {
    return UNKNOWN_ETA;
  }
}

export function registerRunRoutes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;
  const viewer = { role: 'viewer' as const };
  const operator = { role: 'operator' as const };
  const resolve = (id: string): Promise<string> => store.resolveRunId(id);
  const mustRun = async (id: string): Promise<RunRecord> => {
    const run = await store.getRun(id);
    if (!run) throw new ApiError(404, 'run-not-found', `no run '${id}'`);
    return run;
  };

  app.get('/runs', {
    config: viewer,
    schema: { tags: ['runs'], operationId: 'listRuns', summary: 'List runs, newest first', querystring: RunListQuery, response: { 200: RunPageSchema, ...errors } },
  }, async (req) => {
    const q = req.query;
    const page = await store.api.queryRuns({
      limit: q.limit,
      ...(q.workflow !== undefined ? { workflow: q.workflow } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
      ...optional('state', listParam('state', q.state, RUN_STATES)),
      ...optional('trigger', listParam('trigger', q.trigger, TRIGGERS)),
    });
    const runs = [];
    for (const run of page.runs) runs.push({ ...run, eta: await etaOf(ctx, run) });
    return { ...page, runs };
  });

  app.post('/runs', {
    config: operator,
    schema: {
      tags: ['runs'], operationId: 'createRun', summary: 'Create a run of a registered workflow',
      description: 'Refused with 429 and `Retry-After` while as many runs wait to start as the server\'s `backpressure.reject` (1000 by default), delayed runs (`at`) too.',
      body: CreateRunBody, response: { 201: z.object({ run: RunSchema }), ...createErrors },
    },
  }, async (req, reply) => {
    const b = req.body;
    const dueAt = b.at === undefined ? undefined : typeof b.at === 'number' ? b.at : Date.parse(b.at);
    const create = (): Promise<RunRecord> => createRunOf(ctx, b.workflow, {
      params: b.params, trigger: 'api',
      ...(b.version !== undefined ? { version: b.version } : {}),
      ...(b.priority !== undefined ? { priority: b.priority } : {}),
      ...(b.concurrency !== undefined ? { concurrency: b.concurrency } : {}),
      ...(dueAt !== undefined && dueAt > ctx.clock() ? { dueAt } : {}),
    });
    // A delayed run is refused too (it is new intake) but waits for nothing yet.
    const run = ctx.intake ? await ctx.intake.admit('api', create, (r) => r.state !== 'pending') : await create();
    return reply.status(201).send({ run });
  });

  app.get('/runs/:id', {
    config: viewer,
    schema: { tags: ['runs'], operationId: 'getRun', summary: 'A run with its step runs and attempts', params: RunParams, response: { 200: RunDetailSchema, ...errors } },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const [run, steps, attempts] = await Promise.all([store.getRun(id), store.getStepRuns(id), store.getAttempts(id)]);
    if (!run) throw new ApiError(404, 'run-not-found', `no run '${id}'`);
    const now = ctx.clock();
    const waited = (x: { state: RunState | StepRunState; queuedAt?: number; createdAt?: number }): { waitedMs?: number } => {
      const w = queuedForMs(x, now);
      return w > 0 ? { waitedMs: w } : {};
    };
    // Fleet mode: a step `running` whose attempt no worker holds says why.
    const waiting = new Map((ctx.fleet && run.state === 'running' ? await ctx.fleet.waitingAttempts([id]) : [])
      .map(({ stepId, reason, detail, missingTags, waitedMs }) => [stepId, { reason, detail, waitedMs, ...(missingTags ? { missingTags } : {}) }]));
    const batch = await batchProgress(ctx, run, steps);
    return {
      run: { ...run, ...waited(run), eta: await etaOf(ctx, run, steps) },
      traceId: traceIdOf(run.id),
      steps: steps.map(({ runId: _r, ...s }) => ({
        ...s, ...waited(s),
        ...(waiting.has(s.stepId) ? { waiting: waiting.get(s.stepId)! } : {}),
        ...(batch.has(s.stepId) ? { batch: batch.get(s.stepId)! } : {}),
      })),
      attempts,
    };
  });

  app.get('/runs/:id/logs', {
    config: viewer,
    schema: {
      tags: ['runs'], operationId: 'searchRunLogs', summary: "Search a run's logs",
      description: "Every attempt's log (of one step with `step`), read from this server's files or, for attempts a fleet worker ran elsewhere, from the chunks it shipped to the store; line by line, at most `limit` matches in attempt and line order. A line is searched in its first 4096 characters. A regex that does not compile is refused with 400 `bad-pattern`; one that backtracks past 2 s of matching with 400 `pattern-too-slow`.",
      params: RunParams, querystring: LogSearchQuery, response: { 200: LogSearchSchema, ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const q = req.query;
    return searchRunLogs(store, id, {
      pattern: q.q, regex: q.regex === 'true', ignoreCase: q.ignoreCase === 'true', limit: q.limit,
      ...(q.step !== undefined ? { stepId: q.step } : {}),
    });
  });

  app.get('/runs/:id/diagnosis', {
    config: viewer,
    schema: {
      tags: ['runs'], operationId: 'getRunDiagnosis', summary: "Diagnose a run's failed steps",
      description: "For each failed step (or `step`): a classification from the evidence of its latest failed attempt (log lines with byte offsets, read from the last 64 KiB of its log; exit code; failure), what changed since the workflow's last successful run, earlier failures of the same signature over 30 days (at most 200 failed attempts read) and how they ended, and ranked recovery commands (none applied). Every quoted text is masked with the run's secrets.",
      params: RunParams, querystring: DiagnosisQuery, response: { 200: DiagnosisSchema, ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    try {
      const workers = ctx.fleet ? await ctx.fleet.listWorkers() : undefined;
      return await diagnoseRun(store, id, { now: ctx.clock(), ...(req.query.step !== undefined ? { stepId: req.query.step } : {}), ...(workers ? { workers } : {}) });
    } catch (e) {
      if (e instanceof DiagnosisStepError) throw new ApiError(404, 'step-not-found', e.message);
      throw e;
    }
  });

  app.post('/runs/:id/diagnosis/apply', {
    config: operator,
    schema: {
      tags: ['runs'], operationId: 'applyRunRecovery', summary: 'Apply a recovery of the diagnosis: re-run the run as it says',
      description: 'Diagnoses the run again and applies the recovery of that rank (a `baton retry RUN --failed` or `--from STEP`) as POST /runs/{id}/retry would, recording in the `rerun` event who approved it and which recovery it was. A recovery that starts a new run from the workflow file is refused (400): run it by hand.',
      params: RunParams, body: ApplyRecoveryBody, response: { 200: AppliedRecoverySchema, ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    try {
      const workers = ctx.fleet ? await ctx.fleet.listWorkers() : undefined;
      const d = await diagnoseRun(store, id, { now: ctx.clock(), ...(req.body.step !== undefined ? { stepId: req.body.step } : {}), ...(workers ? { workers } : {}) });
      const picked = pickRecovery(d, req.body.recovery, req.body.step);
      const r = await applyRecovery(store, id, picked, ctx.clock(), by(req).by);
      ctx.onRunQueued(id);
      return { run: r.run, steps: r.steps, recovery: { stepId: picked.step.stepId, rank: picked.rank, command: picked.recovery.command } };
    } catch (e) {
      if (e instanceof DiagnosisStepError) throw new ApiError(404, 'step-not-found', e.message);
      if (e instanceof RecoveryApplyError) throw new ApiError(e.problem === 'no-step' ? 404 : 400, 'recovery-not-applicable', e.message);
      throw e;
    }
  });

  app.post('/runs/:id/cancel', {
    config: operator,
    schema: { tags: ['runs'], operationId: 'cancelRun', summary: 'Cancel a run (its holder stops it within a heartbeat)', params: RunParams, response: { 200: z.object({ run: RunSchema, outcome: z.enum(['requested', 'cancelled', 'finished']) }), ...errors } },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const outcome = await cancelStoredRun(store, id, ctx.clock());
    ctx.onRunChanged(id);
    return { run: (await store.getRun(id))!, outcome };
  });

  app.post('/runs/:id/pause', {
    config: operator,
    schema: { tags: ['runs'], operationId: 'pauseRun', summary: 'Pause a run: no new step starts; running ones finish', params: RunParams, response: { 200: z.object({ run: RunSchema, changed: z.boolean() }), ...errors } },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const r = await pauseRun(store, id, ctx.clock(), by(req));
    ctx.onRunChanged(id);
    return r;
  });

  app.post('/runs/:id/resume', {
    config: operator,
    schema: {
      tags: ['runs'], operationId: 'resumeRun', summary: 'Resume a paused run, or one whose holder died',
      params: RunParams, response: { 200: z.object({ run: RunSchema, outcome: z.enum(['unpaused', 'adopted']) }), ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const run = await store.getRun(id);
    if (!run) throw new ApiError(404, 'run-not-found', `no run '${id}'`);
    if (run.pausedAt !== undefined) {
      const r = await unpauseRun(store, id, ctx.clock(), by(req));
      ctx.onRunChanged(id);
      if (r.run.state === 'queued') ctx.onRunQueued(id);
      return { run: r.run, outcome: 'unpaused' as const };
    }
    const orphaned = run.state === 'running' && !holderAlive(run, ctx.clock());
    if (!orphaned) {
      const why = isRunDone(run.state) ? `it has ${run.state}; use POST /runs/${id}/retry` : run.state === 'running' ? 'it is running and its holder is alive' : `it is ${run.state} and will start when due`;
      throw new ApiError(409, 'not-resumable', `run ${id} is not paused or interrupted: ${why}`);
    }
    ctx.onRunQueued();
    return { run, outcome: 'adopted' as const };
  });

  app.post('/runs/:id/retry', {
    config: operator,
    schema: {
      tags: ['runs'], operationId: 'retryRun', summary: 'Retry a run: as a new run, only its failed steps, or from a step on',
      params: RunParams, body: RetryBody, response: { 200: z.object({ run: RunSchema, steps: z.array(z.string()).optional() }), ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const b = req.body;
    if (b.mode === 'new') {
      if (b.on) throw new ApiError(400, 'invalid-request', "'on' applies to a re-run within the run (mode 'failed' or 'from'), not to a new run");
      const run = await retryAsNewRun(store, id, ctx.clock(), by(req));
      ctx.onRunQueued(run.id);
      return { run };
    }
    if (b.mode === 'from' && b.step === undefined) throw new ApiError(400, 'invalid-request', "mode 'from' needs 'step': the step to re-run with everything downstream of it");
    if (b.on && !ctx.fleet) throw new ApiError(400, 'invalid-request', "'on' names tags of fleet workers; this server has no fleet (it runs on SQLite), so every step runs in its own process");
    const r = await rerunRun(store, id, { ...(b.mode === 'from' ? { from: b.step! } : { failed: true as const }), ...(b.on ? { on: b.on } : {}) }, ctx.clock(), by(req));
    ctx.onRunQueued(id);
    return { run: r.run, steps: r.steps };
  });

  app.post('/runs/:id/signals/:name', {
    config: operator,
    schema: {
      tags: ['runs'], operationId: 'signalRun',
      summary: "Send a signal to a run: its steps with `wait: { signal: name }` take the JSON body as their output, now or when they start waiting",
      params: RunParams.extend({ name: z.string().min(1).max(200) }),
      body: z.unknown().describe('any JSON value: the payload, which becomes the waiting steps\' output'),
      response: { 200: z.object({ run: RunSchema, steps: z.array(z.string()).describe('the steps that took it') }), ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const run = await mustRun(id);
    const { spec } = await workflowSpec(ctx, run.workflow, run.version);
    const steps = await signalled(() => sendSignal(store, run, spec, req.params.name, (req.body ?? null) as JsonValue, by(req).by, ctx.clock()));
    ctx.onRunChanged(id);
    return { run: (await store.getRun(id))!, steps };
  });

  app.post('/runs/:id/steps/:step/approval', {
    config: operator,
    schema: {
      tags: ['runs'], operationId: 'answerApproval',
      summary: "Approve or reject an `approval:` step (an approval with `role: admin` needs an admin token)",
      params: RunParams.extend({ step: z.string().min(1).max(200) }), body: ApprovalBody,
      response: { 200: z.object({ run: RunSchema }), ...errors },
    },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const run = await mustRun(id);
    const { spec } = await workflowSpec(ctx, run.workflow, run.version);
    const answer = { approved: req.body.approved, ...(req.body.note ? { note: req.body.note } : {}) };
    await signalled(() => answerApproval(store, run, spec, req.params.step, answer, by(req).by, ctx.clock(), req.token?.role));
    ctx.onRunChanged(id);
    return { run: (await store.getRun(id))! };
  });

  app.post('/runs/:id/priority', {
    config: operator,
    schema: { tags: ['runs'], operationId: 'setRunPriority', summary: 'Change the priority of a pending or queued run', params: RunParams, body: PriorityBody, response: { 200: z.object({ run: RunSchema }), ...errors } },
  }, async (req) => {
    const id = await resolve(req.params.id);
    const run = await setRunPriority(store, id, req.body.priority, ctx.clock(), by(req));
    ctx.onRunChanged(id);
    return { run };
  });
}

/** A {@link SignalError} as the API's error: 404 for what does not wait, 403 for the role, else 409. */
async function signalled<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof SignalError)) throw e;
    const status = e.problem === 'no-such-signal' || e.problem === 'not-an-approval' ? 404 : e.problem === 'role' ? 403 : 409;
    throw new ApiError(status, e.code, e.message);
  }
}

function optional<K extends string, V>(key: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: V };
}
