/**
 * @module executors/held
 * Runs the steps that only the engine holding their run can execute: a sub-workflow step
 * (`workflow:`, whose child is a run the engine starts and holds, runtime/child-runs.ts) and
 * a waiting step (`wait:`, `approval:`, whose answer arrives in the store, runtime/signals.ts).
 * The runtime hands the hooks; this executor only writes what happens into the step's log.
 */
import { failures } from '../core/index.js';
import type { AttemptRequest, AttemptResult } from './types.js';

/** Runs one attempt of a held step. Never throws. */
export async function runHeldStep(req: AttemptRequest): Promise<AttemptResult> {
  if (req.held === undefined) {
    // A fleet worker never gets one: the coordinator, which holds the run, runs these steps.
    return { ok: false, failure: failures.unsupported(`step ${req.stepId} is a ${req.step.action.kind} step, which only the engine holding its run can execute`) };
  }
  return req.held.run(req.signal, (line) => req.log.write(`${line}\n`));
}
