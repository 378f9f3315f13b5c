/**
 * @module observe/alerts/alerts
 * Opening, updating and ending alerts: the one place that writes an alert's lifecycle
 * (`firing → acknowledged → resolved`, or `silenced`), each change an event with who and a
 * note. One open alert per rule + subject however many servers call it: the store's unique
 * open key decides, and every later write is compare-and-set on the alert's version.
 */
import type { AlertRecord, AlertState, AlertStore, NewAlertEvent, SilenceRecord } from '../../store/index.js';
import { AlertNotFoundError, newAlertId } from '../../store/index.js';
import type { JsonObject } from '../../shared/index.js';
import { BatonError } from '../../shared/index.js';
import type { AlertRule } from './rules.js';
import { silenced, withPolicy } from './policy.js';

/** What an alert is about; the fields that apply. */
export type Subject = Partial<Record<'workflow' | 'runId' | 'stepId' | 'worker' | 'schedule' | 'pool' | 'channel' | 'breaker', string>>;

/** The subject's part of the dedup key: `k=v` pairs in a fixed order. */
export function subjectKey(s: Subject): string {
  return Object.keys(s).sort().map((k) => `${k}=${s[k as keyof Subject]}`).join(',');
}

/** An alert's key: rule name + subject. */
export function alertKey(rule: string, s: Subject): string {
  return `${rule}|${subjectKey(s)}`;
}

/** A lifecycle change that does not fit the alert's state (acknowledging a resolved alert). */
export class AlertStateError extends BatonError {
  constructor(message: string) {
    super('alert-state', message);
  }
}

/** Writes alert lifecycles to a store. */
export class AlertBook {
  /**
   * @param changed - called after any change (the service runs a pass).
   * @param told - called with each alert that fired, was acknowledged or resolved (the server's log).
   */
  constructor(
    private readonly store: AlertStore,
    private readonly now: () => number,
    private readonly changed: () => void,
    private readonly told: (a: AlertRecord, what: 'fired' | 'acknowledged' | 'resolved') => void = () => undefined,
  ) {}

  /**
   * Fires `rule` for `subject`, or records that an open alert saw its condition again.
   * @returns the alert and whether it is new.
   */
  async fire(rule: AlertRule, subject: Subject, summary: string, details: JsonObject | undefined, silences: readonly SilenceRecord[]): Promise<{ alert: AlertRecord; created: boolean }> {
    const now = this.now();
    const labels: Record<string, string> = { ...rule.labels, rule: rule.name, kind: rule.kind, severity: rule.severity };
    for (const [k, v] of Object.entries(subject)) labels[k === 'stepId' ? 'step' : k === 'runId' ? 'run' : k] = v;
    const groupKey = `${rule.name}|${rule.group.by.map((l) => `${l}=${labels[l] ?? ''}`).join(',')}`;
    const key = alertKey(rule.name, subject);
    const state: AlertState = silenced(silences, labels, now) ? 'silenced' : 'firing';
    const record: AlertRecord = {
      id: newAlertId('al', now), key, rule: rule.name, kind: rule.kind, severity: rule.severity, state, summary,
      subject: subject, labels, details: withPolicy(details, rule), groupKey,
      firedAt: now, updatedAt: now, count: 1, level: 0, round: 0, escalationDone: false, version: 0,
    };
    const { created, alert } = await this.store.open(record, { alertId: record.id, at: now, type: 'fired', actor: 'system', note: summary });
    if (created) {
      this.told(alert, 'fired');
      this.changed();
      return { alert, created };
    }
    // Seen again while open: the newest summary (the latest failed run) and a count.
    const patch = { summary, count: alert.count + 1, updatedAt: now, details: withPolicy(details, rule) };
    await this.store.apply({ updates: [{ id: alert.id, version: alert.version, patch, event: { alertId: alert.id, at: now, type: 'seen-again', actor: 'system', note: summary } }] });
    return { alert: { ...alert, ...patch }, created: false };
  }

  /** Resolves the open alert of `rule` + `subject`, if there is one (its condition cleared). */
  async clear(rule: string, subject: Subject, note: string): Promise<boolean> {
    for (let i = 0; i < 3; i++) {
      const open = await this.store.openByKey(alertKey(rule, subject));
      if (!open) return false;
      if (await this.resolveRecord(open, 'system', note)) return true;
    }
    return false;
  }

  private async resolveRecord(a: AlertRecord, actor: string, note: string | undefined): Promise<boolean> {
    const now = this.now();
    const event: NewAlertEvent = { alertId: a.id, at: now, type: 'resolved', actor, ...(note !== undefined ? { note } : {}) };
    const ok = await this.store.apply({ updates: [{ id: a.id, version: a.version, patch: { state: 'resolved', resolvedAt: now, resolvedBy: actor, updatedAt: now }, event }] });
    if (ok) {
      this.told({ ...a, state: 'resolved', resolvedAt: now, resolvedBy: actor }, 'resolved');
      this.changed();
    }
    return ok;
  }

  private async load(id: string): Promise<AlertRecord> {
    const a = await this.store.get(id);
    if (!a) throw new AlertNotFoundError(id);
    return a;
  }

  /**
   * Acknowledges: stops escalation and reminders until it resolves (or, with an
   * acknowledgement timeout, until that passes).
   * @throws AlertNotFoundError; AlertStateError when it is resolved.
   */
  async acknowledge(id: string, actor: string, note?: string): Promise<AlertRecord> {
    for (;;) {
      const a = await this.load(id);
      if (a.state === 'resolved') throw new AlertStateError(`alert ${id} is resolved`);
      if (a.state === 'acknowledged') return a;
      const now = this.now();
      const event: NewAlertEvent = { alertId: id, at: now, type: 'acknowledged', actor, ...(note !== undefined ? { note } : {}) };
      if (await this.store.apply({ updates: [{ id, version: a.version, patch: { state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor, updatedAt: now }, event }] })) {
        this.told({ ...a, state: 'acknowledged', acknowledgedAt: now, acknowledgedBy: actor }, 'acknowledged');
        this.changed();
        return this.load(id);
      }
    }
  }

  /**
   * Resolves by hand (the condition will not clear by itself, or the operator knows better).
   * @throws AlertNotFoundError.
   */
  async resolve(id: string, actor: string, note?: string): Promise<AlertRecord> {
    for (;;) {
      const a = await this.load(id);
      if (a.state === 'resolved') return a;
      if (await this.resolveRecord(a, actor, note)) return this.load(id);
    }
  }
}
