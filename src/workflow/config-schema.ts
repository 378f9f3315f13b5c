/**
 * @module workflow/config-schema
 * The authored shape of `baton.config.yaml`, the server-wide configuration: notification
 * channels, alert rules, retention, and the secrets channels read. A workflow's own
 * `alerts:`, `notify:` and `retention:` use the same pieces, so a rule reads the same
 * wherever it is written. Shape only; cross-field checks (a rule naming an unknown
 * channel) live in `config.ts`.
 */
import { z } from 'zod';
import { durationOf, ENV_NAME_PATTERN, SecretSchema, STEP_ID_PATTERN } from './schema-base.js';

const duration = durationOf(false);
const delay = durationOf(true);

const nameError = 'names use lowercase letters, digits, "_" and "-"';
/** A channel or rule name: lowercase, as step ids, so it is safe in URLs, labels and file names. */
export const configName = (what: string) => z.string({ error: `${what} must be a name` })
  .min(1, { error: `${what} must not be empty` })
  .max(100, { error: `${what} is too long: at most 100 characters` })
  .regex(STEP_ID_PATTERN, { error: `${what}: ${nameError}` });

const secretRef = z.string({ error: 'must name one of the config\'s secrets' }).regex(ENV_NAME_PATTERN, { error: 'must name one of the config\'s secrets' });
const headerMap = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'header names use letters, digits and "-"' }), z.string(), { error: 'headers must be a map of header name to value' });

/** `webhook:` channel: POSTs the notification as JSON. */
export const WebhookChannelSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'url must be an http:// or https:// URL' }),
  /** Name of a config secret whose value signs the body (HMAC-SHA256, as baton's inbound webhooks). */
  secret: secretRef.optional(),
  /** `baton` (the versioned JSON body) or `slack` (Slack-compatible `text` + `blocks`). */
  format: z.enum(['baton', 'slack'], { error: 'format must be "baton" or "slack"' }).optional(),
  headers: headerMap.optional(),
  timeout: duration.optional(),
});

/** `email:` channel: SMTP through nodemailer. */
export const EmailChannelSchema = z.strictObject({
  host: z.string({ error: 'host must be a host name' }).min(1),
  port: z.number({ error: 'port must be a number' }).int().min(1).max(65535, { error: 'port must be 1..65535' }).optional(),
  /** Implicit TLS (port 465). Without it, STARTTLS is used when the server offers it. */
  secure: z.boolean({ error: 'secure must be true or false' }).optional(),
  /** Refuse to send unless STARTTLS succeeds. */
  requireTls: z.boolean({ error: 'requireTls must be true or false' }).optional(),
  auth: z.strictObject({ user: z.string().min(1), password: secretRef }, { error: 'auth must be { user, password: SECRET_NAME }' }).optional(),
  from: z.string({ error: 'from must be an address' }).min(3),
  to: z.union([z.string().min(3), z.array(z.string().min(3)).min(1)], { error: 'to must be an address or a list of them' }),
  subjectPrefix: z.string().max(100).optional(),
  timeout: duration.optional(),
});

/** `command:` channel: runs a shell command with the notification as JSON on stdin. */
export const CommandChannelSchema = z.strictObject({
  run: z.string({ error: 'run must be a shell command' }).min(1, { error: 'run must not be empty' }),
  timeout: duration.optional(),
  /** Extra environment; secrets named here reach the command as env vars of the same name. */
  secrets: z.array(secretRef).optional(),
});

/** One channel: exactly one of `webhook`, `email`, `command` (checked in config.ts), plus shared settings. */
export const ChannelSchema = z.strictObject({
  webhook: WebhookChannelSchema.optional(),
  email: EmailChannelSchema.optional(),
  command: CommandChannelSchema.optional(),
  /** Whether resolve messages go here. @default true */
  sendResolved: z.boolean({ error: 'sendResolved must be true or false' }).optional(),
});

/** Alert rule kinds; DESIGN.md's glossary names the conditions. */
export const ALERT_KINDS = [
  'step-failed', 'run-failed', 'step-duration', 'run-duration', 'failure-rate', 'memory', 'cpu',
  'queued-too-long', 'worker-lost', 'schedule-missed', 'backpressure', 'channel-failing', 'circuit-open',
  'deadline-at-risk', 'deadline-missed',
] as const;

/** Alertmanager-style grouping: how long to wait before the first message, between updates, before a reminder. */
export const GroupSchema = z.strictObject({
  wait: delay.optional(),
  interval: duration.optional(),
  repeat: duration.optional(),
  /** Labels that make a group (besides the rule): @default ['workflow'] */
  by: z.array(z.string().min(1)).optional(),
});

/** An escalation chain: levels of channels, each notified when the previous is not acknowledged within `after`. */
export const EscalationSchema = z.strictObject({
  levels: z.array(z.strictObject({
    notify: z.array(configName('channel name')).min(1),
    after: duration.optional(),
  })).min(1, { error: 'an escalation needs at least one level' }),
  /** How many times the chain is walked before it stops. @default 1 */
  repeat: z.number().int().min(1).max(100).optional(),
  /** An acknowledged alert not resolved within this fires again (PagerDuty's acknowledgement timeout). */
  ackTimeout: duration.optional(),
});

/** One alert rule. Thresholds apply to the kinds that read them. */
export const AlertRuleSchema = z.strictObject({
  name: configName('alert name'),
  rule: z.enum(ALERT_KINDS, { error: `rule must be one of ${ALERT_KINDS.join(', ')}` }),
  /** Limit to workflows (names or `*` globs). */
  workflows: z.array(z.string().min(1)).optional(),
  steps: z.array(z.string().min(1)).optional(),
  severity: z.enum(['info', 'warning', 'critical']).optional(),
  notify: z.array(configName('channel name')).optional(),
  group: GroupSchema.optional(),
  escalate: EscalationSchema.optional(),
  labels: z.record(z.string(), z.string()).optional(),
  /** Count `continueOnError` steps' failures too (step-failed). */
  includeContinueOnError: z.boolean().optional(),
  /** step-duration / run-duration / queued-too-long: fixed bound. */
  after: duration.optional(),
  /** step-duration: bound as a multiple of the step's own p95 from history. */
  p95Factor: z.number().positive().max(1000).optional(),
  /** failure-rate: fraction 0..1 (0.2 = 20 %). */
  threshold: z.number().min(0).optional(),
  window: duration.optional(),
  minRuns: z.number().int().min(1).optional(),
  /** memory: MB. */
  maxMemoryMb: z.number().positive().optional(),
  /** cpu: fraction of one core (0.8). */
  maxCpu: z.number().positive().optional(),
  /** backpressure: queued step runs (the rule's measure unless `maxQueuedRuns` is set). */
  maxQueued: z.number().int().min(1).optional(),
  /**
   * backpressure: runs waiting to start (`Store.api.waitingRuns`); set, the rule judges runs
   * instead of step runs, fires at this depth and resolves below 90 % of it.
   */
  maxQueuedRuns: z.number().int().min(1).optional(),
  enabled: z.boolean().optional(),
});

/**
 * `retention:` ages after which finished runs (with their steps, attempts, events), logs,
 * events and resolved alerts are pruned (30 days each by default), and staged uploads no run
 * was started over (`uploads`, 7 days by default).
 */
export const RetentionSchema = z.strictObject({
  runs: duration.optional(),
  logs: duration.optional(),
  events: duration.optional(),
  alerts: duration.optional(),
  uploads: duration.optional(),
});

const depth = (what: string) => z.number({ error: `${what} must be a number of runs` }).int({ error: `${what} must be a whole number of runs` }).min(1, { error: `${what} must be at least 1` });

/**
 * `backpressure:` thresholds on the runs waiting to start (queued, or started with no step
 * begun): a warning alert at `warning`, a critical one at `critical`, and new runs from the
 * API, webhooks and schedule ticks refused with 429 at `reject`, told to come back after
 * `retryAfter`. Defaults 100, 500, 1000, 30s; `warning <= critical <= reject` (config.ts).
 */
export const BackpressureSchema = z.strictObject({
  warning: depth('warning').optional(),
  critical: depth('critical').optional(),
  reject: depth('reject').optional(),
  retryAfter: duration.optional(),
});

/**
 * `throttle:` the server's adaptive slots (runtime/throttle.ts), as the flags `--max-cpu`,
 * `--max-mem`, `--max-lag` and `--no-throttle` (`enabled: false`); a flag given wins.
 */
export const ThrottleConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
  cpu: z.number({ error: 'cpu must be a fraction above 0, e.g. 0.8' }).positive({ error: 'cpu must be a fraction above 0, e.g. 0.8' }).optional(),
  memory: z.number({ error: 'memory must be a fraction above 0, e.g. 0.8' }).positive({ error: 'memory must be a fraction above 0, e.g. 0.8' }).optional(),
  lag: duration.optional(),
});

/** A workflow's `notify:`: post-run reports. */
export const RunNotifySchema = z.strictObject({
  on: z.array(z.enum(['success', 'failure', 'cancelled'], { error: 'on takes success, failure, cancelled' })).min(1),
  channels: z.array(configName('channel name')).optional(),
});

/** The whole `baton.config.yaml`. */
export const ConfigSchema = z.strictObject({
  /** The dashboard's public URL, for links in messages. */
  publicUrl: z.url({ protocol: /^https?$/, error: 'publicUrl must be an http(s) URL' }).optional(),
  secrets: z.array(SecretSchema, { error: 'secrets must be a list of names or { name, env | file } entries' }).optional(),
  channels: z.record(configName('channel name'), ChannelSchema, { error: 'channels must be a map of channel name to channel' }).optional(),
  /** Channels for rules that name none. @default every channel */
  defaultNotify: z.array(configName('channel name')).optional(),
  alerts: z.array(AlertRuleSchema, { error: 'alerts must be a list of rules' }).optional(),
  /**
   * The escalation chain of every rule that has no `escalate` of its own: the config's, the
   * built-in ones, workflows' and those set through the API.
   */
  defaultEscalate: EscalationSchema.optional(),
  retention: RetentionSchema.optional(),
  backpressure: BackpressureSchema.optional(),
  throttle: ThrottleConfigSchema.optional(),
});

/** Allowed keys per config object kind, for did-you-mean on unknown fields. */
export const CONFIG_KNOWN_KEYS = {
  config: Object.keys(ConfigSchema.shape),
  channel: Object.keys(ChannelSchema.shape),
  webhook: Object.keys(WebhookChannelSchema.shape),
  email: Object.keys(EmailChannelSchema.shape),
  command: Object.keys(CommandChannelSchema.shape),
  alert: Object.keys(AlertRuleSchema.shape),
  group: Object.keys(GroupSchema.shape),
  escalate: Object.keys(EscalationSchema.shape),
  retention: Object.keys(RetentionSchema.shape),
  backpressure: Object.keys(BackpressureSchema.shape),
  throttle: Object.keys(ThrottleConfigSchema.shape),
} as const;

/** The parsed config; durations still as written. */
export type ParsedConfig = z.output<typeof ConfigSchema>;
/** One parsed channel. */
export type ParsedChannel = z.output<typeof ChannelSchema>;
/** One parsed alert rule. */
export type ParsedAlertRule = z.output<typeof AlertRuleSchema>;
/** One parsed escalation chain (a rule's `escalate`, the config's `defaultEscalate`); durations as written. */
export type ParsedEscalation = z.output<typeof EscalationSchema>;
/** The parsed `backpressure:`; `retryAfter` still as written. */
export type ParsedBackpressure = z.output<typeof BackpressureSchema>;
