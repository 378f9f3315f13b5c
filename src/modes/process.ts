/**
 * @module modes/process
 * The one door through which a baton process is put together (as Temporal's
 * `Worker.create()` and graphile-worker's `run()` are): it opens and migrates the store,
 * opens the fleet when the compiled options say so, and creates the process's engine.
 * Nothing else in baton calls `createEngine` or decides whether the fleet is used, so
 * `baton run`, `resume`, `retry`, `server` and `worker` cannot disagree about who runs a
 * step: on PostgreSQL every one of them publishes attempts to the workers (unless `--local`),
 * and none of them marks attempts a live worker holds as lost. It is also where a process
 * that runs an engine starts exporting traces when the `OTEL_*` variables ask for them
 * (`CompiledProcessOptions.traces`), and flushes them when it closes.
 */
import { HandlerPool } from '../executors/index.js';
import type { CommittedEnds, Engine } from '../runtime/index.js';
import { createEngine } from '../runtime/index.js';
import type { FleetStore, Store } from '../store/index.js';
import { openFleetStore, openPostgresStore, openSqliteStore, redactDatabaseUrl } from '../store/index.js';
import { BatonError, errorMessage } from '../shared/index.js';
import type { CompiledProcessOptions, ProcessOptions } from './options.js';
import { compileProcessOptions } from './options.js';

/** Thrown when the store cannot be opened or migrated; the message names it (password masked). */
export class StoreOpenError extends BatonError {
  constructor(
    /** The store's location (SQLite path, or the URL with its password masked). */
    readonly location: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super('store-open', message, options);
  }
}

/** An assembled process: its store, its fleet (when it has one) and its one engine. */
export interface BatonProcess {
  /** What the process was assembled from, every default filled in. */
  readonly options: CompiledProcessOptions;
  /** The opened, migrated store. */
  readonly store: Store;
  /** Present when attempts go to fleet workers (PostgreSQL, not `local`). */
  readonly fleet?: FleetStore;
  /** Where logs and outputs live. */
  readonly dataDir: string;
  /** The store's location for messages: the SQLite path, or the URL with its password masked. */
  readonly location: string;
  /**
   * The worker threads path handlers run in, at most `slots` threads, started on first use:
   * shared by the engine and a fleet worker of this process; closed by `close()`.
   */
  readonly handlerPool: HandlerPool;
  /**
   * The process's engine, created on first use and the same afterwards. With `traces`, its
   * commits are exported as OpenTelemetry traces from then on.
   */
  engine(): Engine;
  /**
   * Closes the engine (its runs are let go for another process to adopt), exports the spans
   * still buffered (waiting at most 5 s), terminates the handler threads, then closes the
   * fleet and the store.
   */
  close(): Promise<void>;
}

/**
 * Opens the store (migrating it, under the store's own lock, so every process that opens a
 * fresh database makes it usable — a worker started first included) and the fleet.
 * @throws ProcessOptionsError for options that cannot make a process
 * @throws StoreOpenError when the store cannot be opened or migrated
 */
export async function openProcess(o: ProcessOptions): Promise<BatonProcess> {
  const c = compileProcessOptions(o);
  const location = c.store.kind === 'sqlite' ? c.store.path : redactDatabaseUrl(c.store.url);
  let store: Store;
  try {
    store = c.store.kind === 'sqlite'
      ? openSqliteStore(c.store.path, { synchronous: c.store.synchronous ?? 'normal' })
      : openPostgresStore(c.store.url);
  } catch (e) {
    throw new StoreOpenError(location, `cannot open the store at ${location}: ${errorMessage(e)}`, { cause: e });
  }
  try {
    await store.migrate();
  } catch (e) {
    await store.close().catch(() => undefined);
    const what = c.store.kind === 'postgres' ? 'the PostgreSQL store' : 'the SQLite store';
    throw new StoreOpenError(location, `cannot open ${what} at ${location}: ${errorMessage(e)}`, { cause: e });
  }
  const fleet = c.fleet && c.store.kind === 'postgres'
    ? openFleetStore(c.store.url, { max: c.fleetConnections })
    : undefined;
  return assemble(c, store, fleet, location, true);
}

/** Options of {@link processOnStore}: a process over a store the caller opened and keeps. */
export interface ProcessOnStoreOptions extends Omit<ProcessOptions, 'store' | 'local'> {
  /** An opened, migrated store; the caller closes it. */
  store: Store;
  /** The fleet, when attempts go to workers; absent: every attempt runs in this process. */
  fleet?: FleetStore;
  /** Where logs and outputs live (required: an opened store has no file to put them beside). */
  dataDir: string;
}

/**
 * Assembles a process over an already opened (and migrated) store, for programs that manage
 * the store themselves and for tests. `close()` closes the engine only: store and fleet stay
 * the caller's.
 */
export function processOnStore(o: ProcessOnStoreOptions): BatonProcess {
  const { store, fleet, ...rest } = o;
  // The location only decides fleet-or-local, which the caller decided by passing a fleet.
  const c = compileProcessOptions({ ...rest, store: fleet ? { kind: 'postgres', url: 'postgres://' } : { kind: 'sqlite', path: o.dataDir } });
  return assemble({ ...c, fleet: fleet !== undefined }, store, fleet, '(given store)', false);
}

function assemble(c: CompiledProcessOptions, store: Store, fleet: FleetStore | undefined, location: string, owns: boolean): BatonProcess {
  let engine: Engine | undefined;
  let traces: Traced | undefined;
  let closed: Promise<void> | undefined;
  const handlerPool = new HandlerPool({ maxThreads: c.slots });
  return {
    options: c, store, dataDir: c.dataDir, location, handlerPool,
    ...(fleet ? { fleet } : {}),
    engine() {
      // The one createEngine call of baton's processes (DESIGN.md, modes/).
      engine ??= createEngine({
        store, dataDir: c.dataDir, slots: c.slots, leaseMs: c.leaseMs, agingMs: c.agingMs, clock: c.clock, handlerPool,
        // In a fleet the workers throttle what they claim; the coordinator's host decides nothing.
        throttle: fleet ? false : c.throttle,
        ...(fleet ? { fleet } : {}),
      });
      // Only a process that runs an engine pays for the SDK (`baton show` never does).
      if (c.traces) traces ??= traceEngine(engine);
      return engine;
    },
    close() {
      closed ??= (async () => {
        try {
          await engine?.close();
          // After the engine: the ends of its last commits are spans too.
          await traces?.close();
        } finally {
          await handlerPool.close();
          if (owns) {
            await fleet?.close().catch(() => undefined);
            await store.close();
          }
        }
      })();
      return closed;
    },
  };
}

/** An engine's commits going to traces. */
interface Traced {
  /** Stops listening and exports what is left. */
  close(): Promise<void>;
}

/**
 * Exports an engine's commits as traces. The SDK loads asynchronously (observe/ and the
 * OpenTelemetry packages are imported only here, only with traces on); ends committed
 * meanwhile wait for it. A failure to start costs the traces, never the process: it is
 * reported as a process warning.
 */
function traceEngine(engine: Engine): Traced {
  let sink: ((ends: CommittedEnds) => void) | undefined;
  let early: CommittedEnds[] | undefined = [];
  const off = engine.onCommitted((ends) => (sink ? sink(ends) : early?.push(ends)));
  const started = import('../observe/index.js')
    .then((m) => m.startRunTraces({ onError: (message) => process.emitWarning(message, { code: 'BATON_TRACES' }) }))
    .then((t) => {
      sink = t.onCommitted;
      for (const ends of early ?? []) sink(ends);
      early = undefined;
      return t;
    }, (e: unknown) => {
      off();
      early = undefined;
      process.emitWarning(`traces are not exported: ${errorMessage(e)}`, { code: 'BATON_TRACES' });
      return undefined;
    });
  return {
    async close() {
      off();
      await (await started)?.shutdown();
    },
  };
}
