/**
 * @module executors
 * Run one attempt of a step and say how it ended. Executors do not touch the store.
 */
import type { Failure } from '../core/index.js';
import { errorMessage } from '../shared/index.js';
import type { Masker } from './mask.js';
import { createMasker } from './mask.js';
import { resolveSecrets } from './secrets.js';
import { runBatch } from './batch.js';
import { runHandler } from './handler.js';
import { runHeldStep } from './held.js';
import { runShell } from './shell.js';
import { runHttp } from './http.js';
import type { AttemptRequest, AttemptResult, BatchGroupRecord, ExecutorLimits } from './types.js';

export * from './types.js';
export { AttemptLog } from './log.js';
export type { LogSink } from './log.js';
export { createMasker, NO_MASKING, SECRET_MASK, MIN_MASKED_LENGTH, secretForms } from './mask.js';
export type { Masker, MaskStream } from './mask.js';
export { resolveSecrets } from './secrets.js';
export { isWithheldVariable, scrubEnvironment, WITHHELD_PG_VARIABLES } from './env.js';
export type { SecretResolution, MissingSecret, SecretProblem } from './secrets.js';
export { ioFailure } from './io-failure.js';
export { directArgv, commandFor, limitsText } from './shell.js';
export { toOutput } from './handler-result.js';
export { HandlerPool } from './handler-pool.js';
export type { HandlerPoolOptions } from './handler-pool.js';
export { parseRetryAfter, HTTP_USER_AGENT } from './http.js';
export type { BatchItemResult, BatchItemStatus, BatchResult } from './batch-items.js';
export { progressOf, resolveItems } from './batch-items.js';

/**
 * Runs one attempt with the executor for the step's kind. Never throws for step failures.
 *
 * Secrets (`req.secrets`) are read here, in the process that executes the step, so a fleet
 * worker uses its own environment and files. A missing one fails the attempt with a
 * non-retryable `secret-missing` failure naming it. Their values reach shell steps as env
 * vars and handlers as `ctx.secrets`, and are masked in the log, the output, the failure and
 * saved batch groups before any of them leaves the executor.
 */
export async function execute(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (!req.secrets?.length) return run(req, limits);
  const resolved = resolveSecrets(req.secrets, req.baseDir);
  if (!resolved.ok) {
    const names = resolved.missing.map((m) => m.name);
    return {
      ok: false,
      failure: { type: 'secret-missing', message: resolved.missing.map((m) => m.message).join('\n'), retryable: false, details: { secrets: names } },
    };
  }
  const masker = createMasker(Object.values(resolved.values));
  req.log.maskWith(masker);
  const hooks = req.batch;
  const masked: AttemptRequest = {
    ...req,
    env: { ...req.env, ...resolved.values },
    secretValues: Object.freeze({ ...resolved.values }),
    masker,
    ...(hooks ? { batch: { ...hooks, saveGroups: (groups) => hooks.saveGroups(groups.map((g) => maskGroup(g, masker))) } } : {}),
  };
  let result: AttemptResult;
  try {
    result = await run(masked, limits);
  } catch (e) {
    result = { ok: false, failure: { type: 'internal', message: errorMessage(e), retryable: true } };
  }
  return maskResult(result, masker);
}

function run(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.batch !== undefined) return runBatch(req, limits);
  const kind = req.step.action.kind;
  if (kind === 'workflow' || kind === 'wait' || kind === 'approval') return runHeldStep(req);
  return kind === 'run' ? runShell(req, limits) : kind === 'http' ? runHttp(req, limits) : runHandler(req, limits);
}

/** The result with its output or failure masked. */
function maskResult(result: AttemptResult, masker: Masker | undefined): AttemptResult {
  if (masker === undefined || !masker.active) return result;
  if (result.ok) return { ...result, output: masker.maskJson(result.output) };
  return { ...result, failure: maskFailure(result.failure, masker) };
}

function maskFailure(f: Failure, masker: Masker): Failure {
  const out: Failure = { type: masker.mask(f.type), message: masker.mask(f.message), retryable: f.retryable };
  if (f.details !== undefined) out.details = masker.maskJson(f.details);
  if (f.retryAfterMs !== undefined) out.retryAfterMs = f.retryAfterMs;
  return out;
}

/** A batch group as saved: outputs and error masked; items as they are, since a resume reruns them. */
function maskGroup(g: BatchGroupRecord, masker: Masker): BatchGroupRecord {
  const out: BatchGroupRecord = { ...g };
  if (g.outputs !== undefined) out.outputs = g.outputs.map((o) => masker.maskJson(o));
  if (g.error !== undefined) out.error = maskFailure(g.error, masker);
  return out;
}
