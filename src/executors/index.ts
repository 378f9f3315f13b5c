/**
 * @module executors
 * Run one attempt of a step and say how it ended. Executors do not touch the store.
 */
import { runHandler } from './handler.js';
import { runShell } from './shell.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

export * from './types.js';
export { AttemptLog } from './log.js';
export { directArgv, commandFor } from './shell.js';
export { toOutput } from './handler.js';

/** Runs one attempt with the executor for the step's kind. Never throws for step failures. */
export function execute(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  return req.step.action.kind === 'run' ? runShell(req, limits) : runHandler(req, limits);
}
