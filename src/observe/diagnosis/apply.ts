/**
 * @module observe/diagnosis/apply
 * What a recovery command means to baton, and applying one (`baton explain --apply N`,
 * `POST /runs/{id}/diagnosis/apply`). A command is understood only when it is one baton
 * itself proposes: `baton retry RUN --failed`, `baton retry RUN --from STEP` (a step of the
 * run), either followed by `--on TAGS`, and `baton run FILE [--param k=v]…`. The same check screens the recoveries a language
 * model proposes (../assistant/narrative.ts).
 */
import type { RerunResult, RerunSelection } from '../../runtime/index.js';
import { rerunRun } from '../../runtime/index.js';
import { parseMapItemId } from '../../core/index.js';
import { BatonError } from '../../shared/index.js';
import type { Store } from '../../store/index.js';
import type { Diagnosis, Recovery, StepDiagnosis } from './recover.js';

/** A recovery command parsed: a re-run within the run, or a new run of a file with params. */
export type RecoveryAction =
  | { kind: 'rerun'; selection: RerunSelection }
  | { kind: 'run'; file: string; params: string[] };

/** Why {@link recoveryAction} refused a command. */
export interface RecoveryRefusal {
  refused: string;
}

/**
 * Parses a recovery command against what baton can do for this run: `runId` is the run's full
 * id (a unique prefix of at least 8 characters is accepted, as the CLI accepts), `stepIds` its
 * steps (absent: not checked here; {@link rerunRun} checks them when applied). Shell quoting of `--param` values is undone for single quotes only (what
 * {@link paramArg} writes).
 * @returns the action, or why it is not one baton has (unknown command, other run, unknown step).
 */
export function recoveryAction(command: string, runId: string, stepIds?: readonly string[]): RecoveryAction | RecoveryRefusal {
  const words = splitWords(command.trim());
  if (!words) return { refused: 'unbalanced quotes' };
  if (words[0] !== 'baton') return { refused: `not a baton command: ${words[0] ?? '(empty)'}` };
  const [, verb, target, ...rest] = words;
  if (verb === 'retry') {
    if (target === undefined || !(target === runId || (target.length >= 8 && runId.startsWith(target)))) return { refused: `names another run (${target ?? 'none'}), not ${runId}` };
    // `--on TAGS` last, as rankRecoveries writes it.
    let on: string[] | undefined;
    let args = rest;
    if (args.length >= 2 && args.at(-2) === '--on') {
      on = [...new Set(args.at(-1)!.split(',').map((t) => t.trim()).filter(Boolean))];
      if (!on.length || on.some((t) => /\s/.test(t))) return { refused: `--on takes worker tags, not '${args.at(-1)!}'` };
      args = args.slice(0, -2);
    }
    const withOn = on ? { on } : {};
    if (args.length === 1 && args[0] === '--failed') return { kind: 'rerun', selection: { failed: true, ...withOn } };
    if (args.length === 2 && args[0] === '--from') {
      const step = args[1]!;
      const item = parseMapItemId(step);
      if (item) return { refused: `'${step}' is an item of the mapped step '${item.stepId}': re-run it with --from ${item.stepId} or --failed` };
      return !stepIds || stepIds.includes(step) ? { kind: 'rerun', selection: { from: step, ...withOn } } : { refused: `run ${runId} has no step '${step}'` };
    }
    return { refused: `baton retry takes --failed or --from STEP (then --on TAGS) here, not '${rest.join(' ')}'` };
  }
  if (verb === 'run') {
    if (target === undefined || target.startsWith('-')) return { refused: 'baton run needs a workflow file' };
    const params: string[] = [];
    for (let i = 0; i < rest.length; i += 2) {
      if (rest[i] !== '--param' || rest[i + 1] === undefined || !rest[i + 1]!.includes('=')) return { refused: `baton run takes only --param k=v here, not '${rest.slice(i).join(' ')}'` };
      params.push(rest[i + 1]!);
    }
    return { kind: 'run', file: target, params };
  }
  return { refused: `baton has no recovery command '${verb ?? ''}'` };
}

/** Words of a POSIX-like command line: blanks split, single quotes group (with `'\''` inside). Undefined when a quote is left open. */
function splitWords(s: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += s.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '\\' && s[i + 1] === "'") {
      cur += "'";
      i++;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** Why a recovery could not be applied. Code `recovery-not-applicable`; an HTTP API answers 400 or 404 by `problem`. */
export class RecoveryApplyError extends BatonError {
  constructor(
    readonly runId: string,
    /** `no-step` (nothing diagnosed), `which-step` (several diagnosed, none named), `no-recovery` (no such rank), `not-rerun` (a new run, applied by hand). */
    readonly problem: 'no-step' | 'which-step' | 'no-recovery' | 'not-rerun',
    message: string,
  ) {
    super('recovery-not-applicable', message);
  }
}

/** The recovery picked by {@link pickRecovery}: its step, rank (from 1) and re-run selection. */
export interface PickedRecovery {
  step: StepDiagnosis;
  rank: number;
  recovery: Recovery;
  selection: RerunSelection;
}

/**
 * The `rank`-th recovery (from 1, as `baton explain` numbers them) of the diagnosed step
 * `stepId`, or of the only diagnosed step when `stepId` is absent.
 * @throws RecoveryApplyError when no step or several steps are diagnosed (and none named),
 *   the rank is out of range, or the recovery is a new run (`baton run FILE`: run it by hand,
 *   from the file as it is now).
 */
export function pickRecovery(d: Diagnosis, rank: number, stepId?: string): PickedRecovery {
  const step = stepId !== undefined ? d.steps.find((s) => s.stepId === stepId) : d.steps.length === 1 ? d.steps[0] : undefined;
  if (!step) {
    if (!d.steps.length || stepId !== undefined) throw new RecoveryApplyError(d.runId, 'no-step', `run ${d.runId} has no diagnosed step${stepId !== undefined ? ` '${stepId}'` : ''} to recover`);
    throw new RecoveryApplyError(d.runId, 'which-step', `run ${d.runId} has ${d.steps.length} failed steps (${d.steps.map((s) => s.stepId).join(', ')}): name the one whose recovery to apply`);
  }
  const recovery = step.recoveries[rank - 1];
  if (!Number.isInteger(rank) || !recovery) throw new RecoveryApplyError(d.runId, 'no-recovery', `step '${step.stepId}' has ${step.recoveries.length} recoveries: ${rank} is not one of them`);
  const action = recoveryAction(recovery.command, d.runId);
  if ('refused' in action || action.kind !== 'rerun') {
    throw new RecoveryApplyError(d.runId, 'not-rerun', `recovery ${rank} (${recovery.command}) starts a new run from the workflow file as it is now: run it yourself`);
  }
  return { step, rank, recovery, selection: action.selection };
}

/**
 * Applies a picked recovery through the same library call as `baton retry` ({@link rerunRun}),
 * recording in the run's `rerun` event who approved it (`by`) and which recovery it was
 * (`recovery: { stepId, rank, command }`).
 * @throws whatever {@link rerunRun} throws (RunStateError for a running run, RerunSelectionError…).
 */
export function applyRecovery(store: Store, runId: string, picked: PickedRecovery, now: number, by: string): Promise<RerunResult> {
  return rerunRun(store, runId, picked.selection, now, { by, recovery: { stepId: picked.step.stepId, rank: picked.rank, command: picked.recovery.command } });
}
