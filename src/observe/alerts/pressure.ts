/**
 * @module observe/alerts/pressure
 * The sweep's alerts about load rather than about one run: `backpressure` (step runs queued,
 * or — with `maxQueuedRuns`, the intake rules — runs waiting to start) and `circuit-open`
 * (a store-kept circuit breaker that is not closed). Both read shared rows (the store's
 * counts, the breakers table), so whichever server sweeps sees what every node did.
 */
import type { BreakerRecord } from '../../store/index.js';
import type { JsonObject } from '../../shared/index.js';
import type { Subject } from './alerts.js';
import type { AlertKind, AlertRule } from './rules.js';
import { ALERT_DEFAULTS } from './rules.js';

/** What these checks use of the evaluator. */
export interface PressureContext {
  /** The server's rules of a kind that are in effect. */
  rules(kind: AlertKind): AlertRule[];
  fire(rule: AlertRule, subject: Subject, summary: string, details?: JsonObject): Promise<unknown>;
  /** Clears an alert this sweep knows to be open. */
  clear(rule: AlertRule, subject: Subject, note: string): Promise<void>;
  /** Clears an alert whether or not this sweep saw it open (counts read fresh each sweep). */
  clearAlways(rule: AlertRule, subject: Subject, note: string): Promise<void>;
}

const fmt = (ms: number): string => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : ms >= 600_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/**
 * `backpressure`: step runs queued over `maxQueued`; with `maxQueuedRuns`, runs waiting to
 * start at or over it, resolved under 90 % of it, so a depth hovering at the line does not
 * fire and resolve at every sweep. Each count is read once per sweep, and only if a rule needs it.
 */
export async function sweepBackpressure(ctx: PressureContext, queuedSteps: () => Promise<number>, waitingRuns: () => Promise<number>): Promise<void> {
  let depth: number | undefined;
  let runs: number | undefined;
  for (const rule of ctx.rules('backpressure')) {
    if (rule.maxQueuedRuns !== undefined) {
      runs ??= await waitingRuns();
      const subject: Subject = { pool: 'intake' };
      if (runs >= rule.maxQueuedRuns) {
        await ctx.fire(rule, subject, `${runs} runs are waiting to start (${rule.severity} at ${rule.maxQueuedRuns})`, { waitingRuns: runs, threshold: rule.maxQueuedRuns });
      } else if (runs < rule.maxQueuedRuns * ALERT_DEFAULTS.queuedRunsResolveFraction) await ctx.clearAlways(rule, subject, `${runs} runs waiting to start`);
      continue;
    }
    depth ??= await queuedSteps();
    if (depth > rule.maxQueued) await ctx.fire(rule, { pool: 'all' }, `${depth} step runs are queued (limit ${rule.maxQueued})`, { queued: depth });
    else await ctx.clearAlways(rule, { pool: 'all' }, `${depth} queued`);
  }
}

/**
 * `circuit-open`: one alert per breaker that is not closed (fired when it opens, kept while
 * half-open), resolved once it closes; read from the breakers' rows at each sweep.
 */
export async function sweepBreakers(ctx: PressureContext, breakers: () => Promise<BreakerRecord[]>, now: number): Promise<void> {
  const rules = ctx.rules('circuit-open');
  if (!rules.length) return;
  for (const b of await breakers()) {
    const subject: Subject = { breaker: b.key };
    for (const rule of rules) {
      if (b.state === 'closed') {
        await ctx.clear(rule, subject, b.reason ?? 'closed');
        continue;
      }
      const next = b.state === 'open' && b.nextTrialAt !== undefined ? `; next trial in ${fmt(Math.max(0, b.nextTrialAt - now))}` : '; a trial is running';
      await ctx.fire(rule, subject, `circuit breaker ${b.key} is ${b.state}: ${b.reason ?? 'failures'}${next}; steps behind it wait`,
        { breaker: b.key, state: b.state, ...(b.openedAt !== undefined ? { openedAt: b.openedAt } : {}), ...(b.nextTrialAt !== undefined ? { nextTrialAt: b.nextTrialAt } : {}) });
    }
  }
}
