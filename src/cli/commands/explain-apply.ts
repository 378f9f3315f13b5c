/**
 * @module cli/commands/explain-apply
 * `baton explain RUN [STEP] --apply N`: the N-th recovery of the diagnosis, applied after a
 * confirmation through the same re-run as `baton retry` (locally `rerunRun`, with `--server`
 * `POST /runs/{id}/diagnosis/apply`), recorded with who approved it.
 */
import type { RecoveryApplyError as RecoveryApplyErrorType } from '../../observe/index.js';
import { confirm } from '../assistant.js';
import { connect } from '../client.js';
import type { ApiClient } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, cliActor, openCliProcess } from '../context.js';
import { followRemoteRun, progressMode } from '../follow.js';
import { dim } from '../format.js';
import { executeRerun } from './retry.js';

/** Options `--apply` reads. */
export interface ApplyOptions {
  yes?: boolean;
  detach?: boolean;
  json?: boolean;
}

/**
 * Applies recovery `rank` of the run's diagnosis (of `step`, or of the only failed step),
 * asking first, then follows the re-run here like `baton retry` (or leaves it with `--detach`).
 * @returns the exit code: that of the re-run, 0 when declined or detached.
 * @throws CliError when the recovery cannot be applied or stdin is not a terminal without `--yes`.
 */
export async function applyFromCli(g: GlobalOptions, id: string, step: string | undefined, rank: number, o: ApplyOptions): Promise<number> {
  const api = connect(g);
  if (api) return applyRemote(api, id, step, rank, o);
  const { applyRecovery, diagnoseRun, pickRecovery, RecoveryApplyError } = await import('../../observe/index.js');
  // With PostgreSQL the re-run goes to the fleet's workers, as `baton retry` sends it (and `--on` needs them).
  const proc = await openCliProcess(g, 'embedded');
  try {
    const workers = proc.fleet ? await proc.fleet.listWorkers() : undefined;
    const d = await diagnoseRun(proc.store, id, { now: Date.now(), ...(step !== undefined ? { stepId: step } : {}), ...(workers ? { workers } : {}) });
    let picked;
    try {
      picked = pickRecovery(d, rank, step);
    } catch (e) {
      throw asCliError(e, RecoveryApplyError);
    }
    if (picked.selection.on && !proc.fleet) throw new CliError(`recovery ${rank} (${picked.recovery.command}) names worker tags, which only a fleet (PostgreSQL) honours`);
    const by = cliActor();
    if (!(await ask(d.runId, picked.step.stepId, rank, picked.recovery.command, picked.recovery.reason, by, o.yes))) return EXIT.ok;
    const r = await applyRecovery(proc.store, d.runId, picked, Date.now(), by);
    process.stderr.write(`run ${r.run.id}: applied recovery ${rank} of step ${picked.step.stepId}, approved by ${by}: re-running ${r.steps.join(', ')}${r.reopened.length ? `; reopened ${r.reopened.join(', ')}` : ''}\n`);
    if (r.run.state !== 'queued') {
      process.stderr.write(`run ${r.run.id} is ${r.run.state}; baton server starts it when due\n`);
      return EXIT.ok;
    }
    return await executeRerun(proc, r.run.id, r.run.workflow, o);
  } finally {
    await proc.close();
  }
}

/** With `--server`: the diagnosis and the re-run through the API; approved as the token's user. */
async function applyRemote(api: ApiClient, id: string, step: string | undefined, rank: number, o: ApplyOptions): Promise<number> {
  const d = await api.getDiagnosis(id, step);
  const s = step !== undefined ? d.steps.find((x) => x.stepId === step) : d.steps.length === 1 ? d.steps[0] : undefined;
  if (!s) throw new CliError(d.steps.length > 1 ? `run ${d.runId} has ${d.steps.length} failed steps (${d.steps.map((x) => x.stepId).join(', ')}): name the one whose recovery to apply` : `run ${d.runId} has no diagnosed step to recover`);
  const r = s.recoveries[rank - 1];
  if (!r) throw new CliError(`step '${s.stepId}' has ${s.recoveries.length} recoveries: ${rank} is not one of them`);
  if (!(await ask(d.runId, s.stepId, rank, r.command, r.reason, 'the API token\'s user', o.yes))) return EXIT.ok;
  // Subscribed first: the server starts the re-run as soon as it is recorded.
  const sub = o.detach ? undefined : await api.subscribe({ run: d.runId });
  try {
    const done = await api.applyRecovery(d.runId, { recovery: rank, step: s.stepId });
    process.stderr.write(`run ${done.run.id}: applied recovery ${rank} of step ${s.stepId}: re-running ${done.steps.join(', ')}\n`);
    if (!sub || (done.run.state !== 'queued' && done.run.state !== 'running')) {
      process.stdout.write(`${done.run.id}\n`);
      return EXIT.ok;
    }
    return await followRemoteRun(api, sub, done.run.id, progressMode(o));
  } finally {
    sub?.close();
  }
}

async function ask(runId: string, stepId: string, rank: number, command: string, reason: string, by: string, yes: boolean | undefined): Promise<boolean> {
  process.stderr.write(`recovery ${rank} of step ${stepId} (run ${runId}):\n  ${command}\n  ${dim(reason)}\n`);
  const ok = await confirm(`Apply it now, approved by ${by}?`, yes);
  if (!ok) process.stderr.write('not applied\n');
  return ok;
}

function asCliError(e: unknown, cls: new (...a: never[]) => RecoveryApplyErrorType): unknown {
  return e instanceof cls ? new CliError(e.message) : e;
}
