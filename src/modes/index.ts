/**
 * @module modes
 * Assembly of a baton process: embedded run, server, fleet worker. One compiled options
 * type; the only place that creates an engine and decides fleet-or-local (from the store).
 */
export { compileProcessOptions, tracesRequested, ProcessOptionsError } from './options.js';
export type { ProcessMode, ProcessOptions, CompiledProcessOptions, StoreLocation } from './options.js';
export { openProcess, processOnStore, StoreOpenError } from './process.js';
export type { BatonProcess, ProcessOnStoreOptions } from './process.js';
export { findInterrupted, waitUntilDue, startQueuedHere, startDueHere, runQueuedHere } from './embedded.js';
export type { QueuedStart, QueuedOutcome } from './embedded.js';
export { RunLoop } from './run-loop.js';
export type { RunLoopOptions, ServerReport } from './run-loop.js';
export type { ServeOptions, ServeRetentionOptions, RunningServer } from './server.js';
import type { BatonProcess } from './process.js';
import type { RunningServer, ServeOptions } from './server.js';

/**
 * Starts the run loop and the HTTP API on a process (see `modes/server`). The HTTP layer
 * (fastify and its plugins) loads on the first call, so commands that serve nothing do not
 * pay for it at start.
 * @throws the listen error (address in use, permission) after stopping what was started
 * @throws RetentionOptionsError for `retention` ages or a batch size that cannot work
 */
export async function serve(proc: BatonProcess, o: ServeOptions): Promise<RunningServer> {
  const { serve: start } = await import('./server.js');
  return start(proc, o);
}
export { startFleetWorker, FleetJoinError } from './worker.js';
export type { FleetWorkerOptions, RunningWorker } from './worker.js';
