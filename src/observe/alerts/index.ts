/**
 * @module observe/alerts
 * Alert rules, lifecycle, grouping, silences, escalation and delivery.
 */
export { AlertService } from './service.js';
export type { AlertServiceOptions, AlertClock, SilenceInput } from './service.js';
export { AlertBook, AlertStateError, alertKey, subjectKey } from './alerts.js';
export type { Subject } from './alerts.js';
export { ALERT_DEFAULTS, RuleSet, compileRule, builtinRules, intakeRules, decodeStoredRules, summarizeRule } from './rules.js';
export type { AlertRule, AlertKind, AlertRuleSource, AlertRuleSummary } from './rules.js';
export { notifiedAlert } from './notifier.js';
export { MAX_DELIVERY_ATTEMPTS, deliveryBackoff } from './sender.js';
export { alertMetrics } from './metrics.js';
export type { DeliveryReport } from './sender.js';
export type { EtaSource, DeadlineEta } from './deadlines.js';
