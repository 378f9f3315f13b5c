/**
 * @module executors
 * Run one attempt of a step and say how it ended. Executors do not touch the store.
 */
import { runBatch } from './batch.js';
import { runHandler } from './handler.js';
import { runShell } from './shell.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

export * from './types.js';
export { AttemptLog } from './log.js';
export { directArgv, commandFor } from './shell.js';
export { toOutput } from './handler.js';
export type { BatchItemResult, BatchItemStatus, BatchResult } from './batch-items.js';

/** Runs one attempt with the executor for the step's kind. Never throws for step failures. */
export function execute(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.batch !== undefined) return runBatch(req, limits);
  return req.step.action.kind === 'run' ? runShell(req, limits) : runHandler(req, limits);
}
