/**
 * @module observe/alerts/rules
 * Alert rules compiled from `baton.config.yaml` and workflows' `alerts:`, with the
 * thresholds a nightly-batch team expects when nothing is configured. Grouping defaults are
 * Alertmanager's documented ones (group_wait 30s, group_interval 5m, repeat_interval 4h).
 */
import type { ParsedAlertRule, ParsedEscalation } from '../../workflow/index.js';
import type { StoredAlertRule } from '../../store/index.js';
import { ALERT_KINDS, formatSpecError, parseDuration, validateAlertRule } from '../../workflow/index.js';

/** A rule kind (`run-failed`, `step-duration`, …). */
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Defaults of every threshold, ms / fractions / MB. */
export const ALERT_DEFAULTS = {
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatMs: 4 * 3_600_000,
  escalateAfterMs: 15 * 60_000,
  stepDurationMs: 30 * 60_000,
  runDurationMs: 4 * 3_600_000,
  failureRate: 0.2,
  failureWindowMs: 3_600_000,
  failureMinRuns: 5,
  maxMemoryMb: 1000,
  maxCpu: 0.8,
  /** cpu is judged over attempts at least this long (one minute, the averaging window). */
  cpuWindowMs: 60_000,
  queuedTooLongMs: 30 * 60_000,
  maxQueued: 1000,
  /** A `maxQueuedRuns` backpressure alert resolves once the runs waiting fall under this share of it (hysteresis). */
  queuedRunsResolveFraction: 0.9,
  /** `p95Factor` reads the succeeded step runs of the last 30 days… */
  p95WindowMs: 30 * 86_400_000,
  /** …when there are at least 5 of them (fewer say little: only `after` applies then)… */
  p95MinSamples: 5,
  /** …and reads them again at most every 5 minutes per workflow (the sweep runs every 15 s). */
  p95CacheMs: 5 * 60_000,
} as const;

/**
 * Where a rule in effect comes from: `builtin` (no `alerts:` in the config), `config`
 * (`baton.config.yaml`), `api` (set with `PUT /api/v1/alert-rules/{name}`, overriding the
 * others of its name), `workflow` (a workflow's own `alerts:`, for its runs only).
 */
export type AlertRuleSource = 'builtin' | 'config' | 'api' | 'workflow';

/** A compiled rule. */
export interface AlertRule {
  name: string;
  /** Where it comes from; set by {@link RuleSet} (absent on a rule compiled on its own). */
  source?: AlertRuleSource;
  /** The rule as written (config shape), for listings; set by {@link RuleSet}. */
  definition?: ParsedAlertRule;
  kind: AlertKind;
  severity: 'info' | 'warning' | 'critical';
  /** Workflow name globs (`*`); absent = all. */
  workflows?: string[];
  steps?: string[];
  /** Channels of the first message (escalation level 0). */
  notify: string[];
  group: { waitMs: number; intervalMs: number; repeatMs: number; by: string[] };
  escalate?: { levels: { notify: string[]; afterMs: number }[]; repeat: number; ackTimeoutMs?: number };
  labels: Record<string, string>;
  includeContinueOnError: boolean;
  afterMs?: number;
  p95Factor?: number;
  threshold: number;
  windowMs: number;
  minRuns: number;
  maxMemoryBytes: number;
  maxCpu: number;
  maxQueued: number;
  /** backpressure: set, the rule judges runs waiting to start against it instead of step runs against `maxQueued`. */
  maxQueuedRuns?: number;
  enabled: boolean;
}

const ms = (v: string | number | undefined): number | undefined => (v === undefined ? undefined : parseDuration(v));

/** The built-in rules: one per kind, named after it, notifying `defaultNotify` only. */
export function builtinRules(): ParsedAlertRule[] {
  return ALERT_KINDS.map((kind) => ({ name: kind, rule: kind }));
}

/**
 * The built-in intake rules, from the config's `backpressure:` thresholds: `intake-warning`
 * (severity warning, at `warning` runs waiting to start) and `intake-critical` (severity
 * critical, at `critical`), both of kind `backpressure` with `maxQueuedRuns`. They are in
 * force beside the config's `alerts:` too; a rule of the same name (config or API) replaces
 * one, `enabled: false` turns it off.
 */
export function intakeRules(limits: { warning: number; critical: number }): ParsedAlertRule[] {
  return [
    { name: 'intake-warning', rule: 'backpressure', severity: 'warning', maxQueuedRuns: limits.warning },
    { name: 'intake-critical', rule: 'backpressure', severity: 'critical', maxQueuedRuns: limits.critical },
  ];
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Whether `name` matches one of `patterns` (`*` globs); absent patterns match everything. */
export function matchesAny(patterns: readonly string[] | undefined, name: string | undefined): boolean {
  if (!patterns || patterns.length === 0) return true;
  if (name === undefined) return false;
  return patterns.some((p) => glob(p).test(name));
}

/**
 * Compiles one rule. `fallbackNotify`: channels of a rule that names none (a written rule
 * notifies every channel; a built-in one only `defaultNotify`). `defaultEscalate`: the
 * config's chain, for a rule without `escalate` of its own — compiled as if written on the
 * rule (so its first level's channels are the rule's when it names none).
 * @throws Error when a duration does not parse (the schema already checked it).
 */
export function compileRule(r: ParsedAlertRule, fallbackNotify: readonly string[], defaultEscalate?: ParsedEscalation): AlertRule {
  const kind = r.rule;
  const escalate = r.escalate ?? defaultEscalate;
  const levels = escalate?.levels.map((l) => ({ notify: l.notify, afterMs: ms(l.after) ?? ALERT_DEFAULTS.escalateAfterMs }));
  const rule: AlertRule = {
    name: r.name, kind,
    severity: r.severity ?? (kind === 'run-failed' || kind === 'worker-lost' || kind === 'channel-failing' || kind === 'deadline-missed' ? 'critical' : 'warning'),
    notify: r.notify ?? levels?.[0]?.notify ?? [...fallbackNotify],
    group: {
      waitMs: ms(r.group?.wait) ?? ALERT_DEFAULTS.groupWaitMs,
      intervalMs: ms(r.group?.interval) ?? ALERT_DEFAULTS.groupIntervalMs,
      repeatMs: ms(r.group?.repeat) ?? ALERT_DEFAULTS.repeatMs,
      by: r.group?.by ?? ['workflow'],
    },
    labels: r.labels ?? {},
    includeContinueOnError: r.includeContinueOnError ?? false,
    threshold: r.threshold ?? ALERT_DEFAULTS.failureRate,
    windowMs: ms(r.window) ?? ALERT_DEFAULTS.failureWindowMs,
    minRuns: r.minRuns ?? ALERT_DEFAULTS.failureMinRuns,
    maxMemoryBytes: (r.maxMemoryMb ?? ALERT_DEFAULTS.maxMemoryMb) * 1024 * 1024,
    maxCpu: r.maxCpu ?? ALERT_DEFAULTS.maxCpu,
    maxQueued: r.maxQueued ?? ALERT_DEFAULTS.maxQueued,
    enabled: r.enabled ?? true,
  };
  if (r.maxQueuedRuns !== undefined) rule.maxQueuedRuns = r.maxQueuedRuns;
  if (r.workflows) rule.workflows = r.workflows;
  if (r.steps) rule.steps = r.steps;
  const after = ms(r.after) ?? (kind === 'step-duration' && r.p95Factor !== undefined ? undefined
    : kind === 'step-duration' ? ALERT_DEFAULTS.stepDurationMs
    : kind === 'run-duration' ? ALERT_DEFAULTS.runDurationMs
    : kind === 'queued-too-long' ? ALERT_DEFAULTS.queuedTooLongMs : undefined);
  if (after !== undefined) rule.afterMs = after;
  if (r.p95Factor !== undefined) rule.p95Factor = r.p95Factor;
  if (levels) {
    rule.escalate = { levels, repeat: escalate?.repeat ?? 1 };
    const ack = ms(escalate?.ackTimeout);
    if (ack !== undefined) rule.escalate.ackTimeoutMs = ack;
  }
  return rule;
}

/** A rule in effect as listings show it (`GET /alerts/rules`, `baton alerts rules`). */
export interface AlertRuleSummary {
  name: string;
  kind: AlertKind;
  /** Where it comes from (a workflow's own rules are not listed: they apply to its runs only). */
  source: 'builtin' | 'config' | 'api';
  severity: AlertRule['severity'];
  enabled: boolean;
  /** Channels of its first message. */
  notify: string[];
  /** The rule as written (config shape), when known. */
  definition?: Record<string, unknown>;
}

/** The listing of one rule of {@link RuleSet.server}. */
export function summarizeRule(r: AlertRule): AlertRuleSummary {
  return {
    name: r.name, kind: r.kind, source: r.source === 'api' || r.source === 'config' ? r.source : 'builtin', severity: r.severity, enabled: r.enabled, notify: r.notify,
    ...(r.definition ? { definition: { ...r.definition } } : {}),
  };
}

/**
 * The rules set through the API as stored, checked again (shape only: channels are each
 * server's): the valid ones, and a sentence for each one left out (written by a newer
 * baton, or by hand).
 */
export function decodeStoredRules(stored: readonly StoredAlertRule[]): { rules: ParsedAlertRule[]; problems: string[] } {
  const rules: ParsedAlertRule[] = [];
  const problems: string[] = [];
  for (const r of stored) {
    const { rule, errors } = validateAlertRule(r.definition, { label: `alert rule ${r.name}`, name: r.name });
    if (rule) rules.push(rule);
    else problems.push(`rule ${r.name} set through the API is left out: ${errors.map(formatSpecError).join('; ')}`);
  }
  return { rules, problems };
}

/** The server's rules (built-in or the config's, overridden by those set through the API) and how a workflow's own rules join them. */
export class RuleSet {
  private readonly byVersion = new Map<string, AlertRule[]>();
  private readonly base: AlertRule[];
  private api: AlertRule[] = [];
  private merged: AlertRule[];

  /**
   * @param server - the config's `alerts:`; absent = the built-in rules.
   * @param channels - every configured channel (a written rule without `notify` uses them all).
   * @param defaultNotify - channels of built-in rules and of rules without `notify`, when set. @default []
   * @param defaultEscalate - the chain of every rule without `escalate` (the config's `defaultEscalate`). @default none
   * @param intake - built-in rules in force whatever `server` is ({@link intakeRules}), unless it has one of their names. @default []
   */
  constructor(
    server: ParsedAlertRule[] | undefined,
    private readonly channels: readonly string[],
    private readonly defaultNotify: readonly string[] | undefined,
    readonly defaultEscalate?: ParsedEscalation,
    intake: readonly ParsedAlertRule[] = [],
  ) {
    const builtin = server === undefined;
    const source: AlertRuleSource = builtin ? 'builtin' : 'config';
    this.base = (server ?? builtinRules()).map((r) => ({ ...compileRule(r, builtin ? defaultNotify ?? [] : defaultNotify ?? channels, defaultEscalate), source, definition: r }));
    const named = new Set(this.base.map((r) => r.name));
    for (const r of intake) {
      if (!named.has(r.name)) this.base.push({ ...compileRule(r, defaultNotify ?? [], defaultEscalate), source: 'builtin', definition: r });
    }
    this.merged = this.base;
  }

  /** Rules that apply to every workflow: the config's (or built-in) ones, each replaced by an API rule of its name, then the other API rules. */
  get server(): AlertRule[] {
    return this.merged;
  }

  /**
   * Replaces the rules set through the API (already validated); workflows' rule lists are
   * compiled again at their next run.
   */
  setApiRules(rules: readonly ParsedAlertRule[]): void {
    this.api = rules.map((r) => ({ ...compileRule(r, this.defaultNotify ?? this.channels, this.defaultEscalate), source: 'api' as const, definition: r }));
    const byName = new Map(this.api.map((r) => [r.name, r]));
    this.merged = [...this.base.map((r) => byName.get(r.name) ?? r), ...this.api.filter((r) => !this.base.some((b) => b.name === r.name))];
    this.byVersion.clear();
  }

  /** The rules for runs of `spec` (cached by version): the server's, a workflow rule replacing the one of its name. */
  forWorkflow(version: string, spec: { alerts?: ParsedAlertRule[] | undefined } | undefined): AlertRule[] {
    let rules = this.byVersion.get(version);
    if (rules) return rules;
    const own = (spec?.alerts ?? []).map((r) => ({ ...compileRule(r, this.defaultNotify ?? this.channels, this.defaultEscalate), source: 'workflow' as const, definition: r }));
    const names = new Set(own.map((r) => r.name));
    rules = [...this.server.filter((r) => !names.has(r.name)), ...own].filter((r) => r.enabled);
    if (this.byVersion.size > 500) this.byVersion.clear();
    this.byVersion.set(version, rules);
    return rules;
  }

  /** Rules of one kind that apply to `workflow` (and `step`). */
  applicable(rules: readonly AlertRule[], kind: AlertKind, workflow?: string, step?: string): AlertRule[] {
    return rules.filter((r) => r.kind === kind && r.enabled && (workflow === undefined || matchesAny(r.workflows, workflow)) && (step === undefined || matchesAny(r.steps, step)));
  }
}
