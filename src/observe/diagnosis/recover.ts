/**
 * @module observe/diagnosis/recover
 * The shapes of a diagnosis, and the pure parts that compare a failed run with history and
 * rank the commands that may recover it. No I/O: ./read.ts gathers the records.
 */
import type { JsonObject, JsonValue } from '../../shared/index.js';
import type { Classification, DiagnosisClass, Evidence } from './classify.js';

/** One param that differs between two runs; absent `from`/`to`: the key is absent on that side. */
export interface ParamChange {
  key: string;
  from?: JsonValue;
  to?: JsonValue;
}

/** What differs between the failed run and the last successful run of its workflow. */
export interface Changes {
  /** The last run of the workflow that succeeded before this one; absent when none did. */
  baseline?: { runId: string; version: string; endedAt?: number };
  /** Present when the versions differ: the baseline's and this run's, and the steps whose definitions differ (by id). */
  version?: { from: string; to: string; steps?: string[] };
  /** Key-level differences of params (baseline → this run); empty when equal or without a baseline. */
  params: ParamChange[];
  /** The worker that ran the failed attempt and the one that ran the step in the baseline (absent: in-process). */
  worker?: { failed?: string; baseline?: string };
  /** The failed attempt's duration against the step's: in the baseline, and p95 of its successes over 30 days; ms. */
  duration: { attemptMs?: number; baselineMs?: number; p95Ms?: number; successes?: number };
  /**
   * The failed attempt's peak resident memory against the baseline attempt's and the p95 of
   * the step's successful attempts in the workflow's last {@link MEMORY_HISTORY_RUNS}
   * successful runs over 30 days (`successes`: attempts with a peak recorded), bytes.
   */
  peakRss: { attemptBytes?: number; baselineBytes?: number; p95Bytes?: number; successes?: number };
}

/** Successful runs of the workflow whose attempts of the step are read for its memory history. */
export const MEMORY_HISTORY_RUNS = 50;

/** The p95 (nearest rank) of some numbers; undefined for none. */
export function p95(values: readonly number[]): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)];
}

/** How an earlier failure of the same signature ended. */
export type FailureEnd = 'retry' | 'new-version' | 'param-change' | 'nothing-yet';

/** An earlier failed attempt of the same workflow and step with the same signature. */
export interface SimilarFailure {
  runId: string;
  /** For an item of a mapped step: the item that failed (`forecast[3]`), any item of the same mapped step. */
  stepId?: string;
  /** The attempt's number, from 1. */
  attempt: number;
  /** When it ended (else started), ms since the epoch. */
  at: number;
  /** Its run's version. */
  version: string;
  endedBy: FailureEnd;
  /** What ended it: the succeeding attempt's run and number, and for a param change the params that differed. */
  fix?: { runId: string; attempt?: number; version?: string; params?: ParamChange[] };
}

/** Earlier failures like this one (see `diagnoseRun` for the window and bounds). */
export interface SimilarFailures {
  /** The failure's signature: class and normalised text. */
  signature: string;
  /** Failed attempts of the step read (at most 200). */
  scanned: number;
  /** True when the bound stopped the scan before the window's start. */
  truncated: boolean;
  /** Matching ones, newest first, at most 20. */
  items: SimilarFailure[];
}

/** A command to run by hand, with why; `evidence` are ids of the step's evidence (`e1`…) or of similar failures (`s1`…). */
export interface Recovery {
  command: string;
  reason: string;
  evidence: string[];
}

/** The diagnosis of one failed step run: its latest failed attempt. */
export interface StepDiagnosis {
  stepId: string;
  /** The attempt diagnosed: the step run's latest failed one. */
  attempt: number;
  attemptId: string;
  class: DiagnosisClass;
  summary: string;
  evidence: Evidence[];
  changes: Changes;
  similar: SimilarFailures;
  /** Best first. None is applied. */
  recoveries: Recovery[];
}

/** What `baton explain` and `GET /runs/{id}/diagnosis` answer. */
export interface Diagnosis {
  runId: string;
  workflow: string;
  version: string;
  state: string;
  /** One per failed step (or the one asked for), in definition order. */
  steps: StepDiagnosis[];
}

/** Key-level differences of two param objects (`from` → `to`), by key order of the union. */
export function diffParams(from: JsonObject, to: JsonObject): ParamChange[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  const out: ParamChange[] = [];
  for (const key of keys) {
    const a = from[key];
    const b = to[key];
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    out.push({ key, ...(a !== undefined ? { from: a } : {}), ...(b !== undefined ? { to: b } : {}) });
  }
  return out;
}

/** Ids of steps whose definitions differ between two versions (added and removed ones too), definition order. */
export function diffSteps(from: readonly { id: string }[], to: readonly { id: string }[]): string[] {
  const a = new Map(from.map((s) => [s.id, JSON.stringify(s)]));
  const b = new Map(to.map((s) => [s.id, JSON.stringify(s)]));
  const ids = [...new Set([...b.keys(), ...a.keys()])];
  return ids.filter((id) => a.get(id) !== b.get(id));
}

/** A param as `baton run --param` takes it: strings as they are, other values as JSON; quoted for a POSIX shell when needed. */
export function paramArg(key: string, value: JsonValue): string {
  const text = `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** What {@link rankRecoveries} needs to know. */
export interface RecoveryInput {
  runId: string;
  stepId: string;
  classification: Pick<Classification, 'class' | 'evidence'>;
  changes: Changes;
  similar: SimilarFailures;
  /** The workflow's file, for `baton run FILE --param`; absent: `WORKFLOW_FILE`. */
  sourcePath?: string;
  /** The step's upstream steps an `output-missing` names. */
  upstream?: string[];
  /** The step's `runs-on` tags, if it has any. */
  runsOn?: string[];
  /** For an item of a mapped step (`stepId` `forecast[3]`): the mapped step (`forecast`), which is what a re-run names. */
  mappedStep?: string;
  /** The fleet's workers (any state), for a re-run `--on` a tag a live one has; absent without a fleet. */
  workers?: readonly WorkerTags[];
  /** Tags that name a tool, by tag (`ansible` → `ansible-playbook`): the workers' detected tools. */
  toolTags?: Readonly<Record<string, string>>;
  /** The evidence texts, where a missing command's name is read from. */
  evidenceTexts?: readonly string[];
}

/** Whether a `memory` failure is the step's own limit (baton's `memory-limit` failure), which no other worker lifts. */
function ownMemoryLimit(i: RecoveryInput): boolean {
  return i.classification.class === 'memory' && i.classification.evidence.some((e) => e.kind === 'failure' && e.text.startsWith('memory-limit:'));
}

/** A fleet worker as a recovery reads it. */
export interface WorkerTags {
  id: string;
  /** Its `process.platform`, which counts as a tag. */
  platform: string;
  tags: readonly string[];
  /** Heartbeating and taking work (`active`). */
  live: boolean;
  /** Its machine's total memory, bytes, when it reported it. */
  memoryBytes?: number;
}

/**
 * The command a "not found" line or spawn failure names: `spawn docker ENOENT`, `sh: 1: docker:
 * not found`, `bash: docker: command not found`, `docker: command not found`. Its last path
 * segment, or undefined.
 */
export function missingCommand(texts: readonly string[]): string | undefined {
  const patterns = [/\bspawn (\S+) ENOENT\b/, /^(?:\S+: (?:line )?\d+: )?(\S+): (?:command )?not found$/, /^(?:\S+: )?(\S+): command not found/];
  for (const t of texts) {
    for (const re of patterns) {
      const m = re.exec(t.trim());
      if (m?.[1]) return m[1].replace(/^['"]|['"]$/g, '').split('/').pop() || undefined;
    }
  }
  return undefined;
}

/**
 * A tag to re-run the step on, when the failure is tied to the worker it ran on and a live
 * worker other than that one has a tag it lacks that answers the failure: for
 * `command-not-found` the missing tool's tag; for `memory` a tag of a live worker with more
 * memory (the biggest first); for `permission-denied` a tag of the worker of the baseline
 * (the last successful run). The candidate must fit the step's `runs-on` already.
 */
export function workerTagFor(i: RecoveryInput): { tag: string; worker: string; why: string } | undefined {
  const ws = i.workers ?? [];
  const failedId = i.changes.worker?.failed;
  const failed = ws.find((w) => w.id === failedId);
  if (!failed) return undefined;
  const has = (w: WorkerTags, t: string): boolean => w.platform === t || w.tags.includes(t);
  const fits = (w: WorkerTags): boolean => w.live && w.id !== failed.id && (i.runsOn ?? []).every((t) => has(w, t));
  const own = (w: WorkerTags): string[] => w.tags.filter((t) => !has(failed, t));
  const cls = i.classification.class;
  if (cls === 'command-not-found') {
    const cmd = missingCommand(i.evidenceTexts ?? []);
    if (cmd === undefined) return undefined;
    const tag = Object.entries(i.toolTags ?? {}).find(([, exe]) => exe === cmd)?.[0] ?? cmd;
    const w = has(failed, tag) ? undefined : ws.find((x) => fits(x) && has(x, tag));
    return w ? { tag, worker: w.id, why: `'${cmd}' is missing on worker ${failed.id}; worker ${w.id} has the tag ${tag}` } : undefined;
  }
  // The step's own `memory` limit is the same on every worker.
  if (cls === 'memory' && !ownMemoryLimit(i)) {
    const bigger = ws.filter((w) => fits(w) && (w.memoryBytes ?? 0) > (failed.memoryBytes ?? Infinity) && own(w).length)
      .sort((a, b) => (b.memoryBytes ?? 0) - (a.memoryBytes ?? 0))[0];
    if (!bigger) return undefined;
    const gib = (b: number | undefined): string => `${((b ?? 0) / 2 ** 30).toFixed(1)} GiB`;
    return { tag: own(bigger)[0]!, worker: bigger.id, why: `worker ${failed.id} has ${gib(failed.memoryBytes)}; worker ${bigger.id}, tagged ${own(bigger)[0]!}, has ${gib(bigger.memoryBytes)}` };
  }
  if (cls === 'permission-denied') {
    const base = ws.find((w) => w.id === i.changes.worker?.baseline);
    if (!base || !fits(base) || !own(base).length) return undefined;
    return { tag: own(base)[0]!, worker: base.id, why: `it last succeeded on worker ${base.id}, tagged ${own(base)[0]!}, which worker ${failed.id} is not` };
  }
  return undefined;
}

/**
 * Commands that may recover the step, best first, each once, with a reason citing evidence
 * ids. Only commands baton has: `baton retry RUN --failed`, `baton retry RUN --from STEP`
 * (with `--on TAG` when {@link workerTagFor} finds a live worker with a tag the failing one
 * lacks), and `baton run FILE --param k=v` when an earlier failure of the same signature was ended by
 * a param change. Nothing here runs them.
 */
export function rankRecoveries(i: RecoveryInput): Recovery[] {
  const out: Recovery[] = [];
  const add = (r: Recovery): void => {
    if (!out.some((o) => o.command === r.command)) out.push(r);
  };
  const ev = i.classification.evidence.map((e) => e.id);
  const sims = i.similar.items.map((s, n) => ({ s, id: `s${n + 1}` }));
  const byParams = sims.find(({ s }) => s.endedBy === 'param-change' && s.fix?.params?.length);
  const byRetry = sims.filter(({ s }) => s.endedBy === 'retry');
  const byVersion = sims.find(({ s }) => s.endedBy === 'new-version');
  const retryFailed = `baton retry ${i.runId} --failed`;
  // A re-run names steps of the definition: an item is re-run through its mapped step.
  const retryFrom = `baton retry ${i.runId} --from ${i.mappedStep ?? i.stepId}`;
  const cls = i.classification.class;

  if (byParams) {
    const params = byParams.s.fix!.params!.filter((p) => p.to !== undefined).map((p) => `--param ${paramArg(p.key, p.to!)}`).join(' ');
    add({
      command: `baton run ${i.sourcePath ?? 'WORKFLOW_FILE'} ${params}`.trim(),
      reason: `the same failure in run ${byParams.s.runId} (${byParams.id}) ended when a run with these params succeeded (${byParams.s.fix!.runId})`,
      evidence: [byParams.id, ...ev.slice(0, 1)],
    });
  }
  if (byRetry.length) {
    add({
      command: retryFailed,
      reason: `${byRetry.length} earlier failure${byRetry.length > 1 ? 's' : ''} with the same signature ended when ${byRetry.length > 1 ? 'they were' : 'it was'} tried again (${byRetry.slice(0, 3).map((b) => b.id).join(', ')})`,
      evidence: byRetry.slice(0, 3).map((b) => b.id),
    });
  }
  switch (cls) {
    case 'timeout':
    case 'network':
    case 'lost':
      add({ command: retryFailed, reason: `a ${cls === 'lost' ? 'lost attempt' : cls === 'timeout' ? 'timeout' : 'network failure'} often passes on another try (${ev.join(', ')})`, evidence: ev });
      break;
    case 'output-missing':
      for (const up of i.upstream ?? []) {
        add({ command: `baton retry ${i.runId} --from ${up}`, reason: `step '${up}' produced an output without the field read; re-run it and what follows (${ev.join(', ')})`, evidence: ev });
      }
      break;
    case 'memory':
    case 'command-not-found':
    case 'permission-denied': {
      if (ownMemoryLimit(i)) {
        add({ command: `baton run ${i.sourcePath ?? 'WORKFLOW_FILE'}`, reason: `raise the step's memory setting in the file, then start a new run: a re-run keeps the run's version, and its limit (${ev.join(', ')})`, evidence: ev });
        break;
      }
      const on = workerTagFor(i);
      if (on) add({ command: `${retryFrom} --on ${on.tag}`, reason: `${on.why}: re-run '${i.mappedStep ?? i.stepId}' on a worker with ${on.tag} (${ev.join(', ')})`, evidence: ev });
      const w = i.changes.worker;
      const where = w?.baseline && w.baseline !== w.failed ? `it last succeeded on worker ${w.baseline}; ` : '';
      const tags = i.runsOn?.length ? `its runs-on tags (${i.runsOn.join(', ')}) choose the worker` : 'give the step runs-on tags of a worker that has what it needs';
      add({ command: retryFailed, reason: `${where}retry where the ${cls === 'memory' ? 'memory' : cls === 'permission-denied' ? 'access' : 'command'} is available: ${tags} (${ev.join(', ')})`, evidence: ev });
      break;
    }
    case 'http-status':
      add({ command: retryFrom, reason: `the server refused the request itself; change what it is built from (URL, params, secrets), then re-run '${i.mappedStep ?? i.stepId}' (${ev.join(', ')})`, evidence: ev });
      break;
    case 'sub-workflow':
      add({ command: retryFrom, reason: `re-running '${i.mappedStep ?? i.stepId}' starts a new child run; fix what its diagnosis names first (${ev.join(', ')})`, evidence: ev });
      break;
    case 'secret-missing':
      add({ command: retryFailed, reason: `set the secret where the step runs, then retry (${ev.join(', ')})`, evidence: ev });
      break;
    default:
      break;
  }
  if (byVersion) {
    add({ command: `baton run ${i.sourcePath ?? 'WORKFLOW_FILE'}`, reason: `the same failure in run ${byVersion.s.runId} (${byVersion.id}) ended with a new version of the workflow (${byVersion.s.fix?.version ?? ''}): fix the step, then run the file`, evidence: [byVersion.id] });
  }
  if (i.mappedStep !== undefined) {
    add({ command: retryFailed, reason: `re-run the failed items of '${i.mappedStep}' (succeeded items keep their outputs) and the steps skipped because of them (${ev.join(', ')})`, evidence: ev });
    add({ command: retryFrom, reason: `re-run every item of '${i.mappedStep}' and everything downstream of it (${ev.join(', ')})`, evidence: ev });
    return out;
  }
  add({ command: retryFailed, reason: `re-run the failed step and the steps skipped because of it; succeeded steps keep their outputs (${ev.join(', ')})`, evidence: ev });
  add({ command: retryFrom, reason: `re-run '${i.stepId}' and everything downstream of it (${ev.join(', ')})`, evidence: ev });
  return out;
}
