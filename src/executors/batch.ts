/**
 * @module executors/batch
 * Runs one attempt of a `batch:` step: expands the items, validates each, then runs the
 * step's own `run`/`uses` once per group of items, each group retried on its own by the
 * step's retry policy, `concurrency` groups at once. Group results go to the store through
 * the runtime's callbacks as each group ends, so a resumed step skips finished groups.
 *
 * Every failure of the batch itself is non-retryable at step level: the groups already
 * had their retries, and re-running the step would only try failed groups twice. A
 * failed `consolidate` keeps its own retryability: a step retry skips every finished
 * group and only consolidates again.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { backoffDelay } from '../core/index.js';
import type { Failure } from '../core/index.js';
import type { StepAction, StepSpec } from '../workflow/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import { loadHandler } from '../workflow/index.js';
import type { BatchResult, InvalidItem } from './batch-items.js';
import {
  buildResult, failureLimit, groupOutputs, invalidFailure, invalidGroup, itemText, listItems, planGroups, PrefixedLog,
  progressOf, resolveItems, verdict,
} from './batch-items.js';
import { runHandler } from './handler.js';
import { toOutput } from './handler-result.js';
import { runShell } from './shell.js';
import { setLongTimeout } from '../shared/index.js';
import type { AttemptRequest, AttemptResult, BatchGroupRecord, BatchHooks, ExecutorLimits } from './types.js';
import { errorMessage } from '../shared/index.js';

type Fail = Extract<AttemptResult, { ok: false }>;

const fail = (type: string, message: string, details?: JsonValue): Fail => ({
  ok: false,
  failure: { type, message, retryable: false, ...(details !== undefined ? { details } : {}) },
});

/** Sums CPU time and keeps the peak memory over every process the attempt ran. */
class Usage {
  cpuMs: number | undefined;
  peakRssBytes: number | undefined;
  add(r: AttemptResult): void {
    if (r.cpuMs !== undefined) this.cpuMs = (this.cpuMs ?? 0) + r.cpuMs;
    if (r.peakRssBytes !== undefined) this.peakRssBytes = Math.max(this.peakRssBytes ?? 0, r.peakRssBytes);
  }
  on(r: AttemptResult): AttemptResult {
    if (this.cpuMs !== undefined) r.cpuMs = this.cpuMs;
    if (this.peakRssBytes !== undefined) r.peakRssBytes = this.peakRssBytes;
    return r;
  }
}

/**
 * Runs one attempt of a batch step. Never throws: every failure is an `AttemptResult`.
 * @throws Error only when called for a step without `batch` or without hooks (a runtime bug).
 */
export async function runBatch(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  const spec = req.step.batch;
  const hooks = req.batch;
  if (spec === undefined || hooks === undefined) throw new Error(`step ${req.stepId} is not a batch step`);
  const usage = new Usage();
  // Handlers load once up front, so a missing module fails the step instead of marking every item invalid.
  let validate: StepAction | undefined;
  let consolidate: StepAction | undefined;
  try {
    validate = await preload(spec.validate, req.baseDir);
    consolidate = await preload(spec.consolidate, req.baseDir);
  } catch (e) {
    return fail('HandlerLoadError', errorMessage(e));
  }

  let groups = await hooks.loadGroups();
  if (groups.length === 0) {
    const items = await resolveItems(hooks.items, req.baseDir);
    if (!Array.isArray(items)) return fail('batch-no-items', items.error);
    let valid = items;
    const invalid: InvalidItem[] = [];
    if (validate) {
      const verdicts = await validateAll(req, validate, hooks.validateInputs, items, spec.concurrency, usage);
      if (req.signal.aborted) return usage.on(fail('cancelled', 'cancelled'));
      valid = items.filter((_, i) => verdicts[i] === undefined);
      verdicts.forEach((reason, i) => reason !== undefined && invalid.push({ item: items[i]!, reason }));
      if (invalid.length && spec.onInvalid === 'fail') return usage.on({ ok: false, failure: invalidFailure(invalid, items.length) });
      if (invalid.length) req.log.line('warn', `[batch] ${invalid.length} of ${items.length} items are invalid and skipped`);
    }
    groups = planGroups(valid, spec.groupSize, hooks.clock());
    if (invalid.length) groups.unshift(invalidGroup(invalid, hooks.clock()));
    if (groups.length) await hooks.saveGroups(groups);
  } else {
    req.log.line('info', `[batch] resuming: ${groups.filter((g) => g.state === 'pending').length} of ${groups.filter((g) => g.index >= 0).length} groups left`);
  }
  hooks.progress(progressOf(groups));

  const stopped = await runGroups(req, limits, hooks, groups, usage);
  if (req.signal.aborted) return usage.on(fail('cancelled', 'cancelled'));
  const result = buildResult(groups);
  if (stopped !== undefined) return usage.on(fail('batch-failed', `${stopped}\n${failedList(result, spec.failurePolicy === 'fail-fast')}`, summary(result)));
  if (result.counts.failed > 0) req.log.line('warn', `[batch] ${result.counts.failed} of ${result.counts.total} items failed, within maxFailures`);
  if (!consolidate) {
    const out = toOutput(result, limits.maxOutputBytes);
    if (!out.ok) out.failure.message = `the consolidated result is too large for a step output (${out.failure.message}); add a consolidate handler or command that writes it to a file`;
    return usage.on(out);
  }
  const r = await runConsolidate(req, limits, consolidate, hooks.consolidateInputs, result);
  usage.add(r);
  return usage.on(r);
}

async function preload(action: StepAction | undefined, baseDir: string): Promise<StepAction | undefined> {
  if (action?.kind !== 'uses' || typeof action.handler !== 'string') return action;
  return { ...action, handler: await loadHandler(action.handler, baseDir) };
}

/** A request that runs `action` instead of the step's own, with its own log, inputs and output file. */
function subRequest(req: AttemptRequest, action: StepAction, tag: string, over: Partial<AttemptRequest>): AttemptRequest {
  const step: StepSpec = { ...req.step, action };
  delete step.batch;
  const sub: AttemptRequest = {
    ...req, step, attemptId: `${req.attemptId}.${tag}`, log: new PrefixedLog(req.log, `[${tag}] `),
    outputPath: join(dirname(req.outputPath), `${req.attemptId}.${tag}.json`), ...over,
  };
  delete sub.batch;
  return sub;
}

const runAction = (r: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> =>
  r.step.action.kind === 'run' ? runShell(r, limits) : runHandler(r, limits);

/** Validates every item, `concurrency` at once; returns a reason per invalid item (undefined = valid). */
async function validateAll(
  req: AttemptRequest, action: StepAction, inputs: JsonObject, items: JsonValue[], concurrency: number, usage: Usage,
): Promise<(string | undefined)[]> {
  const reasons: (string | undefined)[] = [];
  await inParallel(items.length, concurrency, () => req.signal.aborted, async (i) => {
    const item = items[i]!;
    const sub = subRequest(req, action, `validate.${i}`, {
      inputs: { ...inputs, item }, env: { ...req.env, BATON_ITEM: itemText(item) },
    });
    const r = await runAction(sub, { graceMs: 1000, maxOutputBytes: 64 * 1024 });
    rmSync(sub.outputPath, { force: true });
    usage.add(r);
    if (r.ok) {
      const v = action.kind === 'uses' ? verdict(r.output) : ({ valid: true } as const);
      reasons[i] = v.valid ? undefined : v.reason;
    } else if (action.kind === 'run' && r.failure.type === 'exit-code') {
      reasons[i] = (sub.log as PrefixedLog).lastLine() || r.failure.message;
    } else {
      reasons[i] = r.failure.message;
    }
  });
  return reasons;
}

/**
 * Runs the pending groups, `concurrency` at once, each with its retries, saving each as it
 * ends. Returns why the batch stopped early (fail-fast, or `maxFailures` exceeded), if so.
 */
async function runGroups(req: AttemptRequest, limits: ExecutorLimits, hooks: BatchHooks, groups: BatchGroupRecord[], usage: Usage): Promise<string | undefined> {
  const spec = req.step.batch!;
  const pending = groups.filter((g) => g.state === 'pending').sort((a, b) => a.index - b.index);
  const processable = groups.filter((g) => g.index >= 0).reduce((n, g) => n + g.items.length, 0);
  const limit = spec.failurePolicy === 'continue' ? failureLimit(spec, processable) : 0;
  let stopped: string | undefined;
  const check = (): void => {
    const failed = progressOf(groups).failed;
    if (stopped !== undefined || failed === 0) return;
    if (spec.failurePolicy === 'fail-fast') {
      const first = groups.find((g) => g.state === 'failed');
      stopped = `group ${first?.index ?? '?'} failed after ${first?.attempts ?? '?'} tries, so no further group started (fail-fast): ${first?.error?.message ?? ''}`;
    } else if (failed > limit) {
      stopped = `${failed} of ${processable} items failed, more than maxFailures ${describeLimit(spec.maxFailures)} allows`;
    }
  };
  check(); // groups that failed before a resume count
  await inParallel(pending.length, spec.concurrency, () => stopped !== undefined || req.signal.aborted, async (k) => {
    const g = pending[k]!;
    const end = await runGroup(req, limits, hooks, g, usage);
    if (end === undefined) return; // interrupted: stays pending
    Object.assign(g, end);
    check();
    // Counted before the save yields, so concurrent groups report one step each.
    const progress = progressOf(groups);
    await hooks.saveGroups([g]);
    hooks.progress(progress);
  });
  if (stopped === undefined) check();
  return stopped;
}

function describeLimit(m: { count: number } | { percent: number } | undefined): string {
  if (m === undefined) return '';
  return 'count' in m ? `${m.count}` : `${m.percent}%`;
}

/** Tries one group until it succeeds or its retries run out; undefined when the attempt was aborted. */
async function runGroup(
  req: AttemptRequest, limits: ExecutorLimits, hooks: BatchHooks, g: BatchGroupRecord, usage: Usage,
): Promise<Pick<BatchGroupRecord, 'state' | 'attempts' | 'outputs' | 'error' | 'updatedAt'> | undefined> {
  const policy = req.step.retry;
  const tries = Math.max(1, policy.attempts);
  const itemsFile = join(dirname(req.outputPath), `${req.attemptId}.g${g.index}.items`);
  const strings = g.items.map((item) => itemText(item).replace(/\n/g, ' '));
  if (req.step.action.kind === 'run') writeFileSync(itemsFile, strings.length ? strings.join('\n') + '\n' : '');
  try {
    for (let t = 1; ; t++) {
      req.log.line('info', `[batch] group ${g.index} try ${t}/${tries}: ${g.items.length} items`);
      const sub = subRequest(req, req.step.action, `g${g.index}.${t}`, {
        attempt: t,
        inputs: { ...(isObject(req.inputs) ? req.inputs : {}), items: g.items, group: g.index },
        env: { ...req.env, BATON_ITEMS: JSON.stringify(g.items), BATON_ITEMS_FILE: itemsFile, BATON_GROUP: String(g.index) },
      });
      const r = await runAction(sub, limits);
      usage.add(r);
      if (req.signal.aborted) return undefined;
      let failure: Failure;
      if (r.ok) {
        const outputs = groupOutputs(g.items, r.output, req.masker);
        if (Array.isArray(outputs)) return { state: 'succeeded', attempts: t, outputs, updatedAt: hooks.clock() };
        failure = { type: 'output-invalid', message: outputs, retryable: false };
      } else {
        failure = r.failure;
      }
      req.log.line('warn', `[batch] group ${g.index} try ${t} failed: ${failure.message}`);
      if (!failure.retryable || t >= tries) return { state: 'failed', attempts: t, error: failure, updatedAt: hooks.clock() };
      await sleep(backoffDelay(policy, t, hooks.random()), req.signal);
      if (req.signal.aborted) return undefined;
    }
  } finally {
    rmSync(itemsFile, { force: true });
  }
}

async function runConsolidate(req: AttemptRequest, limits: ExecutorLimits, action: StepAction, inputs: JsonObject, result: BatchResult): Promise<AttemptResult> {
  const resultFile = join(dirname(req.outputPath), `${req.attemptId}.result.json`);
  if (action.kind === 'run') writeFileSync(resultFile, JSON.stringify(result));
  try {
    const sub = subRequest(req, action, 'consolidate', {
      inputs: { ...inputs, result: result as unknown as JsonValue }, env: { ...req.env, BATON_RESULT_FILE: resultFile },
    });
    const r = await runAction(sub, limits);
    if (!r.ok) r.failure.message = `consolidate failed: ${r.failure.message}`;
    return r;
  } finally {
    rmSync(resultFile, { force: true });
  }
}

function failedList(result: BatchResult, counts: boolean): string {
  const { failed, total, skipped } = result.counts;
  const head = counts ? `${failed} of ${total} items failed, ${skipped} skipped. ` : skipped ? `${skipped} items skipped. ` : '';
  return `${head}Failed items:\n${listItems(result.failures.map((f) => `${itemText(f.item)}: ${f.error.split('\n')[0]}`))}`;
}

function summary(result: BatchResult): JsonValue {
  return { counts: result.counts, failures: result.failures.slice(0, 1000) };
}

function isObject(v: JsonValue): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Runs `fn(0..n-1)` with at most `limit` at once; stops starting new ones once `stop()` is true. */
async function inParallel(n: number, limit: number, stop: () => boolean, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n && !stop()) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, lane));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    // A group's backoff is user text: no 2^31 ms limit.
    const cancel = setLongTimeout(ms, done);
    signal.addEventListener('abort', done, { once: true });
  });
}
