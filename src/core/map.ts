/**
 * @module core/map
 * The pure rules of a mapped step (`map:`): how its item step runs are named, and what the
 * step's own outcome is once every item has ended. The machine (./machine.ts) keeps the
 * bookkeeping; this file decides.
 */
import type { MapSpec } from '../workflow/index.js';
import type { JsonValue } from '../shared/index.js';
import type { Failure } from './failure.js';
import { failures } from './failure.js';
import type { StepRunState } from './states.js';

/**
 * The step run id of item `index` of mapped step `stepId`: `forecast[3]`. Step ids may not
 * hold `[` (schema), so an item's id never clashes with a step's, and an attempt id
 * `<run>.forecast[3].1` stays stable and usable as an idempotency key.
 */
export function mapItemId(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

const ITEM_ID = /^(.+)\[(\d+)\]$/;

/** The mapped step and index an item's step run id names, or undefined for any other id. */
export function parseMapItemId(id: string): { stepId: string; index: number } | undefined {
  const m = ITEM_ID.exec(id);
  return m ? { stepId: m[1]!, index: Number(m[2]) } : undefined;
}

/** What one item's step run ended with, as its parent's outcome reads it. */
export interface MapItemEnd {
  stepId: string;
  state: StepRunState;
  output?: JsonValue;
  error?: Failure;
}

/** A mapped step's outcome once every item has ended. */
export type MapOutcome =
  | { state: 'succeeded'; output: JsonValue[] }
  | { state: 'cancelled' }
  | { state: 'failed'; failure: Failure; runTimeout?: true };

/** Items named in a failure message before "and N more". */
const NAMED_FAILURES = 3;

/**
 * The outcome of a mapped step from its items, in order. Cancelled items (a cancel or run
 * timeout) make it cancelled, or failed by the run timeout; otherwise it fails when more
 * items failed than its policy allows (`fail-fast`: any; `continue`: `maxFailures`, absent =
 * no limit), and succeeds with the items' outputs in order, `null` for an item that
 * did not succeed (Airflow's mapped task hands downstream the list of its instances' values).
 */
export function mapOutcome(spec: MapSpec, items: readonly MapItemEnd[], ending: 'cancelled' | 'run-timeout' | undefined): MapOutcome {
  const failed = items.filter((i) => i.state === 'failed');
  if (items.some((i) => i.state === 'cancelled')) {
    return ending === 'run-timeout' ? { state: 'failed', failure: failures.runTimeout(), runTimeout: true } : { state: 'cancelled' };
  }
  if (failed.length > allowedFailures(spec, items.length)) {
    const named = failed.slice(0, NAMED_FAILURES).map((i) => `${i.stepId} (${i.error?.message ?? 'failed'})`);
    const more = failed.length > NAMED_FAILURES ? ` and ${failed.length - NAMED_FAILURES} more` : '';
    return {
      state: 'failed',
      failure: failures.mapItemsFailed(`${failed.length} of ${items.length} items failed: ${named.join(', ')}${more}`, {
        failed: failed.length, total: items.length, items: failed.slice(0, 20).map((i) => i.stepId),
      }),
    };
  }
  return { state: 'succeeded', output: items.map((i) => (i.state === 'succeeded' ? (i.output ?? null) : null)) };
}

/** Failed items a mapped step tolerates. */
function allowedFailures(spec: MapSpec, total: number): number {
  if (spec.failurePolicy === 'fail-fast') return 0;
  const max = spec.maxFailures;
  if (max === undefined) return Number.POSITIVE_INFINITY;
  return 'count' in max ? max.count : Math.floor((max.percent / 100) * total);
}

/** Whether a failed item stops the items not yet started (`fail-fast`). */
export function stopsOnFailure(spec: MapSpec): boolean {
  return spec.failurePolicy === 'fail-fast';
}
