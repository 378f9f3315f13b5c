/**
 * @module observe/alerts/deadlines
 * `deadline-at-risk` and `deadline-missed`: a run's declared deadline (workflow/deadline.ts)
 * against its ETA while it still goes. At risk fires as soon as the ETA's p90 end passes the
 * deadline — while there is still time to act — not when it has been missed (Airflow 3
 * dropped its SLAs because they were only checked once a run had finished). Missed fires
 * once the clock passes the deadline with the run unfinished, or when a run ends after it.
 *
 * Subjects: at risk is about one run (`{workflow, runId}`), cleared when that run ends or
 * its p90 comes back under the deadline with a margin (so an ETA hovering at the line does
 * not flap); missed is about the workflow (`{workflow}`), like `run-failed`, and stays until a
 * later run of the workflow ends within its deadline, or someone acknowledges it.
 */
import type { RunRecord } from '../../store/index.js';
import type { AlertingView } from '../../workflow/index.js';
import { runDeadline } from '../../workflow/index.js';
import type { JsonObject } from '../../shared/index.js';
import type { Subject } from './alerts.js';
import type { AlertKind, AlertRule } from './rules.js';

/** A run's predicted end, ms since the epoch; null where history does not tell (observe/eta). */
export interface DeadlineEta {
  p50: number | null;
  p90: number | null;
}

/** Where deadline checks get a run's ETA; undefined when none can be computed. */
export type EtaSource = (run: RunRecord) => Promise<DeadlineEta | undefined>;

/** What deadline checks use of the evaluator. */
export interface DeadlineContext {
  spec(version: string): Promise<AlertingView | undefined>;
  rulesOf(run: RunRecord, kind: AlertKind): Promise<AlertRule[]>;
  fire(rule: AlertRule, subject: Subject, summary: string, details?: JsonObject): Promise<unknown>;
  clear(rule: AlertRule, subject: Subject, note: string): Promise<void>;
  eta: EtaSource | undefined;
}

/** An at-risk alert clears only once the p90 is this far under the deadline again, ms. */
export const AT_RISK_CLEAR_MARGIN_MS = 60_000;

const clock = (ms: number): string => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
const late = (ms: number): string => (ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)} h` : `${Math.max(1, Math.round(ms / 60_000))} min`);

async function deadlineOf(ctx: DeadlineContext, run: RunRecord): Promise<number | undefined> {
  const spec = await ctx.spec(run.version);
  return spec ? runDeadline(spec.deadlines, run) : undefined;
}

/** The sweep's part: every unfinished run with a deadline, against the clock and its ETA. */
export async function sweepDeadlines(ctx: DeadlineContext, runs: readonly RunRecord[], now: number): Promise<void> {
  for (const run of runs) {
    const deadline = await deadlineOf(ctx, run);
    if (deadline === undefined) continue;
    const atRisk = await ctx.rulesOf(run, 'deadline-at-risk');
    const missed = await ctx.rulesOf(run, 'deadline-missed');
    if (!atRisk.length && !missed.length) continue;
    const eta = atRisk.length || now > deadline ? await ctx.eta?.(run) : undefined;
    const etaText = eta?.p50 != null ? `ETA ${clock(eta.p50)}${eta.p90 != null ? `, p90 ${clock(eta.p90)}` : ''}` : 'no ETA from history';
    const details: JsonObject = { runId: run.id, deadline, ...(eta?.p50 != null ? { etaP50: eta.p50 } : {}), ...(eta?.p90 != null ? { etaP90: eta.p90 } : {}) };
    if (now > deadline) {
      for (const rule of missed) {
        await ctx.fire(rule, { workflow: run.workflow }, `run ${run.workflow}/${run.id} missed its deadline of ${clock(deadline)}: still ${run.state} ${late(now - deadline)} later (${etaText})`, details);
      }
      for (const rule of atRisk) await ctx.clear(rule, { workflow: run.workflow, runId: run.id }, 'the deadline has passed');
      continue;
    }
    for (const rule of atRisk) {
      const subject: Subject = { workflow: run.workflow, runId: run.id };
      if (eta?.p90 == null) continue;
      if (eta.p90 > deadline) {
        await ctx.fire(rule, subject, `run ${run.workflow}/${run.id} may miss its deadline of ${clock(deadline)}: ${etaText}`, details);
      } else if (eta.p90 < deadline - AT_RISK_CLEAR_MARGIN_MS) {
        await ctx.clear(rule, subject, `back on time: ${etaText}`);
      }
    }
  }
}

/** A run ended: its at-risk alert clears; an end after the deadline is a miss, one within it clears the workflow's miss. */
export async function deadlineRunEnded(ctx: DeadlineContext, run: RunRecord): Promise<void> {
  const deadline = await deadlineOf(ctx, run);
  if (deadline === undefined || run.endedAt === undefined) return;
  for (const rule of await ctx.rulesOf(run, 'deadline-at-risk')) await ctx.clear(rule, { workflow: run.workflow, runId: run.id }, `run ${run.state}`);
  for (const rule of await ctx.rulesOf(run, 'deadline-missed')) {
    if (run.endedAt > deadline) {
      await ctx.fire(rule, { workflow: run.workflow }, `run ${run.workflow}/${run.id} ${run.state} at ${clock(run.endedAt)}, ${late(run.endedAt - deadline)} after its deadline of ${clock(deadline)}`, { runId: run.id, deadline, endedAt: run.endedAt });
    } else if (run.state === 'succeeded') {
      await ctx.clear(rule, { workflow: run.workflow }, `run ${run.id} succeeded within its deadline of ${clock(deadline)}`);
    }
  }
}
