/**
 * @module observe/channels/types
 * What a notification channel is handed and what it answers. A channel only delivers: the
 * alert lifecycle (grouping, silences, escalation) decides *what* to send and *when*; the
 * delivery queue retries by the outcome a channel returns. Keeping the contract this small
 * lets a webhook, an SMTP server and a shell command be tested the same way.
 */
import type { JsonObject } from '../../shared/index.js';
import type { AlertState } from '../../store/index.js';

/** Version of the JSON body baton sends (`version` field); bumped on an incompatible change. */
export const NOTIFICATION_VERSION = 1;

/** What an alert is about; the fields that apply are set. */
export interface AlertSubject {
  workflow?: string;
  runId?: string;
  stepId?: string;
  worker?: string;
  schedule?: string;
  pool?: string;
  channel?: string;
}

/** Alert severities, weakest first. */
export type AlertSeverity = 'info' | 'warning' | 'critical';

/** One alert as a notification carries it. Times are ISO 8601 (UTC). */
export interface NotifiedAlert {
  /** Stable id, e.g. `al_01J…`; `baton alerts show ID`. */
  id: string;
  /** The rule's name from the config (`any-run-failed`). */
  rule: string;
  /** The rule's kind (`run-failed`, `step-duration`, …). */
  kind: string;
  state: AlertState;
  severity: AlertSeverity;
  /** One line for a human: "run nightly/01J… failed: step `load` exited 1". */
  summary: string;
  subject: AlertSubject;
  /** Labels from the rule and the subject (workflow, step, …); silences match on them. */
  labels: Record<string, string>;
  firedAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  resolvedAt?: string;
  /** Link to the subject in the dashboard, when the server knows its public URL. */
  url?: string;
  /** Kind-specific figures (durations in ms, memory in bytes, rates as fractions). */
  details?: JsonObject;
}

/**
 * Why a message is sent: the group's first message (`new`), alerts joined or resolved
 * (`update`), the periodic reminder of an unacknowledged alert (`repeat`), the next level of
 * an escalation chain (`escalation`), an acknowledged alert left unresolved too long
 * (`refire`), every alert of the group resolved (`resolved`), or `baton alerts test`.
 */
export type NotificationReason = 'new' | 'update' | 'repeat' | 'escalation' | 'refire' | 'resolved' | 'test';

/** A message about a group of alerts (Alertmanager's notion of a group: same rule and grouping labels). */
export interface AlertNotification {
  version: typeof NOTIFICATION_VERSION;
  type: 'alert';
  /** `firing` while any alert of the group is not resolved. */
  status: 'firing' | 'resolved';
  reason: NotificationReason;
  group: { key: string; labels: Record<string, string> };
  /** Set on escalation messages: level from 0, round from 0. */
  escalation?: { level: number; round: number };
  alerts: NotifiedAlert[];
  /** ISO 8601. */
  sentAt: string;
}

/** A post-run report a workflow asked for with `notify: { on: [success, failure] }`. */
export interface RunReportNotification {
  version: typeof NOTIFICATION_VERSION;
  type: 'run-report';
  workflow: string;
  runId: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  /** ms. */
  durationMs: number;
  failedSteps: { id: string; error?: string }[];
  url?: string;
  sentAt: string;
}

/** A notice that a scheduled run will start, asked with a schedule's `notify: { before: 10m }`. */
export interface RunUpcomingNotification {
  version: typeof NOTIFICATION_VERSION;
  type: 'run-upcoming';
  workflow: string;
  schedule: string;
  /** When the tick is due, ISO 8601. */
  scheduledFor: string;
  url?: string;
  sentAt: string;
}

/** Everything a channel may be asked to deliver. */
export type Notification = AlertNotification | RunReportNotification | RunUpcomingNotification;

/**
 * What one delivery attempt came to. `retryable: false` ends the delivery (a 4xx other than
 * 408/429, a refused recipient); otherwise the queue retries with backoff.
 */
export interface DeliveryOutcome {
  ok: boolean;
  retryable: boolean;
  /** HTTP status (webhook) or SMTP reply code (email), when there was one. */
  statusCode?: number;
  /** Exit code of a command channel. */
  exitCode?: number;
  /** What went wrong, one line, secrets masked. */
  error?: string;
  /** ms. */
  durationMs: number;
}

/** A configured channel, ready to send. */
export interface Channel {
  readonly name: string;
  readonly type: 'webhook' | 'email' | 'command';
  /** Whether `resolved` messages go to this channel. @default true */
  readonly sendResolved: boolean;
  /**
   * Delivers one notification; never throws (a failure is an outcome). `idempotencyKey`
   * is the delivery id: a webhook sends it as `X-Baton-Delivery`, an email as its
   * Message-ID, so a receiver can drop a duplicate after a crash between send and record.
   */
  send(n: Notification, idempotencyKey: string, signal?: AbortSignal): Promise<DeliveryOutcome>;
  /** Releases pooled connections. */
  close(): Promise<void>;
}

/** A compiled `webhook:` channel; secret values already resolved. */
export interface WebhookChannelSpec {
  url: string;
  /**
   * HMAC-SHA256 key, signing as inbound webhooks verify: `X-Baton-Timestamp: <unix s>` and
   * `X-Baton-Signature: sha256=<hex of HMAC("<timestamp>.<delivery>.<body>")>`.
   */
  secret?: string;
  /** @default 'baton' */
  format: 'baton' | 'slack';
  headers: Record<string, string>;
  /** ms. @default 10000 */
  timeoutMs: number;
}

/** A compiled `email:` channel; the password already resolved. */
export interface EmailChannelSpec {
  host: string;
  /** @default 587, or 465 when `secure` */
  port: number;
  secure: boolean;
  requireTls: boolean;
  auth?: { user: string; password: string };
  from: string;
  to: string[];
  /** @default '[baton]' */
  subjectPrefix: string;
  /** ms. @default 10000 */
  timeoutMs: number;
}

/** A compiled `command:` channel. */
export interface CommandChannelSpec {
  run: string;
  /** ms. @default 30000 */
  timeoutMs: number;
  /** Added to a scrubbed environment (the named secrets). */
  env: Record<string, string>;
  /** Working directory: the config file's folder. */
  cwd: string;
}

/** A compiled channel: its name, shared settings, and one kind. */
export type ChannelSpec = {
  name: string;
  sendResolved: boolean;
  /** Public base URL of the dashboard, for links. */
  publicUrl?: string;
  /** Masks every secret value in a text (errors, logged output). */
  mask: (text: string) => string;
} & (
  | { type: 'webhook'; webhook: WebhookChannelSpec }
  | { type: 'email'; email: EmailChannelSpec }
  | { type: 'command'; command: CommandChannelSpec }
);
