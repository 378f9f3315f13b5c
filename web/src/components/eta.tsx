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
