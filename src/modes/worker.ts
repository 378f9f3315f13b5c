/**
 * @module modes/worker
 * `baton worker` assembled: a fleet worker that claims attempts, and, since every worker is
 * also a coordinator, the process's engine and a run loop that adopts runs nobody holds
 * (submitted with `--detach`, or whose coordinator died) and publishes their attempts.
 */
import { join } from 'node:path';
import type { Worker, WorkerEvent, WorkerOptions } from '../runtime/index.js';
import { createWorker, detectCapabilities } from '../runtime/index.js';
import { BatonError, errorMessage } from '../shared/index.js';
import type { BatonProcess } from './process.js';
import type { ServerReport } from './run-loop.js';
import { RunLoop } from './run-loop.js';

/** Options of {@link startFleetWorker}: the worker's own, less what the process provides. */
export interface FleetWorkerOptions extends Omit<WorkerOptions, 'fleet' | 'report'> {
  /**
   * Detect, once before registering, the tags of the machine (its architecture, the tools on
   * its PATH, a GPU: runtime/worker-detect.ts) and advertise them beside `tags`, which always
   * apply. False: only `tags` (and the platform, which always counts). @default true
   */
  detect?: boolean;
  /** Fleet-wide pool limits to set before claiming (name -> limit). @default none */
  pools?: ReadonlyMap<string, number>;
  /** What the worker does, for logs. Must not throw. */
  report: (e: WorkerEvent) => void;
  /** What the coordinator does (runs adopted and finished), for logs. Must not throw. */
  reportCoordinator: (r: ServerReport) => void;
}

/** A started fleet worker with its coordinator. */
export interface RunningWorker {
  worker: Worker;
  loop: RunLoop;
  /** Claims nothing more and lets running attempts finish within `graceMs`, then stops. */
  drain(graceMs: number): Promise<void>;
  /** Stops at once (running attempts are killed and completed as failed, retryable). */
  stop(): Promise<void>;
  /** Stops the coordinator and the worker and closes the process. */
  close(): Promise<void>;
}

/** Thrown when the worker cannot join the fleet (database unreachable, not migrated). */
export class FleetJoinError extends BatonError {
  constructor(message: string, options?: ErrorOptions) {
    super('fleet-join', message, options);
  }
}

/**
 * Joins the fleet: sets the pool limits, registers and starts the worker, then starts the
 * coordinator loop on the process's engine. The process was opened (and its store migrated)
 * by `openProcess`, so a worker started before any server finds a usable database.
 * @throws FleetJoinError when the process has no fleet or the worker cannot register
 */
export async function startFleetWorker(proc: BatonProcess, o: FleetWorkerOptions): Promise<RunningWorker> {
  const fleet = proc.fleet;
  if (!fleet) throw new FleetJoinError('a worker needs the fleet: open the process on PostgreSQL, without local');
  const { pools, reportCoordinator, detect = true, ...given } = o;
  // Given tags come first and stay whatever is detected; given facts (tests) win too.
  const found = detect ? await detectCapabilities() : undefined;
  const workerOptions: Omit<WorkerOptions, 'fleet'> = found
    ? { ...given, tags: [...new Set([...(given.tags ?? []), ...found.tags])], facts: given.facts ?? found.facts }
    : given;
  let worker: Worker;
  try {
    for (const [name, max] of pools ?? []) await fleet.setPoolLimit(name, max);
    // Logs go beside this process's data, and to the store so that any node can read them.
    worker = createWorker({
      logDir: join(proc.dataDir, 'logs'), clock: proc.options.clock, handlerPool: proc.handlerPool, throttle: proc.options.throttle, ...workerOptions, fleet,
      ...(proc.store.logs ? { logs: proc.store.logs } : {}),
    });
    await worker.start();
  } catch (e) {
    throw new FleetJoinError(`cannot join the fleet at ${proc.location}: ${errorMessage(e)}`, { cause: e });
  }
  const loop = new RunLoop({ store: proc.store, engine: proc.engine(), schedules: false, report: reportCoordinator, clock: proc.options.clock });
  await loop.start();
  let closed: Promise<void> | undefined;
  return {
    worker, loop,
    drain: (graceMs) => worker.drain(graceMs),
    stop: () => worker.stop(),
    close() {
      closed ??= (async () => {
        await loop.stop();
        // Releases its runs first: another coordinator takes them over.
        await proc.engine().close();
        await worker.stop();
        await proc.close();
      })();
      return closed;
    },
  };
}
