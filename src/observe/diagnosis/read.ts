/**
 * @module observe/diagnosis/read
 * Gathers what a diagnosis needs from the store and the attempt logs, masks every text that
 * came from a log or a failure with the run's secrets, and hands it to the pure parts
 * (./classify.ts, ./recover.ts). Bounded: a log is read in its last {@link TAIL_BYTES};
 * similar failures are looked for over {@link SIMILAR_WINDOW_MS}, in at most
 * {@link MAX_SIMILAR_ATTEMPTS} failed attempts.
 */
import type { Failure } from '../../core/index.js';
import { parseMapItemId } from '../../core/index.js';
import type { Masker } from '../../executors/index.js';
import { createMasker, resolveSecrets } from '../../executors/index.js';
import { BatonError } from '../../shared/index.js';
import type { AttemptRecord, RunRecord, Store, StepDurations, StoredStepRun, WorkerRecord } from '../../store/index.js';
import { DETECTED_TOOLS } from '../../runtime/index.js';
import { RunNotFoundError } from '../../store/index.js';
import type { StepSpec, WorkflowSpec } from '../../workflow/index.js';
import { decodeDefinition } from '../../workflow/index.js';
import { readAttemptLogTail } from '../logs.js';
import type { AttemptFacts, Classification } from './classify.js';
import { classify, errorSignature, missingOutputRefs, outputRefs, splitLogTail } from './classify.js';
import type { Changes, Diagnosis, SimilarFailure, SimilarFailures, StepDiagnosis } from './recover.js';
import { MEMORY_HISTORY_RUNS, diffParams, diffSteps, p95, rankRecoveries } from './recover.js';

/** Bytes of an attempt's log a diagnosis reads: its end. */
export const TAIL_BYTES = 64 * 1024;
/** How far back similar failures are looked for, ms (30 days). */
export const SIMILAR_WINDOW_MS = 30 * 86_400_000;
/** Failed attempts read at most when looking for similar failures. */
export const MAX_SIMILAR_ATTEMPTS = 200;
/** Runs of the workflow listed at most when looking back. */
const MAX_RUNS = 500;
/** Similar failures a diagnosis lists at most. */
const MAX_SIMILAR_LISTED = 20;

/** Thrown when the step asked for is not a step of the run. Code `step-not-found`. */
export class DiagnosisStepError extends BatonError {
  constructor(
    /** The run asked about (full id). */
    readonly runId: string,
    /** The step asked for. */
    readonly stepId: string,
  ) {
    super('step-not-found', `run ${runId} has no step '${stepId}'`);
  }
}

/** Options of {@link diagnoseRun}. */
export interface DiagnoseOptions {
  /** Only this step (diagnosed even when it did not fail, if it has a failed attempt). */
  stepId?: string;
  /** Now, ms since the epoch: the end of the similar-failures window. */
  now: number;
  /** Environment secrets are read from. @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * The fleet's workers (`FleetStore.listWorkers`), so that a failure tied to the worker it
   * ran on (a missing tool, too little memory) can be recovered `--on` a tag a live worker
   * has. Absent (no fleet): no such recovery.
   */
  workers?: readonly WorkerRecord[];
}

/**
 * Diagnoses the failed steps of a run (or the one named) from its own records: a
 * classification with quoted evidence, what changed since the workflow's last successful
 * run, earlier failures of the same signature and how they ended, and ranked recovery
 * commands. Every quoted text is masked with the run's secrets as this process reads them.
 * @throws RunNotFoundError for an unknown run; DiagnosisStepError for a step the run lacks
 */
export async function diagnoseRun(store: Store, runIdOrPrefix: string, o: DiagnoseOptions): Promise<Diagnosis> {
  const runId = await store.resolveRunId(runIdOrPrefix);
  const [run, stepRuns, attempts] = await Promise.all([store.getRun(runId), store.getStepRuns(runId), store.getAttempts(runId)]);
  if (!run) throw new RunNotFoundError(runId);
  if (o.stepId !== undefined && !stepRuns.some((s) => s.stepId === o.stepId)) throw new DiagnosisStepError(runId, o.stepId);
  const spec = await specOf(store, run.version);
  const masker = maskerOf(spec, o.env);
  // A mapped step named: its failed items, which hold the attempts (the step itself has none).
  const chosen = stepRuns.filter((s) => (o.stepId !== undefined ? s.stepId === o.stepId || (mappedStepOf(s.stepId) === o.stepId && s.state === 'failed') : s.state === 'failed'));
  const history = new HistoryReader(store, run, masker, spec, o.now);
  const steps: StepDiagnosis[] = [];
  for (const s of chosen) {
    const failed = [...attempts].reverse().find((a) => a.stepId === s.stepId && (a.state === 'failed' || a.state === 'lost'));
    if (!failed) continue;
    steps.push(await diagnoseStep(store, history, run, spec, stepRuns, s, failed, masker, o.workers));
  }
  return { runId: run.id, workflow: run.workflow, version: run.version, state: run.state, steps };
}

async function diagnoseStep(
  store: Store, history: HistoryReader, run: RunRecord, spec: WorkflowSpec | undefined, stepRuns: StoredStepRun[], s: StoredStepRun, failed: AttemptRecord, masker: Masker,
  workers: readonly WorkerRecord[] | undefined,
): Promise<StepDiagnosis> {
  const mapped = mappedStepOf(s.stepId);
  const stepSpec = spec?.steps.find((x) => x.id === (mapped ?? s.stepId));
  const outputs = new Map(stepRuns.filter((u) => u.state === 'succeeded' && u.output !== undefined && stepSpec?.needs.includes(u.stepId)).map((u) => [u.stepId, u.output]));
  const missing = stepSpec ? missingOutputRefs(outputRefs(expressionTexts(stepSpec)), outputs) : [];
  const facts = await factsOf(store, failed, stepSpec, spec, masker);
  if (missing.length) facts.missingOutputs = missing.map((m) => ({ ...m, available: m.available.map((k) => masker.mask(k)) }));
  const c = classify(facts);
  const signature = errorSignature(c);
  const [changes, similar] = await Promise.all([history.changes(s.stepId, failed), history.similar(s.stepId, signature)]);
  const recoveries = rankRecoveries({
    runId: run.id, stepId: s.stepId, classification: c, changes, similar,
    ...(spec?.sourcePath ? { sourcePath: spec.sourcePath } : {}),
    upstream: [...new Set(missing.map((m) => m.stepId))],
    ...(stepSpec?.runsOn ? { runsOn: stepSpec.runsOn } : {}),
    ...(mapped !== undefined ? { mappedStep: mapped } : {}),
    ...(workers ? {
      workers: workers.map((w) => ({ id: w.id, platform: w.platform, tags: w.tags, live: w.state === 'active', ...(w.facts ? { memoryBytes: w.facts.memoryBytes } : {}) })),
      toolTags: DETECTED_TOOLS, evidenceTexts: c.evidence.map((e) => e.text),
    } : {}),
  });
  return { stepId: s.stepId, attempt: failed.number, attemptId: failed.id, class: c.class, summary: c.summary, evidence: c.evidence, changes, similar, recoveries };
}

/** The facts the classifier reads about one attempt, masked. */
async function factsOf(store: Store, a: AttemptRecord, stepSpec: StepSpec | undefined, spec: WorkflowSpec | undefined, masker: Masker): Promise<AttemptFacts> {
  const tail = await readAttemptLogTail(store, a, TAIL_BYTES);
  const lines = splitLogTail(tail.text, tail.offset).map((l) => ({ ...l, text: masker.mask(l.text) }));
  return {
    stepKind: stepSpec?.action.kind === 'uses' || stepSpec?.action.kind === 'http' || stepSpec?.action.kind === 'workflow' ? stepSpec.action.kind : 'run',
    state: a.state,
    lines,
    ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}),
    ...(a.error ? { failure: maskFailure(a.error, masker) } : {}),
    ...(spec ? { baseDir: spec.baseDir } : {}),
  };
}

function maskFailure(f: Failure, m: Masker): Failure {
  return { type: m.mask(f.type), message: m.mask(f.message), retryable: f.retryable, ...(f.details !== undefined ? { details: m.maskJson(f.details) } : {}), ...(f.retryAfterMs !== undefined ? { retryAfterMs: f.retryAfterMs } : {}) };
}

/** Texts of a step that may hold `${{ steps.X.output… }}`: its env, `with`, command or request, `if` and `cwd`. */
function expressionTexts(s: StepSpec): string {
  const parts: string[] = [...Object.values(s.env), s.if ?? '', s.cwd ?? ''];
  if (s.action.kind === 'uses' || s.action.kind === 'workflow') parts.push(JSON.stringify(s.action.with));
  else if (s.action.kind === 'http') parts.push(JSON.stringify(s.action.request));
  else if (s.action.kind === 'approval') parts.push(s.action.message ?? '');
  else if (s.action.kind === 'run') parts.push(...Object.values(s.action.command).filter((c): c is string => typeof c === 'string'));
  return parts.join('\n');
}

/** The mapped step an item's step run (`forecast[3]`) belongs to; undefined for any other step run. */
function mappedStepOf(stepId: string): string | undefined {
  return parseMapItemId(stepId)?.stepId;
}

/** The decoded definition of a version; undefined when unknown or unreadable (the diagnosis goes on without it). */
async function specOf(store: Store, version: string): Promise<WorkflowSpec | undefined> {
  const w = await store.getWorkflow(version);
  if (!w) return undefined;
  try {
    return decodeDefinition(w);
  } catch {
    return undefined;
  }
}

/**
 * The values of a run's declared secrets as this process reads them (those it can read), for
 * masking what is sent elsewhere (the language model's prompt).
 * @throws RunNotFoundError for an unknown run
 */
export async function runSecretValues(store: Store, runIdOrPrefix: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<string[]> {
  const run = await store.getRun(await store.resolveRunId(runIdOrPrefix));
  if (!run) throw new RunNotFoundError(runIdOrPrefix);
  return secretValues(await specOf(store, run.version), env);
}

function secretValues(spec: WorkflowSpec | undefined, env: Readonly<Record<string, string | undefined>>): string[] {
  const values: string[] = [];
  for (const s of spec?.secrets ?? []) {
    const r = resolveSecrets([s], spec!.baseDir, env);
    if (r.ok) values.push(...Object.values(r.values));
  }
  return values;
}

/**
 * The masker of the run's declared secrets, each read as its steps read it (env, or file
 * beside the workflow), one by one so that one missing secret does not unmask the others.
 */
function maskerOf(spec: WorkflowSpec | undefined, env: Readonly<Record<string, string | undefined>> = process.env): Masker {
  return createMasker(secretValues(spec, env));
}

/** Reads the run's history once per diagnosis: the workflow's recent runs, their steps and versions. */
class HistoryReader {
  private runsP: Promise<RunRecord[]> | undefined;
  private readonly stepRuns = new Map<string, Promise<StoredStepRun[]>>();
  private readonly specs = new Map<string, Promise<WorkflowSpec | undefined>>();
  private durationsP: Promise<StepDurations[]> | undefined;

  constructor(
    private readonly store: Store,
    private readonly run: RunRecord,
    private readonly masker: Masker,
    private readonly spec: WorkflowSpec | undefined,
    private readonly now: number,
  ) {}

  /** Runs of the workflow created in the window, newest first, this run excluded. */
  private runs(): Promise<RunRecord[]> {
    return (this.runsP ??= this.store.listRuns({ workflow: this.run.workflow, limit: MAX_RUNS })
      .then((rs) => rs.filter((r) => r.id !== this.run.id && r.createdAt >= this.now - SIMILAR_WINDOW_MS)));
  }

  private steps(runId: string): Promise<StoredStepRun[]> {
    let p = this.stepRuns.get(runId);
    if (!p) this.stepRuns.set(runId, (p = this.store.getStepRuns(runId)));
    return p;
  }

  private specOf(version: string): Promise<WorkflowSpec | undefined> {
    let p = this.specs.get(version);
    if (!p) this.specs.set(version, (p = specOf(this.store, version)));
    return p;
  }

  async changes(stepId: string, failed: AttemptRecord): Promise<Changes> {
    const runs = await this.runs();
    const baseline = runs.find((r) => r.state === 'succeeded' && r.createdAt <= this.run.createdAt);
    const durations = await (this.durationsP ??= this.store.history.stepDurations(this.run.workflow, this.now - SIMILAR_WINDOW_MS));
    const d = durations.find((x) => x.stepId === stepId);
    const attemptMs = failed.endedAt !== undefined ? failed.endedAt - failed.startedAt : undefined;
    const out: Changes = {
      params: [],
      duration: { ...(attemptMs !== undefined ? { attemptMs } : {}), ...(d ? { p95Ms: d.p95Ms, successes: d.count } : {}) },
      peakRss: failed.peakRssBytes !== undefined ? { attemptBytes: failed.peakRssBytes } : {},
    };
    if (failed.worker !== undefined) out.worker = { failed: failed.worker };
    const memory = await this.memoryHistory(stepId, runs);
    if (memory.length) Object.assign(out.peakRss, { p95Bytes: p95(memory)!, successes: memory.length });
    if (!baseline) return out;
    out.baseline = { runId: baseline.id, version: baseline.version, ...(baseline.endedAt !== undefined ? { endedAt: baseline.endedAt } : {}) };
    if (baseline.version !== this.run.version) {
      const old = await this.specOf(baseline.version);
      out.version = { from: baseline.version, to: this.run.version, ...(old && this.spec ? { steps: diffSteps(old.steps, this.spec.steps) } : {}) };
    }
    out.params = diffParams(baseline.params, this.run.params).map((p) => ({
      key: p.key, ...(p.from !== undefined ? { from: this.masker.maskJson(p.from) } : {}), ...(p.to !== undefined ? { to: this.masker.maskJson(p.to) } : {}),
    }));
    const ok = (await this.store.getAttempts(baseline.id, stepId)).filter((a) => a.state === 'succeeded').at(-1);
    if (ok) {
      if (ok.worker !== undefined || failed.worker !== undefined) out.worker = { ...out.worker, ...(ok.worker !== undefined ? { baseline: ok.worker } : {}) };
      if (ok.endedAt !== undefined) out.duration.baselineMs = ok.endedAt - ok.startedAt;
      if (ok.peakRssBytes !== undefined) out.peakRss.baselineBytes = ok.peakRssBytes;
    }
    return out;
  }

  /** Peak memory of the step's successful attempts in the workflow's latest successful runs (bounded by MEMORY_HISTORY_RUNS). */
  private async memoryHistory(stepId: string, runs: RunRecord[]): Promise<number[]> {
    const ok = runs.filter((r) => r.state === 'succeeded').slice(0, MEMORY_HISTORY_RUNS);
    const attempts = await Promise.all(ok.map((r) => this.store.getAttempts(r.id, stepId)));
    return attempts.flat().filter((a) => a.state === 'succeeded' && a.peakRssBytes !== undefined).map((a) => a.peakRssBytes!);
  }

  async similar(stepId: string, signature: string): Promise<SimilarFailures> {
    const runs = await this.runs();
    const mapped = mappedStepOf(stepId);
    const items: SimilarFailure[] = [];
    let scanned = 0;
    let truncated = false;
    for (const r of runs) {
      if (scanned >= MAX_SIMILAR_ATTEMPTS) {
        truncated = true;
        break;
      }
      // Items of one mapped step run one definition over different items: any item's failure may be the same one.
      const attempts = mapped !== undefined
        ? (await this.store.getAttempts(r.id)).filter((a) => mappedStepOf(a.stepId) === mapped)
        : await this.store.getAttempts(r.id, stepId);
      const failedOnes = attempts.filter((a) => a.state === 'failed' || a.state === 'lost');
      if (!failedOnes.length) continue;
      const spec = await this.specOf(r.version);
      const stepSpec = spec?.steps.find((s) => s.id === (mapped ?? stepId));
      for (const a of [...failedOnes].reverse()) {
        if (scanned >= MAX_SIMILAR_ATTEMPTS) {
          truncated = true;
          break;
        }
        scanned++;
        const c: Classification = classify(await factsOf(this.store, a, stepSpec, spec, this.masker));
        if (errorSignature(c) !== signature) continue;
        if (items.length < MAX_SIMILAR_LISTED) items.push(await this.endOf(r, a, attempts.filter((x) => x.stepId === a.stepId), runs));
      }
    }
    return { signature, scanned, truncated, items };
  }

  /** How an earlier failed attempt ended: a later attempt of its step run succeeded, or a later run's step did. */
  private async endOf(r: RunRecord, a: AttemptRecord, attempts: AttemptRecord[], runs: RunRecord[]): Promise<SimilarFailure> {
    const base = { runId: r.id, attempt: a.number, at: a.endedAt ?? a.startedAt, version: r.version, ...(mappedStepOf(a.stepId) !== undefined ? { stepId: a.stepId } : {}) };
    const next = attempts.find((x) => x.number > a.number && x.state === 'succeeded');
    if (next) return { ...base, endedBy: 'retry', fix: { runId: r.id, attempt: next.number } };
    // Later runs, oldest first (the current run included: it may not have succeeded, so it is skipped below).
    const later = runs.filter((x) => x.createdAt > r.createdAt || (x.createdAt === r.createdAt && x.id > r.id)).reverse();
    for (const x of later) {
      const st = (await this.steps(x.id)).find((s) => s.stepId === a.stepId);
      if (st?.state !== 'succeeded') continue;
      if (x.version !== r.version) return { ...base, endedBy: 'new-version', fix: { runId: x.id, version: x.version } };
      const params = diffParams(r.params, x.params).map((p) => ({
        key: p.key, ...(p.from !== undefined ? { from: this.masker.maskJson(p.from) } : {}), ...(p.to !== undefined ? { to: this.masker.maskJson(p.to) } : {}),
      }));
      if (params.length) return { ...base, endedBy: 'param-change', fix: { runId: x.id, params } };
      return { ...base, endedBy: 'retry', fix: { runId: x.id } };
    }
    return { ...base, endedBy: 'nothing-yet' };
  }
}
