/**
 * @module observe/alerts/service
 * Alerting as a server runs it: reads the event feed, sweeps what is running, notifies
 * and sends, each on its own cadence of the process's clock (so tests drive grouping,
 * repeats, escalation and silences with a virtual clock), woken early when the engine
 * commits. Every server on one store runs one; the store's guards make each alert, message
 * and delivery happen once.
 */
import type { EtaSource } from './deadlines.js';
import { hostname } from 'node:os';
import type { AlertFilter, AlertRecord, DeliveryRecord, SilenceMatcher, SilenceRecord, Store } from '../../store/index.js';
import { newAlertId } from '../../store/index.js';
import type { JsonObject } from '../../shared/index.js';
import { errorMessage } from '../../shared/index.js';
import type { ParsedAlertRule, ParsedEscalation } from '../../workflow/index.js';
import { nextFireTimes } from '../../workflow/index.js';
import type { Channel, RunReportNotification, RunUpcomingNotification } from '../channels/types.js';
import { NOTIFICATION_VERSION } from '../channels/types.js';
import { AlertBook } from './alerts.js';
import type { RunEnded } from './evaluator.js';
import { Evaluator } from './evaluator.js';
import { Notifier } from './notifier.js';
import type { DeliveryReport } from './sender.js';
import { Sender } from './sender.js';
import type { AlertRule } from './rules.js';
import { compileRule, decodeStoredRules, intakeRules, RuleSet } from './rules.js';

/** A clock with timers (the runtime's `Clock` has this shape). */
export interface AlertClock {
  now(): number;
  setTimer(ms: number, fn: () => void): () => void;
}

/** Options of {@link AlertService}. */
export interface AlertServiceOptions {
  store: Store;
  clock: AlertClock;
  /** Configured channels by name. */
  channels: ReadonlyMap<string, Channel>;
  /** The config's `alerts:`; absent = the built-in rules. */
  rules?: ParsedAlertRule[];
  /** Channels of built-in rules (and of rules naming none). */
  defaultNotify?: string[];
  /** The escalation chain of every rule without `escalate` of its own (the config's `defaultEscalate`). @default none */
  defaultEscalate?: ParsedEscalation;
  publicUrl?: string;
  /** How often the feed is read when nothing wakes it, ms. @default 1000 */
  feedMs?: number;
  /** Shortest time between two passes woken by commits, ms. @default 100 */
  minIntervalMs?: number;
  /** How often running work is swept, ms. @default 15000 */
  sweepMs?: number;
  /** Consecutive failed attempts after which a channel raises its own alert. @default 3 */
  channelFailures?: number;
  /** Problems (a store that failed a pass), for the server's log. Must not throw. */
  report?: (message: string) => void;
  /** Each finished delivery attempt (metrics). */
  onDelivery?: (r: DeliveryReport) => void;
  /** A run's ETA, for `deadline-at-risk` (observe/eta); absent: only `deadline-missed` fires. */
  eta?: EtaSource;
  /** Each alert this server fired, saw acknowledged or resolved (the server's log). Must not throw. */
  onAlert?: (a: AlertRecord, what: 'fired' | 'acknowledged' | 'resolved') => void;
  /** The config's `backpressure:` thresholds: the built-in `intake-warning` and `intake-critical` rules judge runs waiting to start against them. @default no intake rules */
  backpressure?: { warning: number; critical: number };
  /** Runs waiting to start (the intake gate's `depth`). @default the store's `waitingRuns` */
  waitingRuns?: () => Promise<number>;
}

/** A new silence. */
export interface SilenceInput {
  matchers: SilenceMatcher[];
  /** ms since the epoch; @default now */
  startsAt?: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
}

/** Alerting of one server. */
export class AlertService {
  readonly book: AlertBook;
  private readonly rules: RuleSet;
  private readonly evaluator: Evaluator;
  private readonly notifier: Notifier;
  private readonly sender: Sender;
  private silenceList: SilenceRecord[] = [];
  private readonly timers: (() => void)[] = [];
  private stopped = true;
  private running: Promise<void> | undefined;
  private again = false;
  private nextNotify: number | undefined;
  private lastStart = Number.NEGATIVE_INFINITY;
  private delayed: (() => void) | undefined;
  private lastSweep = 0;
  private readonly failures = new Map<string, number>();
  /** The version of the API's rules last loaded; undefined before the first load. */
  private apiRulesVersion: number | undefined;

  constructor(private readonly o: AlertServiceOptions) {
    const now = (): number => o.clock.now();
    this.book = new AlertBook(o.store.alerts, now, () => this.wake(), o.onAlert);
    this.rules = new RuleSet(o.rules, [...o.channels.keys()], o.defaultNotify, o.defaultEscalate, o.backpressure ? intakeRules(o.backpressure) : []);
    this.evaluator = new Evaluator(o.store, this.rules, this.book, now, () => this.silenceList, (e) => this.runReport(e), o.waitingRuns, o.eta);
    const noResolved = new Set([...o.channels.values()].filter((c) => !c.sendResolved).map((c) => c.name));
    this.notifier = new Notifier({ store: o.store.alerts, now, noResolved, ...(o.publicUrl !== undefined ? { publicUrl: o.publicUrl } : {}) });
    this.sender = new Sender(o.store.alerts, o.channels, `${hostname()}:${process.pid}:${newAlertId('s', Date.now())}`, now, (r) => this.delivered(r));
  }

  /** The rule channel failures fire under: the server's `channel-failing` rule, else a default one. */
  private get channelRule(): AlertRule {
    return this.rules.server.find((r) => r.kind === 'channel-failing') ?? compileRule({ name: 'channel-failing', rule: 'channel-failing' }, [], this.o.defaultEscalate);
  }

  /**
   * The rules in force for every workflow, compiled, each with its `source`: the config's (or
   * the built-in) ones, those set through the API replacing theirs of the same name.
   */
  serverRules(): readonly AlertRule[] {
    return this.rules.server;
  }

  /** The names of the configured channels (what a rule may notify). */
  channelNames(): string[] {
    return [...this.o.channels.keys()];
  }

  /**
   * Loads the rules set through the API when their stored version moved (one primary-key
   * read otherwise). Each pass calls it, so every server on one store applies a change within
   * about a feed interval (1 s), without a restart; a route that changed them calls it at
   * once. A stored rule that no longer validates (written by a newer baton) is left out and
   * reported. Rejects when the store fails.
   */
  async refreshRules(): Promise<void> {
    const version = await this.o.store.alerts.rulesVersion();
    if (version === this.apiRulesVersion) return;
    const stored = await this.o.store.alerts.storedRules();
    // A pass and a route may load at once: the older read must not undo the newer.
    if (this.apiRulesVersion !== undefined && stored.version < this.apiRulesVersion) return;
    const { rules, problems } = decodeStoredRules(stored.rules);
    for (const p of problems) this.o.report?.(`alerts: ${p}`);
    this.rules.setApiRules(rules);
    this.apiRulesVersion = stored.version;
  }

  /** Starts the loops: the feed every `feedMs`, a pass at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.wake();
      this.timers[0] = this.o.clock.setTimer(this.o.feedMs ?? 1000, tick);
    };
    tick();
  }

  /**
   * Runs a pass soon (the engine committed, an operator acknowledged): at once when the last
   * one started at least `minIntervalMs` ago, else when that much has passed. A busy engine
   * commits every turn of the event loop; a pass per commit would take the store from it.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.running || this.delayed) {
      this.again = true;
      return;
    }
    const wait = this.lastStart + (this.o.minIntervalMs ?? 100) - this.o.clock.now();
    if (wait > 0) {
      this.delayed = this.o.clock.setTimer(wait, () => {
        this.delayed = undefined;
        this.again = false;
        this.wake();
      });
      return;
    }
    this.lastStart = this.o.clock.now();
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.wake();
      }
    });
  }

  /** One pass of everything: feed, sweep when due, silences, notifications, sends. Resolves when done. */
  async pass(): Promise<void> {
    try {
      const now = this.o.clock.now();
      await this.refreshRules();
      this.silenceList = await this.o.store.alerts.silences(now);
      while ((await this.evaluator.readFeed()) > 0) { /* drain the feed */ }
      if (now - this.lastSweep >= (this.o.sweepMs ?? 15_000)) {
        this.lastSweep = now;
        await this.evaluator.sweep();
        await this.upcoming(now);
      }
      const next = await this.notifier.pass(this.silenceList);
      await this.sender.pass();
      if (next !== undefined && !this.stopped && (this.nextNotify === undefined || next < this.nextNotify || this.nextNotify <= now)) {
        this.nextNotify = next;
        this.timers[1]?.();
        this.timers[1] = this.o.clock.setTimer(Math.max(0, next - this.o.clock.now()), () => this.wake());
      }
      // A retried delivery is due later than this pass: look again when the feed ticks.
    } catch (e) {
      this.o.report?.(`alerts: ${errorMessage(e)}`);
    }
  }

  /** Waits for the pass in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops the loops; a pass in flight finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t?.();
    this.delayed?.();
    this.delayed = undefined;
    await this.idle();
    await Promise.all([...this.o.channels.values()].map((c) => c.close().catch(() => undefined)));
  }

  /** A schedule tick the scheduler skipped or fired (the run loop reports them). */
  async tick(t: { scheduleId: string; workflow?: string; tickAt: number; outcome: string; refused?: string }): Promise<void> {
    if (t.outcome === 'skipped-misfire') await this.evaluator.scheduleMissed(t.scheduleId, t.workflow, t.tickAt);
    else if (t.outcome === 'skipped-backpressure') await this.evaluator.scheduleMissed(t.scheduleId, t.workflow, t.tickAt, t.refused ?? 'intake refused new runs');
    else if (t.outcome === 'created') await this.evaluator.scheduleFired(t.scheduleId, t.workflow);
  }

  /**
   * Notices of schedules that asked `notify: { before }`: one per tick and channel (the
   * delivery id is the tick), sent at the first sweep within `before` of the tick.
   */
  private async upcoming(now: number): Promise<void> {
    for (const s of await this.o.store.listSchedules()) {
      const notify = s.spec.notify;
      if (!notify || s.paused || !s.spec.enabled) continue;
      const [next] = nextFireTimes(s.spec, now, 1);
      if (next === undefined || next - now > notify.beforeMs) continue;
      const body: RunUpcomingNotification = {
        version: NOTIFICATION_VERSION, type: 'run-upcoming', workflow: s.workflow, schedule: s.id,
        scheduledFor: new Date(next).toISOString(), sentAt: new Date(now).toISOString(),
        ...(this.o.publicUrl ? { url: this.o.publicUrl } : {}),
      };
      const channels = notify.channels ?? this.o.defaultNotify ?? [...this.o.channels.keys()];
      await this.o.store.alerts.apply({
        deliveries: channels.map((c) => ({
          id: `ru_${s.id}_${next}_${c}`, channel: c, body: body as unknown as JsonObject, alertIds: [], reason: 'run-upcoming', state: 'pending', attempts: 0, nextAt: now, createdAt: now,
        })),
      });
    }
  }

  private async runReport(e: RunEnded): Promise<void> {
    const notify = e.spec?.notify;
    const run = e.run;
    if (!notify || (run.state !== 'succeeded' && run.state !== 'failed' && run.state !== 'cancelled')) return;
    const on = run.state === 'succeeded' ? 'success' : run.state === 'failed' ? 'failure' : 'cancelled';
    if (!notify.on.includes(on)) return;
    const now = this.o.clock.now();
    const steps = await this.o.store.getStepRuns(run.id);
    const body: RunReportNotification = {
      version: NOTIFICATION_VERSION, type: 'run-report', workflow: run.workflow, runId: run.id, state: run.state,
      durationMs: (run.endedAt ?? now) - (run.startedAt ?? run.createdAt),
      failedSteps: steps.filter((s) => s.state === 'failed').map((s) => ({ id: s.stepId, ...(s.error?.message ? { error: s.error.message } : {}) })),
      sentAt: new Date(now).toISOString(),
      ...(this.o.publicUrl ? { url: `${this.o.publicUrl.replace(/\/$/, '')}/runs/${run.id}` } : {}),
    };
    const channels = notify.channels ?? this.o.defaultNotify ?? [...this.o.channels.keys()];
    // One report per run and channel, whichever server reads the run's end first (the id is its key).
    const deliveries: DeliveryRecord[] = channels.map((c) => ({
      id: `rr_${run.id}_${c}`, channel: c, body: body as unknown as JsonObject, alertIds: [], reason: 'run-report', state: 'pending', attempts: 0, nextAt: now, createdAt: now,
    }));
    await this.o.store.alerts.apply({ deliveries });
  }

  private delivered(r: DeliveryReport): void {
    this.o.onDelivery?.(r);
    const name = r.delivery.channel;
    if (r.outcome.ok) {
      if ((this.failures.get(name) ?? 0) > 0) void this.book.clear(this.channelRule.name, { channel: name }, 'a delivery succeeded').catch(() => undefined);
      this.failures.set(name, 0);
      return;
    }
    const n = (this.failures.get(name) ?? 0) + 1;
    this.failures.set(name, n);
    if (n === (this.o.channelFailures ?? 3)) {
      // Told on every other channel: a channel cannot report its own failure.
      const others = [...this.o.channels.keys()].filter((c) => c !== name);
      const rule = { ...this.channelRule, notify: this.channelRule.notify.filter((c) => c !== name).length ? this.channelRule.notify.filter((c) => c !== name) : others, group: { ...this.channelRule.group, waitMs: 0 } };
      void this.book.fire(rule, { channel: name }, `channel ${name} failed ${n} deliveries in a row: ${r.outcome.error ?? 'no detail'}`, { lastError: r.outcome.error ?? null }, this.silenceList)
        .catch((e: unknown) => this.o.report?.(`alerts: ${errorMessage(e)}`));
    }
  }

  list(f?: AlertFilter): Promise<AlertRecord[]> {
    return this.o.store.alerts.list(f);
  }

  /** Creates a silence; matching alerts stop notifying at the next pass. */
  async silence(s: SilenceInput): Promise<SilenceRecord> {
    const now = this.o.clock.now();
    const rec: SilenceRecord = { id: newAlertId('si', now), matchers: s.matchers, startsAt: s.startsAt ?? now, endsAt: s.endsAt, createdBy: s.createdBy, createdAt: now, ...(s.comment ? { comment: s.comment } : {}) };
    await this.o.store.alerts.createSilence(rec);
    this.wake();
    return rec;
  }

  /** Ends a silence early; false when it had ended. */
  async unsilence(id: string): Promise<boolean> {
    const ok = await this.o.store.alerts.expireSilence(id, this.o.clock.now());
    this.wake();
    return ok;
  }
}
