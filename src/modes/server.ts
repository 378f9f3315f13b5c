/**
 * @module modes/server
 * `baton server` assembled from a process: its engine (which publishes attempts to the
 * fleet's workers on PostgreSQL, or runs them here), the run loop (schedules, delayed runs,
 * queued and orphaned runs) and the HTTP API, wired so that a run the API queues starts at
 * once, a pause reaches the engine at once, and live feeds wake when the engine commits.
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../runtime/index.js';
import type { ApiOptions, RunService } from '../server/index.js';
import { buildApi } from '../server/index.js';
import type { BatonProcess } from './process.js';
import type { ServerReport } from './run-loop.js';
import { RunLoop } from './run-loop.js';

/** Options of {@link serve}. */
export interface ServeOptions extends Pick<ApiOptions, 'bodyLimitBytes' | 'webhookRatePerMinute' | 'env' | 'feedPollMs' | 'logger'> {
  /** Folder of workflow files to load and watch; also where `uses` paths of API-registered workflows resolve. */
  workflowsDir?: string;
  /** Where the API listens; `api: false` serves no HTTP. @default { host: '127.0.0.1', port: 8080 } */
  api?: { host: string; port: number } | false;
  report: (r: ServerReport) => void;
  /** Longest sleep of the trigger loop, ms. @default 1000 */
  pollMs?: number;
}

/** A started server. */
export interface RunningServer {
  engine: Engine;
  loop: RunLoop;
  /** Absent with `api: false`. */
  http?: FastifyInstance;
  /** `http://host:port` the API listens on. */
  address?: string;
  /** Workflow files loaded at start. */
  loaded: { valid: number; invalid: number };
  /** Stops the API and the trigger loop; runs in flight go on until `close`. */
  stop(): Promise<void>;
  /** Stops everything (the process's engine too: interrupted runs are resumed by the next server). Does not close the process. */
  close(): Promise<void>;
}

/**
 * Starts the run loop and the API on a process (its engine, store and fleet).
 * @throws the listen error (address in use, permission) after stopping what was started.
 */
export async function serve(proc: BatonProcess, o: ServeOptions): Promise<RunningServer> {
  const engine = proc.engine();
  const triggers = new RunLoop({
    store: proc.store, engine, report: o.report,
    ...(o.workflowsDir ? { workflowsDir: o.workflowsDir } : {}),
    ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
  });
  const loaded = await triggers.start();
  const feedSignal = new EventEmitter();
  let signalled = false;
  // One wake-up per event-loop turn, however many events the engine committed in it.
  engine.onEvent(() => {
    if (signalled) return;
    signalled = true;
    setImmediate(() => {
      signalled = false;
      feedSignal.emit('events');
    });
  });
  const listen = o.api === undefined ? { host: '127.0.0.1', port: 8080 } : o.api;
  let http: FastifyInstance | undefined;
  let address: string | undefined;
  if (listen) {
    const runs: RunService = {
      start: (spec, version, opts) => triggers.startNew(spec, version, opts),
      startQueued: (runId) => void (runId === undefined ? triggers.runIteration() : triggers.startQueued(runId)),
      refresh: (runId) => void engine.refresh(runId).catch(() => undefined),
    };
    http = await buildApi({
      store: proc.store, dataDir: proc.dataDir, feedSignal, runs,
      ...(proc.fleet ? { fleet: proc.fleet } : {}),
      ...(o.workflowsDir ? { baseDir: o.workflowsDir } : {}),
      ...(o.bodyLimitBytes !== undefined ? { bodyLimitBytes: o.bodyLimitBytes } : {}),
      ...(o.webhookRatePerMinute !== undefined ? { webhookRatePerMinute: o.webhookRatePerMinute } : {}),
      ...(o.env ? { env: o.env } : {}),
      ...(o.feedPollMs !== undefined ? { feedPollMs: o.feedPollMs } : {}),
      ...(o.logger !== undefined ? { logger: o.logger } : {}),
    });
    try {
      address = await http.listen({ host: listen.host, port: listen.port });
    } catch (e) {
      await http.close();
      await triggers.stop();
      await proc.close();
      throw e;
    }
  }
  const stop = async (): Promise<void> => {
    await http?.close();
    await triggers.stop();
  };
  return {
    engine, loop: triggers, loaded, stop,
    ...(http ? { http } : {}),
    ...(address ? { address } : {}),
    async close() {
      await stop();
      await proc.close();
    },
  };
}
