/**
 * @module workflow/config
 * `baton.config.yaml`: read (bounded), parsed with positions, validated like a workflow —
 * every problem at once, each with file, line, column, field path and a did-you-mean for
 * unknown fields. Durations stay as written; observe/ compiles rules and channels.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { WorkflowValidationError } from './errors.js';
import type { SpecError } from './errors.js';
import { alertKnownKeysAt, formatPath, fromZodIssue, suggest, toSpecError } from './issues.js';
import type { Issue, PathSegment } from './issues.js';
import { byPosition, offsetOf, readBounded } from './load.js';
import { parseSource } from './source.js';
import { AlertRuleSchema, CONFIG_KNOWN_KEYS, ConfigSchema } from './config-schema.js';
import type { ParsedAlertRule, ParsedBackpressure, ParsedConfig, ParsedEscalation } from './config-schema.js';
import { parseDuration } from './duration.js';

/** The config file's name, looked for beside `--workflows`. */
export const CONFIG_FILE_NAME = 'baton.config.yaml';

/** A validated config. */
export interface BatonConfig extends ParsedConfig {
  /** Absolute folder the config came from: relative secret files and command channels resolve here. */
  baseDir: string;
  /** The file, when it came from one. */
  sourcePath?: string;
}

function configKeysAt(path: readonly PathSegment[]): readonly string[] {
  const [first, , third] = path;
  if (path.length === 0) return CONFIG_KNOWN_KEYS.config;
  if (first === 'channels' && path.length === 2) return CONFIG_KNOWN_KEYS.channel;
  if (first === 'channels' && path.length === 3 && (third === 'webhook' || third === 'email' || third === 'command')) return CONFIG_KNOWN_KEYS[third];
  if (first === 'channels' && path.length === 4 && third === 'email' && path[3] === 'auth') return ['user', 'password'];
  if (first === 'alerts' && typeof path[1] === 'number') return alertKnownKeysAt(path.slice(2));
  if (first === 'defaultEscalate') return alertKnownKeysAt(['escalate', ...path.slice(1)]);
  if (first === 'retention' && path.length === 1) return CONFIG_KNOWN_KEYS.retention;
  if (first === 'backpressure' && path.length === 1) return CONFIG_KNOWN_KEYS.backpressure;
  if (first === 'throttle' && path.length === 1) return CONFIG_KNOWN_KEYS.throttle;
  if (first === 'secrets' && path.length === 2) return ['name', 'env', 'file'];
  return [];
}

/** `warning <= critical <= reject`, each with its default where absent. */
function checkBackpressure(b: ParsedBackpressure | undefined): Issue[] {
  if (!b) return [];
  const warning = b.warning ?? BACKPRESSURE_DEFAULTS.warning;
  const critical = b.critical ?? BACKPRESSURE_DEFAULTS.critical;
  const reject = b.reject ?? BACKPRESSURE_DEFAULTS.reject;
  const issues: Issue[] = [];
  if (warning > critical) issues.push({ code: 'invalid-value', message: `warning (${warning}) must not be above critical (${critical})`, path: ['backpressure', b.warning !== undefined ? 'warning' : 'critical'] });
  if (critical > reject) issues.push({ code: 'invalid-value', message: `critical (${critical}) must not be above reject (${reject})`, path: ['backpressure', b.critical !== undefined ? 'critical' : 'reject'] });
  return issues;
}

/**
 * Defaults of `backpressure:` (runs waiting to start; `retryAfterMs` in ms): a warning at
 * 100, a critical alert at 500, new runs refused at 1000, told to retry after 30 s.
 */
export const BACKPRESSURE_DEFAULTS = { warning: 100, critical: 500, reject: 1000, retryAfterMs: 30_000 } as const;

/** `backpressure:` with every default filled in; `retryAfterMs` in ms. */
export interface BackpressureLimits {
  warning: number;
  critical: number;
  reject: number;
  retryAfterMs: number;
}

/**
 * The config's `backpressure:` (absent: every default) compiled: {@link BACKPRESSURE_DEFAULTS}
 * where a field is absent, `retryAfter` in ms. @throws Error for a duration that does not
 * parse (the schema already checked it)
 */
export function backpressureLimits(b: ParsedBackpressure | undefined): BackpressureLimits {
  return {
    warning: b?.warning ?? BACKPRESSURE_DEFAULTS.warning,
    critical: b?.critical ?? BACKPRESSURE_DEFAULTS.critical,
    reject: b?.reject ?? BACKPRESSURE_DEFAULTS.reject,
    retryAfterMs: b?.retryAfter === undefined ? BACKPRESSURE_DEFAULTS.retryAfterMs : parseDuration(b.retryAfter),
  };
}

/**
 * Checks what the shape cannot: one kind per channel, rules and escalation levels naming
 * channels that exist, channels naming secrets that exist, rule names unique. Exported so
 * a workflow's own `alerts:` can be checked against the server's channels.
 */
export function checkRules(rules: readonly ParsedAlertRule[], channels: ReadonlySet<string>, at: PathSegment[]): Issue[] {
  const issues: Issue[] = [];
  const names = new Map<string, number>();
  const channelRef = (name: string, path: PathSegment[]): void => {
    const found = unknownChannel(name, channels, path);
    if (found) issues.push(found);
  };
  rules.forEach((r, i) => {
    const first = names.get(r.name);
    if (first !== undefined) issues.push({ code: 'invalid-value', message: `alert name "${r.name}" is used twice (first at ${formatPath([...at, first, 'name'])})`, path: [...at, i, 'name'] });
    else names.set(r.name, i);
    r.notify?.forEach((c, j) => channelRef(c, [...at, i, 'notify', j]));
    issues.push(...checkEscalation(r.escalate, channels, [...at, i, 'escalate']));
    if (r.rule === 'failure-rate' && r.threshold !== undefined && r.threshold > 1) {
      issues.push({ code: 'invalid-value', message: 'threshold is a fraction from 0 to 1 (0.2 = 20 %)', path: [...at, i, 'threshold'] });
    }
  });
  return issues;
}

/** A reference to a channel that is not configured, with a did-you-mean; undefined when it is. */
function unknownChannel(name: string, channels: ReadonlySet<string>, path: PathSegment[]): Issue | undefined {
  if (channels.has(name)) return undefined;
  const found: Issue = { code: 'invalid-value', message: `unknown channel "${name}"${channels.size ? '' : ' (no channels are configured)'}`, path };
  const s = suggest(name, [...channels]);
  if (s !== undefined) found.suggestion = s;
  return found;
}

/** Escalation levels naming channels that do not exist (a rule's `escalate`, the config's `defaultEscalate`), at `at`. */
function checkEscalation(e: ParsedEscalation | undefined, channels: ReadonlySet<string>, at: PathSegment[]): Issue[] {
  return (e?.levels ?? []).flatMap((l, j) => l.notify.flatMap((c, k) => unknownChannel(c, channels, [...at, 'levels', j, 'notify', k]) ?? []));
}

function checkConfig(c: ParsedConfig): Issue[] {
  const issues: Issue[] = [];
  const secrets = new Set((c.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.name)));
  const secretRef = (name: string | undefined, path: PathSegment[]): void => {
    if (name === undefined || secrets.has(name)) return;
    const found: Issue = { code: 'invalid-value', message: `unknown secret "${name}": declare it under secrets`, path };
    const s = suggest(name, [...secrets]);
    if (s !== undefined) found.suggestion = s;
    issues.push(found);
  };
  for (const [name, ch] of Object.entries(c.channels ?? {})) {
    const kinds = (['webhook', 'email', 'command'] as const).filter((k) => ch[k] !== undefined);
    if (kinds.length !== 1) {
      issues.push({ code: 'invalid-value', message: kinds.length === 0 ? 'a channel needs one of webhook, email, command' : `a channel has one kind, not ${kinds.join(' and ')}`, path: ['channels', name], atKey: true });
    }
    secretRef(ch.webhook?.secret, ['channels', name, 'webhook', 'secret']);
    secretRef(ch.email?.auth?.password, ['channels', name, 'email', 'auth', 'password']);
    ch.command?.secrets?.forEach((s, i) => secretRef(s, ['channels', name, 'command', 'secrets', i]));
  }
  const channels = new Set(Object.keys(c.channels ?? {}));
  issues.push(...checkRules(c.alerts ?? [], channels, ['alerts']));
  issues.push(...checkEscalation(c.defaultEscalate, channels, ['defaultEscalate']));
  for (const [i, n] of (c.defaultNotify ?? []).entries()) {
    if (!channels.has(n)) issues.push({ code: 'invalid-value', message: `unknown channel "${n}"`, path: ['defaultNotify', i] });
  }
  issues.push(...checkBackpressure(c.backpressure));
  return issues;
}

/**
 * Validates a config given as text. Never throws for bad input.
 * @param o.label - the name errors carry as `file`.
 * @param o.baseDir - folder relative paths resolve from.
 */
export function validateConfigText(text: string, o: { label: string; baseDir: string; sourcePath?: string }): { config?: BatonConfig; errors: SpecError[] } {
  const source = parseSource(text, o.label, 'yaml');
  if (!source.ok) return { errors: source.errors };
  const { doc, raw, locate } = source;
  const positioned = (list: Issue[]): SpecError[] =>
    list.map((issue) => ({ ...toSpecError(issue, o.label), ...locate(offsetOf(doc, issue.path, issue.atKey ?? false)) })).sort(byPosition);
  // An empty file is an empty config: every default applies.
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const shape = result.error.issues.flatMap((issue) => fromZodIssue(issue, raw, configKeysAt));
    // Every problem at once: the cross-field checks also run over what the shape let through
    // (best effort: a value of the wrong type is already reported above).
    let cross: Issue[] = [];
    try {
      cross = checkConfig((raw ?? {}));
    } catch {
      cross = [];
    }
    return { errors: positioned([...shape, ...cross.filter((c) => !shape.some((i) => formatPath(i.path) === formatPath(c.path)))]) };
  }
  const issues = checkConfig(result.data);
  if (issues.length > 0) return { errors: positioned(issues) };
  return { config: { ...result.data, baseDir: o.baseDir, ...(o.sourcePath !== undefined ? { sourcePath: o.sourcePath } : {}) }, errors: [] };
}

/** Options of {@link validateAlertRule} and {@link validateAlertRuleText}. */
export interface AlertRuleCheck {
  /** What errors carry as `file` (a file name, `request body`). */
  label: string;
  /** The name the rule must have (the API path's, the CLI argument); filled in when the rule has none. */
  name?: string;
  /** The channels that exist: unknown ones are errors. Absent = not checked (the CLI without a config). */
  channels?: ReadonlySet<string>;
}

function ruleIssues(raw: unknown, o: AlertRuleCheck): { rule?: ParsedAlertRule; issues: Issue[] } {
  const value = o.name !== undefined && raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('name' in raw) ? { name: o.name, ...raw } : raw;
  const result = AlertRuleSchema.safeParse(value);
  if (!result.success) return { issues: result.error.issues.flatMap((issue) => fromZodIssue(issue, value, alertKnownKeysAt)) };
  const rule = result.data;
  const issues: Issue[] = [];
  if (o.name !== undefined && rule.name !== o.name) issues.push({ code: 'invalid-value', message: `the rule is named "${rule.name}", not "${o.name}"`, path: ['name'] });
  // checkRules reports under a list index; one rule is the list's only item.
  if (o.channels) issues.push(...checkRules([rule], o.channels, []).map((i) => ({ ...i, path: i.path.slice(1) })));
  else if (rule.rule === 'failure-rate' && rule.threshold !== undefined && rule.threshold > 1) {
    issues.push({ code: 'invalid-value', message: 'threshold is a fraction from 0 to 1 (0.2 = 20 %)', path: ['threshold'] });
  }
  return issues.length ? { issues } : { rule, issues };
}

/**
 * Validates one alert rule given as a value (a parsed API body) against the schema of a
 * `baton.config.yaml` rule, and what the schema cannot check (unknown channels, a fraction
 * above 1). Every problem at once, each with its field path and a did-you-mean for unknown
 * fields. Never throws for bad input.
 */
export function validateAlertRule(raw: unknown, o: AlertRuleCheck): { rule?: ParsedAlertRule; errors: SpecError[] } {
  const { rule, issues } = ruleIssues(raw, o);
  return rule ? { rule, errors: [] } : { errors: issues.map((i) => toSpecError(i, o.label)) };
}

/**
 * {@link validateAlertRule} for a rule written as YAML or JSON text (`baton alerts rules set
 * NAME --file rule.yaml`): errors also carry line and column.
 */
export function validateAlertRuleText(text: string, o: AlertRuleCheck): { rule?: ParsedAlertRule; errors: SpecError[] } {
  const source = parseSource(text, o.label, 'yaml');
  if (!source.ok) return { errors: source.errors };
  const { rule, issues } = ruleIssues(source.raw, o);
  if (rule) return { rule, errors: [] };
  return { errors: issues.map((i) => ({ ...toSpecError(i, o.label), ...source.locate(offsetOf(source.doc, i.path, i.atKey ?? false)) })).sort(byPosition) };
}

/**
 * Loads `path` (a regular file of at most 1 MiB).
 * @throws WorkflowValidationError with every problem, each with file, line, column and field.
 */
export async function loadConfigFile(path: string): Promise<BatonConfig> {
  const read = await readBounded(path, 'config file');
  if (typeof read !== 'string') throw new WorkflowValidationError([{ code: 'file-read', message: read.problem, path: '', file: path }]);
  const { config, errors } = validateConfigText(read, { label: path, baseDir: dirname(resolve(path)), sourcePath: resolve(path) });
  if (!config) throw new WorkflowValidationError(errors);
  return config;
}

/**
 * The config a server uses: `explicit` when given (it must exist), else
 * `baton.config.yaml` beside the workflows folder when present, else none (built-in rules).
 * @throws WorkflowValidationError as {@link loadConfigFile}.
 */
export async function findConfig(explicit: string | undefined, workflowsDir: string | undefined): Promise<BatonConfig | undefined> {
  if (explicit !== undefined) return loadConfigFile(explicit);
  if (workflowsDir === undefined) return undefined;
  for (const dir of [workflowsDir, dirname(resolve(workflowsDir))]) {
    const candidate = join(dir, CONFIG_FILE_NAME);
    if (existsSync(candidate)) return loadConfigFile(candidate);
  }
  return undefined;
}
