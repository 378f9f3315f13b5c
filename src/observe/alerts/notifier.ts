/**
 * @module observe/alerts/notifier
 * Decides what to tell whom, and when, from the alerts' durable state alone (so a restart
 * of every server loses nothing and sends nothing twice): Alertmanager's grouping (wait
 * before a group's first message, an interval between updates, a repeat for what stays
 * unacknowledged), silences, escalation chains and the acknowledgement timeout. A message
 * becomes one delivery per channel, written in the same transaction as the alerts'
 * "notified" marks and the group's send time, guarded by versions: of two servers, one sends.
 */
import type { AlertRecord, AlertStore, AlertUpdate, DeliveryRecord, SilenceRecord } from '../../store/index.js';
import { newAlertId } from '../../store/index.js';
import type { JsonObject } from '../../shared/index.js';
import type { AlertNotification, NotificationReason, NotifiedAlert } from '../channels/types.js';
import { NOTIFICATION_VERSION } from '../channels/types.js';
import { silenced, storedPolicy } from './policy.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** An alert as messages show it. */
export function notifiedAlert(a: AlertRecord, publicUrl?: string): NotifiedAlert {
  const { policy: _policy, ...details } = a.details ?? {};
  const n: NotifiedAlert = {
    id: a.id, rule: a.rule, kind: a.kind, state: a.state, severity: a.severity, summary: a.summary,
    subject: a.subject, labels: a.labels, firedAt: iso(a.firedAt),
  };
  if (Object.keys(details).length) n.details = details;
  if (a.acknowledgedAt !== undefined) n.acknowledgedAt = iso(a.acknowledgedAt);
  if (a.acknowledgedBy !== undefined) n.acknowledgedBy = a.acknowledgedBy;
  if (a.resolvedAt !== undefined) n.resolvedAt = iso(a.resolvedAt);
  if (publicUrl !== undefined) n.url = a.subject.runId ? `${publicUrl.replace(/\/$/, '')}/runs/${a.subject.runId}` : `${publicUrl.replace(/\/$/, '')}/alerts/${a.id}`;
  return n;
}

/** Options of the notifier. */
export interface NotifierOptions {
  store: AlertStore;
  now: () => number;
  /** Channels that skip resolve messages. */
  noResolved: ReadonlySet<string>;
  publicUrl?: string;
}

/** One pass over the active alerts. */
export class Notifier {
  constructor(private readonly o: NotifierOptions) {}

  private delivery(channel: string, body: JsonObject, alerts: AlertRecord[], reason: string, now: number): DeliveryRecord {
    return { id: newAlertId('dl', now), channel, body, alertIds: alerts.map((a) => a.id), reason, state: 'pending', attempts: 0, nextAt: now, createdAt: now };
  }

  private message(alerts: AlertRecord[], groupKey: string, reason: NotificationReason, now: number, escalation?: { level: number; round: number }): AlertNotification {
    const first = alerts[0]!;
    const groupLabels: Record<string, string> = { rule: first.rule };
    for (const [k, v] of Object.entries(first.labels)) if (alerts.every((a) => a.labels[k] === v)) groupLabels[k] = v;
    const n: AlertNotification = {
      version: NOTIFICATION_VERSION, type: 'alert', status: alerts.some((a) => a.state !== 'resolved') ? 'firing' : 'resolved', reason,
      group: { key: groupKey, labels: groupLabels }, alerts: alerts.map((a) => notifiedAlert(a, this.o.publicUrl)), sentAt: iso(now),
    };
    if (escalation) n.escalation = escalation;
    return n;
  }

  /**
   * Applies silences and acknowledgement timeouts, sends what is due, escalates what waited
   * too long. @returns when it should run again at the latest (ms since the epoch), if ever.
   */
  async pass(silences: readonly SilenceRecord[]): Promise<number | undefined> {
    const now = this.o.now();
    let next: number | undefined;
    const soon = (t: number): void => {
      next = next === undefined ? t : Math.min(next, t);
    };
    let alerts = await this.o.store.active();
    // Silences and acknowledgement timeouts change states first; a changed alert is re-read.
    let changed = false;
    for (const a of alerts) {
      if (a.state === 'resolved') continue;
      const s = silenced(silences, a.labels, now);
      const policy = storedPolicy(a);
      if (s && a.state === 'firing') {
        changed = (await this.o.store.apply({ updates: [{ id: a.id, version: a.version, patch: { state: 'silenced', updatedAt: now }, event: { alertId: a.id, at: now, type: 'silenced', actor: 'system', note: `silence ${s.id}` } }] })) || changed;
      } else if (!s && a.state === 'silenced') {
        // An expired silence lets the alert notify again, as new.
        changed = (await this.o.store.apply({ updates: [{ id: a.id, version: a.version, patch: { state: 'firing', updatedAt: now, notified: undefined, level: 0, round: 0, escalationDone: false }, event: { alertId: a.id, at: now, type: 'unsilenced', actor: 'system' } }] })) || changed;
      } else if (a.state === 'acknowledged' && policy.escalate?.ackTimeoutMs !== undefined && a.acknowledgedAt !== undefined) {
        const due = a.acknowledgedAt + policy.escalate.ackTimeoutMs;
        if (due <= now) {
          changed = (await this.o.store.apply({ updates: [{ id: a.id, version: a.version, patch: { state: 'firing', updatedAt: now, notified: undefined, level: 0, round: 0, escalationDone: false }, event: { alertId: a.id, at: now, type: 'refired', actor: 'system', note: 'acknowledged but not resolved in time' } }] })) || changed;
        } else soon(due);
      }
      const upcoming = silences.filter((x) => x.startsAt > now).map((x) => x.startsAt);
      for (const t of upcoming) soon(t);
      if (s) soon(s.endsAt);
    }
    if (changed) alerts = await this.o.store.active();

    const groups = new Map<string, AlertRecord[]>();
    for (const a of alerts) groups.set(a.groupKey, [...(groups.get(a.groupKey) ?? []), a]);
    const rows = new Map((await this.o.store.groups([...groups.keys()])).map((g) => [g.key, g]));
    for (const [key, members] of groups) {
      const g = rows.get(key);
      const policy = storedPolicy(members[members.length - 1]!);
      const pendingFiring = members.filter((a) => a.state === 'firing' && a.notified !== 'firing');
      const pendingResolved = members.filter((a) => a.state === 'resolved' && a.notified === 'firing');
      const told = members.filter((a) => a.state !== 'resolved' && a.state !== 'silenced' && a.notified === 'firing');
      const unacked = told.filter((a) => a.state === 'firing');
      let due: number;
      let reason: NotificationReason;
      if (pendingFiring.length && told.length === 0) {
        due = Math.min(...pendingFiring.map((a) => a.firedAt)) + policy.waitMs;
        reason = pendingFiring.some((a) => a.acknowledgedAt !== undefined) ? 'refire' : 'new';
      } else if (pendingFiring.length || pendingResolved.length) {
        due = (g?.sentAt ?? 0) + policy.intervalMs;
        reason = pendingFiring.length === 0 && told.length === 0 ? 'resolved' : 'update';
      } else if (unacked.length) {
        due = (g?.sentAt ?? now) + policy.repeatMs;
        reason = 'repeat';
      } else continue;
      if (due > now) {
        soon(due);
        continue;
      }
      const included = reason === 'repeat' ? unacked : [...told, ...pendingFiring, ...pendingResolved];
      const body = this.message(included, key, reason, now) as unknown as JsonObject;
      const channels = reason === 'resolved' ? policy.notify.filter((c) => !this.o.noResolved.has(c)) : policy.notify;
      const updates: AlertUpdate[] = [
        ...pendingFiring.map((a) => ({ id: a.id, version: a.version, patch: { notified: 'firing' as const, notifiedAt: now, level: 0, round: 0 }, event: { alertId: a.id, at: now, type: 'notified', actor: 'system', note: `${reason} → ${channels.join(', ') || 'no channel'}` } })),
        ...pendingResolved.map((a) => ({ id: a.id, version: a.version, patch: { notified: 'resolved' as const }, event: { alertId: a.id, at: now, type: 'notified', actor: 'system', note: `resolved → ${channels.join(', ') || 'no channel'}` } })),
      ];
      await this.o.store.apply({
        updates, group: { key, version: g?.version, sentAt: now },
        deliveries: channels.map((c) => this.delivery(c, body, included, reason, now)),
      });
      soon(now + Math.min(policy.intervalMs, policy.repeatMs));
    }

    // Escalation: an alert its channels were told about and nobody acknowledged moves up its chain.
    for (const a of alerts) {
      const chain = storedPolicy(a).escalate;
      if (!chain || a.state !== 'firing' || a.notified !== 'firing' || a.escalationDone || a.notifiedAt === undefined) continue;
      let level = a.level + 1;
      let round = a.round;
      if (level >= chain.levels.length) {
        level = 0;
        round += 1;
      }
      if (round >= chain.repeat) {
        await this.o.store.apply({ updates: [{ id: a.id, version: a.version, patch: { escalationDone: true } }] });
        continue;
      }
      const due = a.notifiedAt + chain.levels[level]!.afterMs;
      if (due > now) {
        soon(due);
        continue;
      }
      const body = this.message([a], a.groupKey, 'escalation', now, { level, round }) as unknown as JsonObject;
      const channels = chain.levels[level]!.notify;
      await this.o.store.apply({
        updates: [{ id: a.id, version: a.version, patch: { level, round, notifiedAt: now }, event: { alertId: a.id, at: now, type: 'escalated', actor: 'system', note: `level ${level} (round ${round}) → ${channels.join(', ')}` } }],
        deliveries: channels.map((c) => this.delivery(c, body, [a], 'escalation', now)),
      });
    }
    return next;
  }
}
