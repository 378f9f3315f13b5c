/**
 * @module executors/workflow
 * Runs a sub-workflow step (`workflow:`): the child is a run of its own, which the engine
 * starts and holds (runtime/child-runs.ts hands the hooks); this executor only writes what
 * happens into the step's log and returns the child's outputs as the step's output.
 */
import { failures } from '../core/index.js';
import type { AttemptRequest, AttemptResult } from './types.js';

/** Runs one attempt of a sub-workflow step. Never throws. */
export async function runWorkflowStep(req: AttemptRequest): Promise<AttemptResult> {
  if (req.child === undefined) {
    // A fleet worker never gets one: the coordinator, which holds the parent, runs these steps.
    return { ok: false, failure: failures.unsupported(`step ${req.stepId} is a sub-workflow step, which only the engine holding its run can execute`) };
  }
  return req.child.run(req.signal, (line) => req.log.write(`${line}\n`));
}
