/**
 * @module store/alert-types
 * What alerting keeps: alerts (one open per rule + subject), their events, silences, groups
 * and delivery jobs. Every `Store` carries one as `store.alerts`; both stores share one
 * implementation (`alert-sql.ts`) over a small executor, because the rules that keep alerts
 * exactly-once (a unique open key, compare-and-set versions, deliveries written in the same
 * transaction as the change that causes them) must be the same on both.
 */
import type { JsonObject } from '../shared/index.js';
import { BatonError } from '../shared/index.js';

/** Alert states (DESIGN.md glossary): `firing → acknowledged → resolved`, or `silenced`. */
export type AlertState = 'firing' | 'acknowledged' | 'resolved' | 'silenced';

/** Every alert state. */
export const ALERT_STATES: readonly AlertState[] = ['firing', 'acknowledged', 'silenced', 'resolved'];

/** One alert. Times are ms since the epoch. */
export interface AlertRecord {
  /** `al_<time><random>`, sortable by creation. */
  id: string;
  /** Rule name + subject: while the alert is not resolved, no other alert has this key. */
  key: string;
  /** The rule's name (`any-run-failed`). */
  rule: string;
  /** The rule's kind (`run-failed`). */
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  state: AlertState;
  summary: string;
  /** workflow, runId, stepId, worker, schedule, pool, channel: what it is about. */
  subject: Record<string, string>;
  labels: Record<string, string>;
  details?: JsonObject;
  /** Alerts of one group are notified together (rule + grouping labels). */
  groupKey: string;
  firedAt: number;
  updatedAt: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  resolvedAt?: number;
  resolvedBy?: string;
  /** How often the condition was seen again while open (a third failed nightly run). */
  count: number;
  /** What the alert's channels were last told: nothing yet, that it fires, that it resolved. */
  notified?: 'firing' | 'resolved';
  /** When a message last named it. */
  notifiedAt?: number;
  /** Escalation position: level from 0, round (walks of the chain) from 0; `done` once the chain is spent. */
  level: number;
  round: number;
  escalationDone: boolean;
  /** Compare-and-set counter: every write checks and increments it. */
  version: number;
}

/** One change of an alert, with who made it. */
export interface AlertEventRecord {
  seq: number;
  alertId: string;
  at: number;
  /** fired | seen-again | acknowledged | resolved | silenced | unsilenced | notified | escalated | refired */
  type: string;
  /** `system`, a token name, or `cli:<user>`. */
  actor: string;
  note?: string;
  data?: JsonObject;
}

/** An alert event before the store numbered it. */
export type NewAlertEvent = Omit<AlertEventRecord, 'seq'>;

/** One matcher of a silence: label `name` equals `value`, or matches it as a `*` glob with `glob`. */
export interface SilenceMatcher {
  name: string;
  value: string;
  glob?: boolean;
}

/** A silence: while `startsAt <= now < endsAt` (and not expired), matching alerts do not notify. */
export interface SilenceRecord {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
  createdAt: number;
  /** Set when ended early (`baton alerts unsilence`). */
  expiredAt?: number;
}

/** Notification progress of one group. */
export interface AlertGroupRecord {
  key: string;
  /** When the group's last message was sent. */
  sentAt?: number;
  version: number;
}

/** Delivery job states: waiting or retrying (`pending`), done, given up. */
export type DeliveryState = 'pending' | 'delivered' | 'failed';

/** One message to one channel: a durable job, retried with backoff. */
export interface DeliveryRecord {
  id: string;
  channel: string;
  /** The notification as sent (JSON). */
  body: JsonObject;
  /** Alerts it names (for `baton alerts show`). */
  alertIds: string[];
  reason: string;
  state: DeliveryState;
  attempts: number;
  /** When it may be tried next. */
  nextAt: number;
  createdAt: number;
  deliveredAt?: number;
  statusCode?: number;
  error?: string;
  /** The sender holding it, until `leaseUntil`. */
  leaseOwner?: string;
  leaseUntil?: number;
}

/** An alert rule set through the API (`PUT /api/v1/alert-rules/{name}`), as stored. */
export interface StoredAlertRule {
  /** The rule's name: it overrides the config's (or the built-in) rule of this name. */
  name: string;
  /** The rule as written, in the shape of a `baton.config.yaml` rule (validated before it was stored). */
  definition: JsonObject;
  /** When it was last set, ms since the epoch. */
  updatedAt: number;
  /** Who set it: `token:<name>` or `cli:<user>`. */
  updatedBy: string;
}

/** Every rule set through the API, and the version of the set they were read at. */
export interface StoredAlertRules {
  /** Moves on every put and delete (see {@link AlertStore.rulesVersion}). */
  version: number;
  /** By name. */
  rules: StoredAlertRule[];
}

/** A guarded update of one alert: applied only while its version is `version`. */
export interface AlertUpdate {
  id: string;
  version: number;
  patch: Partial<Omit<AlertRecord, 'id' | 'key' | 'version'>>;
  event?: NewAlertEvent;
}

/**
 * Changes applied in one transaction, all or nothing: alert updates (each guarded by its
 * version), a group's send (guarded by the group's version, or inserted when new), and the
 * deliveries the change causes. A guard that fails rolls everything back.
 */
export interface AlertChange {
  updates?: AlertUpdate[];
  group?: { key: string; version: number | undefined; sentAt: number };
  deliveries?: DeliveryRecord[];
}

/** Filters of {@link AlertStore.list}; newest first. */
export interface AlertFilter {
  state?: AlertState[];
  rule?: string;
  workflow?: string;
  /** @default 100 */
  limit?: number;
}

/** Alerting's part of the store. Every method rejects with the driver's error when the database fails. */
export interface AlertStore {
  /**
   * Opens an alert and records its `fired` event, unless an alert with the same key is
   * open (not resolved): then nothing is written and that alert is returned.
   */
  open(a: AlertRecord, event: NewAlertEvent): Promise<{ created: boolean; alert: AlertRecord }>;
  /** Applies `c` in one transaction; false (and nothing written) when a guard failed. */
  apply(c: AlertChange): Promise<boolean>;
  get(id: string): Promise<AlertRecord | undefined>;
  /** The open alert with this key, if any. */
  openByKey(key: string): Promise<AlertRecord | undefined>;
  list(f?: AlertFilter): Promise<AlertRecord[]>;
  /** Alerts the notifier must look at: not resolved, or resolved but their channels not yet told. */
  active(): Promise<AlertRecord[]>;
  events(alertId: string): Promise<AlertEventRecord[]>;
  groups(keys: string[]): Promise<AlertGroupRecord[]>;
  createSilence(s: SilenceRecord): Promise<void>;
  /** Silences not expired whose window has not ended at `now` (future ones included). */
  silences(now: number): Promise<SilenceRecord[]>;
  getSilence(id: string): Promise<SilenceRecord | undefined>;
  /** Ends a silence now; false when there is none or it had ended. */
  expireSilence(id: string, now: number): Promise<boolean>;
  /**
   * Takes up to `limit` pending deliveries due at `now` that nobody holds, for `leaseMs`
   * (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two senders never take one).
   */
  claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<DeliveryRecord[]>;
  /** Records an attempt's outcome; false when `owner` no longer holds the delivery. */
  finishDelivery(id: string, owner: string, patch: Pick<DeliveryRecord, 'state' | 'attempts' | 'nextAt'> & Partial<Pick<DeliveryRecord, 'statusCode' | 'error' | 'deliveredAt'>>): Promise<boolean>;
  /** Deliveries naming an alert, oldest first. */
  deliveriesFor(alertId: string): Promise<DeliveryRecord[]>;
  /** Recent deliveries of one channel, newest first. */
  channelDeliveries(channel: string, limit: number): Promise<DeliveryRecord[]>;
  /** A named reader's position in the event feed. */
  getCursor(name: string): Promise<string | undefined>;
  /** Moves a cursor from `from` (undefined: not set yet) to `to`; false when another reader moved it first. */
  moveCursor(name: string, from: string | undefined, to: string): Promise<boolean>;
  /** Counts by rule and state, and deliveries by channel and state, for metrics. */
  counts(): Promise<{ alerts: { rule: string; state: AlertState; n: number }[]; deliveries: { channel: string; state: DeliveryState; n: number }[] }>;
  /** Deletes up to `limit` resolved alerts (with their events and deliveries) resolved before `before`; how many. */
  prune(before: number, limit: number): Promise<number>;
  /**
   * The version of the rules set through the API: a counter that every put and delete moves
   * in its own transaction. One primary-key read, so every server can poll it each pass and
   * reload the rules ({@link AlertStore.storedRules}) only when it changed.
   */
  rulesVersion(): Promise<number>;
  /**
   * Every rule set through the API with the version: the version is read first, so a change
   * made between the two reads is seen again at the next poll, never missed.
   */
  storedRules(): Promise<StoredAlertRules>;
  /** Sets (creates or replaces) one rule and moves the version, in one transaction; whether it was new. */
  putRule(r: StoredAlertRule): Promise<{ created: boolean }>;
  /** Deletes one rule and moves the version, in one transaction; false (nothing written) when there was none. */
  deleteRule(name: string): Promise<boolean>;
}

/** No alert or silence with this id. */
export class AlertNotFoundError extends BatonError {
  constructor(readonly id: string) {
    super('alert-not-found', `no alert or silence ${id}`);
  }
}
