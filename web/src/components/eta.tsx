/**
 * @module web/components/eta
 * A run's ETA as the run resource carries it (`eta: { p50, p90, basis }`): the predicted end
 * at the median and the 90th percentile, in the browser's time zone, and where it came
 * from. Text nodes only.
 */
import type { ReactNode } from 'react';
import type { Run } from '../api/types.js';
import { isRunDone } from '../api/types.js';
import { Time } from '../lib/time.js';

/** The ETA of a run as the API gives it. */
export type RunEta = NonNullable<Run['eta']>;

/** Where an ETA came from, in words. */
const BASIS: Readonly<Record<RunEta['basis'], string>> = { steps: 'from step history', runs: 'from run durations', unknown: 'no history yet' };

/**
 * `14:32 (p90 14:40) from step history`; `unknown (no history yet)`; nothing for an ended
 * run or a resource without an ETA. `compact` leaves out the basis (table cells; it is in
 * the tooltip).
 */
export function Eta({ run, compact = false }: { run: Pick<Run, 'state' | 'eta'>; compact?: boolean }): ReactNode {
  const eta = run.eta;
  if (eta === undefined || isRunDone(run.state)) return null;
  if (eta.p50 === null || eta.p90 === null) return <span className="muted" title={BASIS.unknown}>{compact ? '?' : `unknown (${BASIS.unknown})`}</span>;
  return (
    <span data-testid="run-eta" title={`predicted end ${BASIS[eta.basis]}: median, then 90th percentile`}>
      <Time ms={eta.p50} short /> <span className="muted">(p90 <Time ms={eta.p90} short />)</span>{compact ? null : <> <span className="muted">{BASIS[eta.basis]}</span></>}
    </span>
  );
}

/**
 * A run's deadline (`eta.deadline`) and how it stands: `05:00 — at risk` while the p90 is
 * past it, `missed` once the clock is, as the `deadline-at-risk` / `deadline-missed` alerts
 * judge. Nothing when the run has ended or declares none.
 */
export function Deadline({ run, now = Date.now() }: { run: Pick<Run, 'state' | 'eta'>; now?: number }): ReactNode {
  const deadline = run.eta?.deadline;
  if (deadline === undefined || isRunDone(run.state)) return null;
  const p90 = run.eta?.p90 ?? null;
  const state = now > deadline ? 'missed' : p90 !== null && p90 > deadline ? 'at risk' : 'on time';
  return (
    <span data-testid="run-deadline" className={state === 'on time' ? undefined : 'deadline-late'}>
      <Time ms={deadline} short /> <span className={state === 'on time' ? 'muted' : undefined}>— {state}</span>
    </span>
  );
}
