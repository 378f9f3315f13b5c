/**
 * @module runtime/child-runs
 * Sub-workflow steps (`workflow:`): the child is a run of its own (trigger `parent`, linked
 * to the parent run and step), started and held by the engine that holds the parent, so its
 * steps are scheduled, published to fleet workers, resumed and cancelled like any run's.
 *
 * Durable by lookup: the child's record names its parent step, so an attempt that starts
 * after a crash (or a retry after a failure) finds the child an earlier attempt started —
 * a succeeded child gives its outputs without running again, an interrupted one is resumed,
 * a failed one is replaced by a new child (the step's retry).
 */
import { resolve } from 'node:path';
import type { AttemptResult, HeldStepHooks } from '../executors/index.js';
import { failures } from '../core/index.js';
import { isRunDone } from '../core/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import { errorMessage } from '../shared/index.js';
import type { ExpressionScope, StepSpec, WorkflowRef, WorkflowSpec } from '../workflow/index.js';
import { decodeDefinition, evaluateExpression, interpolate, loadWorkflowFile, resolveParams, workflowVersion } from '../workflow/index.js';
import type { NewEvent, RunRecord, Store } from '../store/index.js';
import type { Clock } from './clock.js';
import { sleepOn } from './clock.js';
import type { RunHandle, RunSummary, StartRunOptions } from './engine-types.js';
import { RunHeldError } from './engine-types.js';
import { cancelStoredRun } from './restore.js';

/** Sub-workflows nest at most this deep (a run started by no step is depth 0). */
export const MAX_WORKFLOW_DEPTH = 5;

/** How often a child that another process holds is checked for its end, ms. */
const POLL_MS = 500;

/** What a sub-workflow step needs of the engine that holds its run. */
export interface ChildRunHost {
  store: Store;
  clock: Clock;
  start(spec: WorkflowSpec, version: string, opts: StartRunOptions): Promise<RunHandle>;
  resume(runId: string, spec: WorkflowSpec): Promise<RunHandle>;
  /** Cancels a run held here; false when it is not. */
  cancel(runId: string, force: boolean): boolean;
  /** Stages an event of the parent run for the next commit. */
  event(e: NewEvent): void;
}

/** The parent side of one attempt of a sub-workflow step. */
export interface ChildRunRequest {
  runId: string;
  stepId: string;
  /** The parent run's depth (0 for a run no step started). */
  depth: number;
  step: StepSpec;
  /** The parent workflow's folder: a child `path` is relative to it. */
  baseDir: string;
  /** The step's `with`, evaluated: the child's params before their defaults. */
  params: JsonValue;
}

/** The hooks for one attempt of a sub-workflow step. */
export function childRunHooks(host: ChildRunHost, req: ChildRunRequest): HeldStepHooks {
  return { run: (signal, note) => runChild(host, req, signal, note) };
}

async function runChild(host: ChildRunHost, req: ChildRunRequest, signal: AbortSignal, note: (line: string) => void): Promise<AttemptResult> {
  const action = req.step.action;
  if (action.kind !== 'workflow') return { ok: false, failure: failures.internal(new Error(`step ${req.stepId} is not a sub-workflow step`)) };
  const depth = req.depth + 1;
  if (depth > MAX_WORKFLOW_DEPTH) {
    const chain = await parentChain(host.store, req.runId);
    return { ok: false, failure: failures.subWorkflowInvalid(`sub-workflows nest at most ${MAX_WORKFLOW_DEPTH} deep: ${[...chain, refText(action.workflow)].join(' -> ')} (a cycle of workflows that call each other?)`) };
  }
  let spec: WorkflowSpec;
  let version: string;
  let params: JsonObject;
  try {
    ({ spec, version } = await childDefinition(host.store, action.workflow, req.baseDir));
    params = resolveParams(spec, isObject(req.params) ? req.params : {});
  } catch (e) {
    return { ok: false, failure: failures.subWorkflowInvalid(`${refText(action.workflow)}: ${errorMessage(e)}`) };
  }
  let handle: { id: string; result: Promise<RunSummary> } | undefined;
  try {
    const earlier = (await host.store.listRuns({ parentRunId: req.runId, limit: 1_000 })).find((r) => r.parentStepId === req.stepId);
    if (earlier?.state === 'succeeded') {
      note(`child run ${earlier.id} (${earlier.workflow}) succeeded before: its outputs are taken, it does not run again`);
      return await outputsOf(host.store, earlier, spec);
    }
    if (earlier && earlier.state !== 'failed') handle = await reattach(host, earlier, spec, note);
    if (!handle) {
      const started = await host.start(spec, version, { params, trigger: 'parent', parent: { runId: req.runId, stepId: req.stepId, depth } });
      handle = started;
      note(`started child run ${started.id} (${spec.name}, version ${version})`);
      host.event({ runId: req.runId, stepId: req.stepId, type: 'child-run', at: host.clock.now(), data: { childRunId: started.id, workflow: spec.name, version } });
    }
  } catch (e) {
    return { ok: false, failure: failures.subWorkflow(`the child run could not be started: ${errorMessage(e)}`) };
  }
  const childId = handle.id;
  const onAbort = (): void => {
    note(`cancelling child run ${childId}`);
    if (!host.cancel(childId, signal.reason === 'timeout')) void cancelStoredRun(host.store, childId, host.clock.now()).catch(() => undefined);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  let summary: RunSummary;
  try {
    summary = await handle.result.catch((e: unknown) => {
      // Another process took the child over (this one lost its lease): wait for its end there.
      if (e instanceof RunHeldError) return waitForEnd(host, childId);
      throw e;
    });
  } catch (e) {
    return { ok: false, failure: failures.subWorkflow(`child run ${childId}: ${errorMessage(e)}`) };
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  note(`child run ${childId} ${summary.state}${summary.reason ? ` (${summary.reason})` : ''}`);
  if (summary.state === 'succeeded') {
    const record = await host.store.getRun(childId);
    if (record) return outputsOf(host.store, record, spec);
  }
  const details = { childRunId: childId, state: summary.state, ...(summary.reason ? { reason: summary.reason } : {}) };
  if (summary.state === 'cancelled' && !signal.aborted) {
    return { ok: false, failure: { ...failures.subWorkflow(`child run ${childId} was cancelled`, details), retryable: false } };
  }
  const why = summary.state === 'failed' ? await failedSteps(host.store, childId) : '';
  return { ok: false, failure: failures.subWorkflow(`child run ${childId} ${summary.state}${why || (summary.reason ? `: ${summary.reason}` : '')}`, details) };
}

/** `: double (exited with code 3), …`: what failed in a child, for the parent step's error. */
async function failedSteps(store: Store, runId: string): Promise<string> {
  const failed = (await store.getStepRuns(runId).catch(() => [])).filter((s) => s.state === 'failed');
  const shown = failed.slice(0, 3).map((s) => `${s.stepId}${s.error ? ` (${s.error.message.split('\n')[0]!.slice(0, 120)})` : ''}`);
  return shown.length ? `: ${shown.join(', ')}${failed.length > 3 ? ` and ${failed.length - 3} more` : ''}` : '';
}

/** Takes an unfinished child back: resumed here, or, when another live process holds it, waited for. */
async function reattach(host: ChildRunHost, child: RunRecord, spec: WorkflowSpec, note: (line: string) => void): Promise<{ id: string; result: Promise<RunSummary> } | undefined> {
  try {
    const h = await host.resume(child.id, spec);
    note(`resumed child run ${child.id} (${child.workflow}), started by an earlier attempt`);
    return h;
  } catch (e) {
    if (e instanceof RunHeldError) {
      note(`child run ${child.id} is held by another process: waiting for its end`);
      return { id: child.id, result: waitForEnd(host, child.id) };
    }
    // Cannot be resumed (it is queued for another engine, or pending): a new child is started.
    return undefined;
  }
}

/** Polls the store until a run ends. */
async function waitForEnd(host: ChildRunHost, runId: string): Promise<RunSummary> {
  for (;;) {
    const r = await host.store.getRun(runId);
    if (!r) throw new Error(`child run ${runId} is gone`);
    if (isRunDone(r.state)) return { id: runId, state: r.state as RunSummary['state'], ...(r.reason ? { reason: r.reason } : {}) };
    await sleepOn(host.clock, POLL_MS);
  }
}

/**
 * The step's output from a succeeded child: its workflow's `outputs`, each a lone `${{ }}`
 * (its JSON value) or a template (text), over the child's params and step outputs.
 */
async function outputsOf(store: Store, child: RunRecord, spec: WorkflowSpec): Promise<AttemptResult> {
  try {
    return { ok: true, output: await runOutputs(store, child, spec) };
  } catch (e) {
    return { ok: false, failure: failures.subWorkflowInvalid(`outputs of ${child.workflow} (child run ${child.id}): ${errorMessage(e)}`) };
  }
}

/**
 * A succeeded run's declared `outputs:` (`{}` when it declares none), evaluated over its
 * params and its succeeded steps' outputs: what a sub-workflow step gets, and what `baton run`
 * prints last.
 * @throws ExpressionError when an output reads what the run does not have
 */
export async function runOutputs(store: Store, run: RunRecord, spec: WorkflowSpec): Promise<JsonObject> {
  const output: JsonObject = {};
  if (!spec.outputs || Object.keys(spec.outputs).length === 0) return output;
  const steps: ExpressionScope['steps'] = {};
  for (const s of await store.getStepRuns(run.id)) if (s.state === 'succeeded') steps[s.stepId] = { output: s.output ?? null };
  const scope: ExpressionScope = { params: run.params, steps, run: { id: run.id, attempt: 1, state: 'succeeded', failedSteps: [] } };
  for (const [name, text] of Object.entries(spec.outputs)) output[name] = outputValue(text, scope);
  return output;
}

const LONE = /^\s*\$\{\{([\s\S]*)\}\}\s*$/;

function outputValue(text: string, scope: ExpressionScope): JsonValue {
  const lone = LONE.exec(text);
  if (lone && !lone[1]!.includes('}}')) return evaluateExpression(lone[1]!.trim(), scope) ?? null;
  return interpolate(text, scope);
}

/** The child's definition: a file loaded now (relative to the parent's folder), or a stored version by name. */
async function childDefinition(store: Store, ref: WorkflowRef, baseDir: string): Promise<{ spec: WorkflowSpec; version: string }> {
  if ('path' in ref) {
    const spec = await loadWorkflowFile(resolve(baseDir, ref.path));
    return { spec, version: workflowVersion(spec) };
  }
  let version = ref.version;
  if (version === undefined) {
    const versions = await store.api.listWorkflowVersions(ref.name);
    version = [...versions].sort((a, b) => b.createdAt - a.createdAt)[0]?.version;
    if (version === undefined) throw new Error(`no workflow named "${ref.name}" is registered (run it once, or register it with baton server)`);
  }
  const stored = await store.getWorkflow(version);
  if (!stored || stored.name !== ref.name) throw new Error(`workflow "${ref.name}" has no version ${version}`);
  return { spec: decodeDefinition(stored), version };
}

/** The workflows from the top run down to `runId`, for a depth error. */
async function parentChain(store: Store, runId: string): Promise<string[]> {
  const chain: string[] = [];
  let id: string | undefined = runId;
  for (let i = 0; id !== undefined && i <= MAX_WORKFLOW_DEPTH; i++) {
    const r: RunRecord | undefined = await store.getRun(id);
    if (!r) break;
    chain.unshift(r.workflow);
    id = r.parentRunId;
  }
  return chain;
}

function refText(ref: WorkflowRef): string {
  return 'path' in ref ? ref.path : `${ref.name}${ref.version ? `@${ref.version}` : ''}`;
}

function isObject(v: JsonValue): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
