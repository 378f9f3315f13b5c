/**
 * @module observe/alerts/evaluator
 * Turns what happened into alerts. Committed events (the store's commit-ordered feed, read
 * from a cursor kept in the store, so a restarted or second server goes on where the last
 * reader stopped) open and clear failure alerts; a periodic sweep over what is running opens
 * the alerts that must fire *while* something still goes on (a step or run running too
 * long, waiting too long, a deep queue) and clears them when it ends.
 */
import type { FeedEvent, QuietEnds, SilenceRecord, Store, RunRecord } from '../../store/index.js';
import type { AlertingView } from '../../workflow/index.js';
import { decodeAlerting } from '../../workflow/index.js';
import type { JsonObject } from '../../shared/index.js';
import type { AlertBook, Subject } from './alerts.js';
import { alertKey } from './alerts.js';
import type { AlertKind, AlertRule, RuleSet } from './rules.js';
import { ALERT_DEFAULTS } from './rules.js';
import type { DeadlineContext, EtaSource } from './deadlines.js';
import { deadlineRunEnded, sweepDeadlines } from './deadlines.js';
import type { PressureContext } from './pressure.js';
import { sweepBackpressure, sweepBreakers } from './pressure.js';

const FEED_CURSOR = 'alerts';
/** Events read at a time: the most, and the first after a batch stopped early (most of it was read for nothing). */
const FEED_BATCH = 500;
const FEED_BATCH_FIRST = 32;
/** Versions remembered as alerting by the server's rules only; older ones are read in full again. */
const QUIET_VERSIONS = 200;
/** Open alerts on more steps than this: every end is read (the list would cost more than it saves). */
const QUIET_OPEN_STEPS = 500;

// Seconds below ten minutes: a p95 of 98 s read as "2 min" says too little.
const fmt = (ms: number): string => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** The bound a running step run is held to, and which rule setting gave it. */
interface StepLimit {
  /** `after` (the rule's fixed bound) or `p95` (`p95Factor` × the step's p95 from history). */
  threshold: 'after' | 'p95';
  /** The bound, ms. */
  ms: number;
  /** The step's p95, ms, when `p95Factor` applied. */
  p95Ms?: number;
}

/** A run's end, for post-run reports. */
export interface RunEnded {
  run: RunRecord;
  spec: AlertingView | undefined;
}

/** Evaluates rules over events and over what is running. */
export class Evaluator {
  private readonly specs = new Map<string, AlertingView | undefined>();
  /** Versions seen, in the order first seen: true when the definition declares no `alerts:` of its own. */
  private readonly quietVersions = new Map<string, boolean>();
  /** The feed query of this batch skips quiet ends, except those of these steps. */
  private readSteps: ReadonlySet<string> | undefined;
  /**
   * The rest of this batch is better read again: an alert opened on a step whose ends its
   * query skipped, or a new quiet version whose ends it did not skip.
   */
  private requery = false;
  /** The next read's limit: small after a requery, doubling to {@link FEED_BATCH}. */
  private batch = FEED_BATCH_FIRST;
  /** p95 of each step's succeeded runs by workflow, and when it was read (the process clock). */
  private readonly p95s = new Map<string, { at: number; byStep: Map<string, { count: number; p95Ms: number }> }>();

  constructor(
    private readonly store: Store,
    private readonly rules: RuleSet,
    private readonly book: AlertBook,
    private readonly now: () => number,
    private readonly silences: () => readonly SilenceRecord[],
    private readonly runEnded: (e: RunEnded) => Promise<void>,
    /** Runs waiting to start (the intake gate's count, so a sweep costs no second COUNT). @default the store's `waitingRuns` */
    private readonly waitingRuns: () => Promise<number> = () => store.api.waitingRuns(),
    eta?: EtaSource,
  ) {
    this.deadlines = {
      spec: (v) => this.spec(v), rulesOf: (run, kind) => this.rulesOf(run, kind),
      fire: (rule, subject, summary, details) => this.fire(rule, subject, summary, details),
      clear: (rule, subject, note) => this.clear(rule, subject, note), eta,
    };
  }

  private readonly deadlines: DeadlineContext;

  private async spec(version: string): Promise<AlertingView | undefined> {
    let spec: AlertingView | undefined;
    if (this.specs.has(version)) spec = this.specs.get(version);
    else {
      const rec = await this.store.getWorkflow(version);
      try {
        spec = rec ? decodeAlerting(rec) : undefined;
      } catch {
        spec = undefined;
      }
      if (this.specs.size > 500) this.specs.clear();
      this.specs.set(version, spec);
    }
    if (!this.quietVersions.has(version)) {
      this.quietVersions.set(version, !spec?.alerts?.length);
      if (this.quietVersions.size > QUIET_VERSIONS) this.quietVersions.delete(this.quietVersions.keys().next().value!);
    }
    return spec;
  }

  /**
   * What the next feed read may leave in the database: successful ends of runs whose
   * version alerts by the server's rules only, on steps without an open alert, with usage
   * under the lowest memory and cpu limits of those rules. A big run's ends are almost all
   * such; reading and evaluating each cost a fifth of what the engine spent on the step.
   */
  private quiet(openSteps: ReadonlySet<string>): QuietEnds {
    const versions = openSteps.size > QUIET_OPEN_STEPS ? [] : [...this.quietVersions].filter(([, q]) => q).map(([v]) => v);
    const memory = this.rules.applicable(this.rules.server, 'memory').map((r) => r.maxMemoryBytes);
    const cpu = this.rules.applicable(this.rules.server, 'cpu').map((r) => r.maxCpu);
    return {
      versions, openSteps: [...openSteps], cpuWindowMs: ALERT_DEFAULTS.cpuWindowMs,
      ...(memory.length ? { maxMemoryBytes: Math.min(...memory) } : {}),
      ...(cpu.length ? { maxCpu: Math.min(...cpu) } : {}),
    };
  }

  private async rulesOf(run: RunRecord | undefined, kind: AlertKind, step?: string): Promise<AlertRule[]> {
    if (!run) return this.rules.applicable(this.rules.server, kind);
    const rules = this.rules.forWorkflow(run.version, await this.spec(run.version));
    return this.rules.applicable(rules, kind, run.workflow, step);
  }

  private fire(rule: AlertRule, subject: Subject, summary: string, details?: JsonObject): Promise<unknown> {
    this.open.add(alertKey(rule.name, subject));
    const step = subject.stepId ?? (typeof details?.stepId === 'string' ? details.stepId : undefined);
    if (step !== undefined && this.readSteps && !this.readSteps.has(step)) this.requery = true;
    return this.book.fire(rule, subject, summary, details, this.silences());
  }

  /** Loads the open alerts' keys; returns the steps they concern (an end of one may clear it). */
  private async loadOpen(): Promise<Set<string>> {
    const open = await this.store.alerts.list({ state: ['firing', 'acknowledged', 'silenced'], limit: 100_000 });
    this.open = new Set(open.map((a) => a.key));
    const steps = new Set<string>();
    for (const a of open) {
      if (a.subject.stepId !== undefined) steps.add(a.subject.stepId);
      if (typeof a.details?.stepId === 'string') steps.add(a.details.stepId);
    }
    return steps;
  }

  /** Open alert keys, loaded once per feed batch: an end that clears nothing costs no query. */
  private open = new Set<string>();
  /** Runs read in this batch. */
  private readonly runs = new Map<string, RunRecord | undefined>();

  private async run(id: string): Promise<RunRecord | undefined> {
    if (this.runs.has(id)) return this.runs.get(id);
    const r = await this.store.getRun(id);
    this.runs.set(id, r);
    return r;
  }

  private async clear(rule: AlertRule, subject: Subject, note: string): Promise<void> {
    const key = alertKey(rule.name, subject);
    if (!this.open.has(key)) return;
    if (await this.book.clear(rule.name, subject, note)) this.open.delete(key);
  }

  /**
   * Reads the ends committed after the stored cursor (runs that finished, attempts that
   * ended: nothing else can open or clear a feed-driven alert) and evaluates them, leaving
   * in the database the successful ends no rule can act on ({@link QuietEnds}). A batch
   * stops at an alert opened on a step whose ends its query skipped, so the rest is read
   * again knowing it.
   * @returns how many it read.
   */
  async readFeed(): Promise<number> {
    let cursor = await this.store.alerts.getCursor(FEED_CURSOR);
    const head = await this.store.api.eventsHead();
    if (cursor === undefined) {
      // A first start alerts on what happens from now on, not on the history it finds.
      await this.store.alerts.moveCursor(FEED_CURSOR, undefined, head);
      cursor = await this.store.alerts.getCursor(FEED_CURSOR);
    }
    const openSteps = await this.loadOpen();
    const quiet = this.quiet(openSteps);
    this.readSteps = quiet.versions.length ? openSteps : undefined;
    const events = await this.store.api.eventsAfter(cursor, { ends: true, quiet }, this.batch);
    if (events.length === 0) {
      // Nothing that matters up to the head read before: skip the stretch for good.
      if (cursor !== head) await this.store.alerts.moveCursor(FEED_CURSOR, cursor, head);
      return 0;
    }
    this.runs.clear();
    this.requery = false;
    let read = 0;
    for (const e of events) {
      await this.onEvent(e);
      read++;
      if (this.requery) break;
    }
    this.batch = this.requery ? FEED_BATCH_FIRST : Math.min(FEED_BATCH, this.batch * 2);
    // Another server that read the same events moved it first: its position stands.
    await this.store.alerts.moveCursor(FEED_CURSOR, cursor, events[read - 1]!.cursor);
    return read;
  }

  /** Evaluates one committed event. */
  async onEvent(e: FeedEvent): Promise<void> {
    if (e.type === 'run' && e.from === undefined) {
      // A run created: learn its version's rules before its ends arrive.
      const run = await this.run(e.runId);
      if (!run || this.quietVersions.has(run.version)) return;
      await this.spec(run.version);
      if (this.quietVersions.get(run.version)) this.requery = true;
      return;
    }
    if (e.type === 'run' && (e.to === 'succeeded' || e.to === 'failed' || e.to === 'cancelled')) return this.onRunEnded(e);
    if (e.type === 'step' && e.stepId !== undefined && (e.from === 'running' || e.to === 'failed')) return this.onStep(e, e.stepId);
  }

  private async onRunEnded(e: FeedEvent): Promise<void> {
    this.runs.delete(e.runId);
    const run = await this.run(e.runId);
    if (!run) return;
    const subject: Subject = { workflow: run.workflow };
    if (e.to === 'failed') {
      const failed = (await this.store.getStepRuns(run.id)).filter((s) => s.state === 'failed').map((s) => s.stepId);
      for (const rule of await this.rulesOf(run, 'run-failed')) {
        await this.fire(rule, subject, `run ${run.workflow}/${run.id} failed${failed.length ? `: ${failed.join(', ')}` : ''}${typeof e.data?.reason === 'string' ? ` (${e.data.reason})` : ''}`,
          { runId: run.id, failedSteps: failed });
      }
    } else if (e.to === 'succeeded') {
      for (const rule of await this.rulesOf(run, 'run-failed')) await this.clear(rule, subject, `run ${run.id} succeeded`);
    }
    for (const rule of await this.rulesOf(run, 'run-duration')) await this.clear(rule, { workflow: run.workflow, runId: run.id }, `run ${e.to}`);
    for (const rule of await this.rulesOf(run, 'failure-rate')) await this.failureRate(rule, run.workflow);
    await deadlineRunEnded(this.deadlines, run);
    await this.runEnded({ run, spec: await this.spec(run.version) });
  }

  private async onStep(e: FeedEvent, stepId: string): Promise<void> {
    const error = e.data?.error as { type?: string; message?: string } | undefined;
    const run = await this.run(e.runId);
    if (!run) return;
    const subject: Subject = { workflow: run.workflow, stepId };
    if (e.to === 'failed') {
      const mayFail = (await this.spec(run.version))?.continueOnError.has(stepId) ?? false;
      for (const rule of await this.rulesOf(run, 'step-failed', stepId)) {
        if (mayFail && !rule.includeContinueOnError) continue;
        await this.fire(rule, subject, `step ${stepId} of ${run.workflow}/${run.id} failed${error?.message ? `: ${error.message}` : ''}`, { runId: run.id, ...(error?.type ? { failure: error.type } : {}) });
      }
    } else if (e.to === 'succeeded') {
      for (const rule of await this.rulesOf(run, 'step-failed', stepId)) await this.clear(rule, subject, `step succeeded in run ${run.id}`);
      for (const rule of await this.rulesOf(run, 'worker-lost', stepId)) {
        if (![...this.open].some((k) => k.startsWith(`${rule.name}|`))) continue;
        for (const a of (await this.store.alerts.list({ rule: rule.name, state: ['firing', 'acknowledged', 'silenced'] })).filter((x) => x.details?.runId === run.id && x.details.stepId === stepId)) {
          await this.book.resolve(a.id, 'system', `step ${stepId} succeeded on a retry`);
        }
      }
    }
    for (const rule of await this.rulesOf(run, 'step-duration', stepId)) await this.clear(rule, { workflow: run.workflow, runId: run.id, stepId }, `step ${e.to}`);
    await this.usage(run, stepId, e);
    if (error?.type === 'lost') {
      const attempt = (await this.store.getAttempts(run.id, stepId)).find((a) => a.id === e.attemptId);
      const worker = attempt?.worker ?? 'unknown';
      for (const rule of await this.rulesOf(run, 'worker-lost', stepId)) {
        await this.fire(rule, { worker }, `worker ${worker} was lost holding ${e.attemptId ?? stepId}${error.message ? `: ${error.message}` : ''}`, { runId: run.id, stepId, ...(e.attemptId ? { attemptId: e.attemptId } : {}) });
      }
    }
  }

  /** memory and cpu, from the usage the engine put on the attempt's end event. */
  private async usage(run: RunRecord, stepId: string, e: FeedEvent): Promise<void> {
    const peak = typeof e.data?.peakRssBytes === 'number' ? e.data.peakRssBytes : undefined;
    const cpu = typeof e.data?.cpuMs === 'number' ? e.data.cpuMs : undefined;
    const wall = typeof e.data?.wallMs === 'number' ? e.data.wallMs : undefined;
    if (peak === undefined && cpu === undefined) return;
    const subject: Subject = { workflow: run.workflow, stepId };
    if (peak !== undefined) {
      for (const rule of await this.rulesOf(run, 'memory', stepId)) {
        if (peak > rule.maxMemoryBytes) {
          await this.fire(rule, subject, `step ${stepId} of ${run.workflow}/${run.id} peaked at ${Math.round(peak / 1048576)} MB (limit ${Math.round(rule.maxMemoryBytes / 1048576)} MB)`, { runId: run.id, peakRssBytes: peak });
        } else await this.clear(rule, subject, `run ${run.id}: ${Math.round(peak / 1048576)} MB`);
      }
    }
    if (cpu === undefined || wall === undefined || wall < ALERT_DEFAULTS.cpuWindowMs) return;
    const share = cpu / wall;
    for (const rule of await this.rulesOf(run, 'cpu', stepId)) {
      if (share > rule.maxCpu) {
        await this.fire(rule, subject, `step ${stepId} of ${run.workflow}/${run.id} used ${Math.round(share * 100)} % of a core over ${fmt(wall)} (limit ${Math.round(rule.maxCpu * 100)} %)`, { runId: run.id, cpuShare: share });
      } else await this.clear(rule, subject, `run ${run.id}: ${Math.round(share * 100)} %`);
    }
  }

  private async failureRate(rule: AlertRule, workflow: string): Promise<void> {
    const now = this.now();
    const page = await this.store.api.queryRuns({ workflow, state: ['succeeded', 'failed'], since: now - rule.windowMs - 7 * 86_400_000, limit: 500 });
    const recent = page.runs.filter((r) => r.endedAt !== undefined && r.endedAt >= now - rule.windowMs);
    const failed = recent.filter((r) => r.state === 'failed').length;
    const rate = recent.length ? failed / recent.length : 0;
    const subject: Subject = { workflow };
    if (recent.length >= rule.minRuns && rate > rule.threshold) {
      await this.fire(rule, subject, `${workflow}: ${Math.round(rate * 100)} % of ${recent.length} runs failed over ${fmt(rule.windowMs)} (limit ${Math.round(rule.threshold * 100)} %)`, { rate, runs: recent.length, failed });
    } else await this.clear(rule, subject, `${Math.round(rate * 100)} % of ${recent.length} runs failed`);
  }

  /**
   * The p95 duration of `stepId` of `workflow` from history, when it has enough samples;
   * read once per workflow every `p95CacheMs`.
   */
  private async p95(workflow: string, stepId: string, now: number): Promise<number | undefined> {
    let cached = this.p95s.get(workflow);
    if (!cached || now - cached.at >= ALERT_DEFAULTS.p95CacheMs) {
      const rows = await this.store.history.stepDurations(workflow, now - ALERT_DEFAULTS.p95WindowMs);
      cached = { at: now, byStep: new Map(rows.map((r) => [r.stepId, { count: r.count, p95Ms: r.p95Ms }])) };
      if (this.p95s.size > 500) this.p95s.clear();
      this.p95s.set(workflow, cached);
    }
    const d = cached.byStep.get(stepId);
    return d && d.count >= ALERT_DEFAULTS.p95MinSamples ? d.p95Ms : undefined;
  }

  /** The smaller of a step-duration rule's bounds that apply to this step: `after`, and `p95Factor` × p95. */
  private async stepLimit(rule: AlertRule, workflow: string, stepId: string, now: number): Promise<StepLimit | undefined> {
    let limit: StepLimit | undefined = rule.afterMs !== undefined ? { threshold: 'after', ms: rule.afterMs } : undefined;
    if (rule.p95Factor !== undefined) {
      const p95Ms = await this.p95(workflow, stepId, now);
      if (p95Ms !== undefined && (limit === undefined || rule.p95Factor * p95Ms < limit.ms)) limit = { threshold: 'p95', ms: Math.round(rule.p95Factor * p95Ms), p95Ms };
    }
    return limit;
  }

  /** The periodic part: what runs or waits too long, queue depth, failure rates as the window slides. */
  async sweep(): Promise<void> {
    const now = this.now();
    await this.loadOpen();
    this.runs.clear();
    const running = await this.store.listRuns({ state: ['running'], limit: 1000 });
    for (const run of running) {
      for (const rule of await this.rulesOf(run, 'run-duration')) {
        // From the latest start: a run re-run with retry --from keeps its first start.
        const since = Math.max(run.startedAt ?? now, run.queuedAt ?? 0);
        if (rule.afterMs !== undefined && now - since > rule.afterMs) {
          await this.fire(rule, { workflow: run.workflow, runId: run.id }, `run ${run.workflow}/${run.id} has been running for ${fmt(now - since)} (limit ${fmt(rule.afterMs)})`, { runningMs: now - since });
        }
      }
      const stepRules = await this.rulesOf(run, 'step-duration');
      const queueRules = await this.rulesOf(run, 'queued-too-long');
      if (!stepRules.length && !queueRules.length) continue;
      for (const s of await this.store.getStepRuns(run.id)) {
        for (const rule of stepRules) {
          if (s.state !== 'running' || s.startedAt === undefined || !this.rules.applicable([rule], 'step-duration', run.workflow, s.stepId).length) continue;
          const limit = await this.stepLimit(rule, run.workflow, s.stepId, now);
          if (limit === undefined || now - s.startedAt <= limit.ms) continue;
          const why = limit.threshold === 'p95' ? ` = ${rule.p95Factor} × its p95 of ${fmt(limit.p95Ms!)}` : '';
          await this.fire(rule, { workflow: run.workflow, runId: run.id, stepId: s.stepId },
            `step ${s.stepId} of ${run.workflow}/${run.id} has been running for ${fmt(now - s.startedAt)} (limit ${fmt(limit.ms)}${why})`,
            { runningMs: now - s.startedAt, threshold: limit.threshold, thresholdMs: limit.ms, ...(limit.p95Ms !== undefined ? { p95Ms: limit.p95Ms } : {}) });
        }
        for (const rule of queueRules) {
          if (s.state === 'queued' && s.queuedAt !== undefined && rule.afterMs !== undefined && now - s.queuedAt > rule.afterMs) {
            await this.fire(rule, { workflow: run.workflow, runId: run.id, stepId: s.stepId }, `step ${s.stepId} of ${run.workflow}/${run.id} has waited ${fmt(now - s.queuedAt)} for a slot or worker`, { waitingMs: now - s.queuedAt });
          }
        }
      }
    }
    const queued = await this.store.listRuns({ state: ['queued'], limit: 1000, order: 'queue' });
    for (const rule of this.rules.applicable(this.rules.server, 'queued-too-long')) {
      for (const run of queued) {
        const since = run.queuedAt ?? run.createdAt;
        if (rule.afterMs !== undefined && now - since > rule.afterMs && this.rules.applicable([rule], 'queued-too-long', run.workflow).length) {
          await this.fire(rule, { workflow: run.workflow, runId: run.id }, `run ${run.workflow}/${run.id} has been queued for ${fmt(now - since)}`, { waitingMs: now - since });
        }
      }
    }
    await sweepDeadlines(this.deadlines, [...running, ...queued], now);
    const pressure: PressureContext = {
      rules: (kind) => this.rules.applicable(this.rules.server, kind),
      fire: (rule, subject, summary, details) => this.fire(rule, subject, summary, details),
      clear: (rule, subject, note) => this.clear(rule, subject, note),
      clearAlways: async (rule, subject, note) => void (await this.book.clear(rule.name, subject, note)),
    };
    await sweepBackpressure(pressure, async () => (await this.store.api.countStates()).stepRuns.queued ?? 0, this.waitingRuns);
    await sweepBreakers(pressure, () => this.store.breakers.list(), now);
    // What cleared without an event this server saw (a run that ended before a restart).
    for (const a of await this.store.alerts.list({ state: ['firing', 'acknowledged', 'silenced'], limit: 1000 })) {
      if (a.kind === 'failure-rate' && a.subject.workflow) {
        const rule = this.rules.server.find((r) => r.name === a.rule);
        if (rule) await this.failureRate(rule, a.subject.workflow);
        continue;
      }
      if ((a.kind !== 'run-duration' && a.kind !== 'step-duration' && a.kind !== 'queued-too-long' && a.kind !== 'deadline-at-risk') || !a.subject.runId) continue;
      const run = await this.store.getRun(a.subject.runId);
      const stillOn = run !== undefined && (a.subject.stepId === undefined
        ? (a.kind === 'queued-too-long' ? run.state === 'queued' : a.kind === 'deadline-at-risk' ? run.state === 'queued' || run.state === 'running' : run.state === 'running')
        : (await this.store.getStepRuns(run.id)).some((s) => s.stepId === a.subject.stepId && s.state === (a.kind === 'queued-too-long' ? 'queued' : 'running')));
      if (!stillOn) await this.book.resolve(a.id, 'system', 'no longer the case');
    }
  }

  /**
   * A schedule tick the scheduler skipped (misfire policy, a server that was down) or whose
   * run intake refused (`refused`: the refusal, which the alert's summary and details carry,
   * with `reason: backpressure`).
   */
  async scheduleMissed(schedule: string, workflow: string | undefined, tickAt: number, refused?: string): Promise<void> {
    for (const rule of this.rules.applicable(this.rules.server, 'schedule-missed', workflow)) {
      await this.fire(rule, { schedule, ...(workflow ? { workflow } : {}) }, `schedule ${schedule} missed its tick of ${new Date(tickAt).toISOString()}${refused ? ` (${refused})` : ''}`,
        { tickAt, ...(refused ? { reason: 'backpressure', refused } : {}) });
    }
  }

  /** A schedule tick that created its run: a missed-tick alert of that schedule clears. */
  async scheduleFired(schedule: string, workflow: string | undefined): Promise<void> {
    for (const rule of this.rules.applicable(this.rules.server, 'schedule-missed', workflow)) await this.book.clear(rule.name, { schedule, ...(workflow ? { workflow } : {}) }, 'a later tick ran');
  }
}
