/**
 * @module observe/alerts/policy
 * What an alert carries of its rule so it can be notified without the rule at hand: a
 * server restarted with another config, or a workflow's own rule, still notifies each open
 * alert as it was promised when it fired. Kept in `details.policy`.
 */
import type { AlertRecord, SilenceMatcher, SilenceRecord } from '../../store/index.js';
import type { JsonObject } from '../../shared/index.js';
import type { AlertRule } from './rules.js';
import { ALERT_DEFAULTS, matchesAny } from './rules.js';

/** The notification part of a rule. */
export interface AlertPolicy {
  notify: string[];
  waitMs: number;
  intervalMs: number;
  repeatMs: number;
  escalate?: { levels: { notify: string[]; afterMs: number }[]; repeat: number; ackTimeoutMs?: number };
}

/** The policy of `rule`, as stored. */
export function policyOf(rule: AlertRule): AlertPolicy {
  const p: AlertPolicy = { notify: rule.notify, waitMs: rule.group.waitMs, intervalMs: rule.group.intervalMs, repeatMs: rule.group.repeatMs };
  if (rule.escalate) p.escalate = rule.escalate;
  return p;
}

/** The policy stored on an alert; the defaults when missing (an alert written by hand). */
export function storedPolicy(a: AlertRecord): AlertPolicy {
  const p = a.details?.policy as unknown as AlertPolicy | undefined;
  return p ?? { notify: [], waitMs: ALERT_DEFAULTS.groupWaitMs, intervalMs: ALERT_DEFAULTS.groupIntervalMs, repeatMs: ALERT_DEFAULTS.repeatMs };
}

/** `details` with the policy in it. */
export function withPolicy(details: JsonObject | undefined, rule: AlertRule): JsonObject {
  return { ...(details ?? {}), policy: policyOf(rule) as unknown as JsonObject };
}

function matches(m: SilenceMatcher, labels: Record<string, string>): boolean {
  const v = labels[m.name];
  if (v === undefined) return false;
  return m.glob ? matchesAny([m.value], v) : v === m.value;
}

/** Whether a silence in effect at `now` covers these labels (every matcher matches). */
export function silenced(silences: readonly SilenceRecord[], labels: Record<string, string>, now: number): SilenceRecord | undefined {
  return silences.find((s) => s.startsAt <= now && now < s.endsAt && s.expiredAt === undefined && s.matchers.every((m) => matches(m, labels)));
}
