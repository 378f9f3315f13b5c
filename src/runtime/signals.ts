/**
 * @module runtime/signals
 * Waiting steps: `wait: { signal }` ends with the signal its run receives, `approval:` with a
 * person's answer. The answer lands on the step run in the store (`Store.signalSteps`, from
 * the API or the CLI, on any node), so the engine holding the run only reads it: a step that
 * waits polls its step run, and an engine that restarts finds an answer that came meanwhile.
 *
 * A waiting step's `timeout` counts from when its step run started (not from the attempt),
 * so a restart does not give it a fresh timeout; neither a rejection nor a timeout is retried.
 */
import { failures } from '../core/index.js';
import type { AttemptResult, HeldStepHooks } from '../executors/index.js';
import type { JsonObject } from '../shared/index.js';
import { BatonError, errorMessage } from '../shared/index.js';
import type { StepSpec, WorkflowSpec } from '../workflow/index.js';
import type { ApprovalAnswer, RunRecord, StepSignal, Store } from '../store/index.js';
import { ROLES } from '../store/index.js';
import type { Role } from '../store/index.js';
import type { Clock } from './clock.js';
import { isRunDone } from '../core/index.js';

/** How often a waiting step reads its step run for an answer, ms (on the engine's clock). */
export const SIGNAL_POLL_MS = 1_000;

/** The longest approval note kept, in characters. */
export const MAX_APPROVAL_NOTE = 2_000;

/** What a waiting step needs of the engine that holds its run. */
export interface WaitHost {
  store: Store;
  clock: Clock;
}

/** The hooks for one attempt of a `wait:` or `approval:` step. */
export function waitHooks(host: WaitHost, runId: string, step: StepSpec): HeldStepHooks {
  return { run: (signal, note) => waitForAnswer(host, runId, step, signal, note) };
}

/**
 * What a waiting step waits for and how a person gives it, for logs, `baton run` and `baton
 * show`: `{ what: 'signal "deploy-done"', how: 'baton signal RUN deploy-done --data JSON' }`;
 * undefined for a step that does not wait.
 */
export function waitingFor(runId: string, step: StepSpec): { what: string; how: string; message?: string } | undefined {
  const a = step.action;
  if (a.kind === 'wait') return { what: `signal "${a.signal}"`, how: `baton signal ${runId} ${a.signal} --data JSON` };
  if (a.kind !== 'approval') return undefined;
  return {
    what: a.role === 'admin' ? 'approval (by an admin)' : 'approval',
    how: `baton approve ${runId} ${step.id}  |  baton reject ${runId} ${step.id}`,
    ...(a.message !== undefined ? { message: a.message } : {}),
  };
}

async function waitForAnswer(host: WaitHost, runId: string, step: StepSpec, abort: AbortSignal, note: (line: string) => void): Promise<AttemptResult> {
  const action = step.action;
  if (action.kind !== 'wait' && action.kind !== 'approval') return { ok: false, failure: failures.internal(new Error(`step ${step.id} is not a waiting step`)) };
  const { what, how, message } = waitingFor(runId, step)!;
  const api = action.kind === 'wait' ? `POST /api/v1/runs/${runId}/signals/${action.signal}` : `POST /api/v1/runs/${runId}/steps/${step.id}/approval`;
  note(`waiting for ${what}: ${how}  (or ${api})${message ? `\n  ${message}` : ''}`);
  let deadline: number | undefined;
  for (let failedReads = 0; ;) {
    if (abort.aborted) return { ok: false, failure: failures.cancelled(`stopped waiting for ${what}`) };
    let row;
    try {
      row = await host.store.getStepRun(runId, step.id);
      failedReads = 0;
    } catch (e) {
      // The store is away for a moment: the answer is durable there, so reading again is safe.
      if (++failedReads === 1) note(`could not read the answer (${errorMessage(e)}); trying again`);
    }
    const now = host.clock.now();
    if (deadline === undefined && action.timeoutMs !== undefined && (row !== undefined || failedReads > 0)) deadline = (row?.startedAt ?? now) + action.timeoutMs;
    if (row?.signal !== undefined) return answered(step, row.signal, note);
    if (deadline !== undefined && now >= deadline) {
      return { ok: false, failure: failures.waitTimeout(`no ${what} within ${formatMs(action.timeoutMs!)}`, { timeoutMs: action.timeoutMs! }) };
    }
    await pause(host.clock, deadline === undefined ? SIGNAL_POLL_MS : Math.max(0, Math.min(SIGNAL_POLL_MS, deadline - now)), abort);
  }
}

/** The step's result from its answer. */
function answered(step: StepSpec, s: StepSignal, note: (line: string) => void): AttemptResult {
  const from = s.by !== undefined ? ` from ${s.by}` : '';
  if (step.action.kind === 'wait') {
    note(`signal "${s.name}" received${from}`);
    return { ok: true, output: s.payload };
  }
  const answer = approvalOf(s);
  const noted = answer.note ? `: ${answer.note}` : '';
  note(`${answer.approved ? 'approved' : 'rejected'}${s.by !== undefined ? ` by ${s.by}` : ''}${noted}`);
  const output: JsonObject = { approved: answer.approved, at: s.at, ...(s.by !== undefined ? { by: s.by } : {}), ...(answer.note ? { note: answer.note } : {}) };
  if (answer.approved) return { ok: true, output };
  return { ok: false, failure: failures.rejected(`rejected${s.by !== undefined ? ` by ${s.by}` : ''}${noted}`, output) };
}

function approvalOf(s: StepSignal): ApprovalAnswer {
  const p = s.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return { approved: false };
  return { approved: p.approved === true, ...(typeof p.note === 'string' ? { note: p.note } : {}) };
}

/** Sleeps `ms` on the clock, or less when `abort` fires. */
function pause(clock: Clock, ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      cancel();
      abort.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.setTimer(ms, done);
    abort.addEventListener('abort', done, { once: true });
  });
}

function formatMs(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms} ms`;
}

/** Why a signal or an answer was not taken: a typed error the CLI and API turn into their own. */
export class SignalError extends BatonError {
  constructor(
    readonly runId: string,
    /**
     * `run-ended`: the run has ended; `no-such-signal`: no step of its workflow waits for that
     * signal; `not-an-approval`: the step is not an approval step; `already-answered`: every
     * step that waits for it has its answer, or has ended; `role`: the caller's role is below
     * the approval's `role`.
     */
    readonly problem: 'run-ended' | 'no-such-signal' | 'not-an-approval' | 'already-answered' | 'role',
    message: string,
  ) {
    super(`signal-${problem}`, message);
  }
}

/**
 * Sends signal `name` to a run: every step of its workflow with `wait: { signal: name }` that
 * has not ended and has no answer takes `payload` as its output, now or when it starts waiting.
 * @returns the ids of the steps that took it
 * @throws SignalError (`run-ended`, `no-such-signal`, `already-answered`)
 */
export async function sendSignal(store: Store, run: RunRecord, spec: WorkflowSpec, name: string, payload: StepSignal['payload'], by: string | undefined, now: number): Promise<string[]> {
  if (isRunDone(run.state)) throw new SignalError(run.id, 'run-ended', `run ${run.id} has ${run.state}: it waits for no signal`);
  const steps = spec.steps.filter((s) => s.action.kind === 'wait' && s.action.signal === name).map((s) => s.id);
  if (steps.length === 0) {
    const names = [...new Set(spec.steps.flatMap((s) => (s.action.kind === 'wait' ? [s.action.signal] : [])))];
    const hint = names.length ? `it waits for ${names.map((n) => `"${n}"`).join(', ')}` : 'it has no wait step';
    throw new SignalError(run.id, 'no-such-signal', `no step of ${run.workflow} waits for signal "${name}": ${hint}`);
  }
  const taken = await store.signalSteps(run.id, steps, { name, payload, ...(by !== undefined ? { by } : {}), at: now });
  if (taken.length === 0) {
    const again = await store.getRun(run.id);
    if (again && isRunDone(again.state)) throw new SignalError(run.id, 'run-ended', `run ${run.id} has ${again.state}: it waits for no signal`);
    throw new SignalError(run.id, 'already-answered', `signal "${name}" was already given to run ${run.id} (the first one counts; 'baton retry ${run.id} --from ${steps[0]!}' waits for a new one)`);
  }
  return taken;
}

/**
 * Answers an approval step: approved (the step succeeds, with `{ approved, by, note, at }` as
 * its output) or rejected (it fails with `rejected`, not retried). `role` is the caller's
 * (undefined for a local CLI, which may do anything the store allows).
 * @throws SignalError (`run-ended`, `not-an-approval`, `already-answered`, `role`)
 */
export async function answerApproval(
  store: Store, run: RunRecord, spec: WorkflowSpec, stepId: string, answer: ApprovalAnswer, by: string | undefined, now: number, role?: Role,
): Promise<void> {
  if (isRunDone(run.state)) throw new SignalError(run.id, 'run-ended', `run ${run.id} has ${run.state}: it waits for no approval`);
  const step = spec.steps.find((s) => s.id === stepId);
  if (step?.action.kind !== 'approval') {
    const approvals = spec.steps.filter((s) => s.action.kind === 'approval').map((s) => s.id);
    const hint = approvals.length ? `its approval steps: ${approvals.join(', ')}` : 'it has no approval step';
    throw new SignalError(run.id, 'not-an-approval', `${step ? `step ${stepId} of ${run.workflow} is not an approval step` : `${run.workflow} has no step ${stepId}`}: ${hint}`);
  }
  if (role !== undefined && ROLES.indexOf(role) < ROLES.indexOf(step.action.role)) {
    throw new SignalError(run.id, 'role', `step ${stepId} needs the ${step.action.role} role to answer it; this token has ${role}`);
  }
  const payload: JsonObject = { approved: answer.approved, ...(answer.note ? { note: answer.note.slice(0, MAX_APPROVAL_NOTE) } : {}) };
  const taken = await store.signalSteps(run.id, [stepId], { name: 'approval', payload, ...(by !== undefined ? { by } : {}), at: now });
  if (taken.length === 0) {
    const row = await store.getStepRun(run.id, stepId);
    const prior = row?.signal ? ` by ${row.signal.by ?? 'someone'}` : '';
    throw new SignalError(run.id, 'already-answered', `step ${stepId} of run ${run.id} was already answered${prior}${row && !row.signal ? ` (it has ${row.state})` : ''}`);
  }
}
