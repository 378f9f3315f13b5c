/**
 * @module modes/options
 * What a baton process is assembled from, compiled once with every default filled in. The
 * CLI builds {@link ProcessOptions} from its flags and environment; library users build it
 * themselves; inside `modes/` only {@link CompiledProcessOptions} travels.
 */
import { dirname, resolve } from 'node:path';
import type { Clock, ThrottleOptions } from '../runtime/index.js';
import { compileThrottle, realClock } from '../runtime/index.js';
import { BatonError } from '../shared/index.js';

/**
 * The three kinds of baton process (DESIGN.md, "Modes"):
 * - `embedded`: `baton run`, `resume`, `retry`: one process runs the runs it is asked to;
 * - `server`: `baton server`: API, triggers, and the runs nobody holds;
 * - `worker`: `baton worker`: claims fleet attempts, and coordinates runs nobody holds.
 */
export type ProcessMode = 'embedded' | 'server' | 'worker';

/** Where the store is: an SQLite file (embedded default) or a PostgreSQL database (fleet). */
export type StoreLocation =
  | { kind: 'sqlite'; path: string; synchronous?: 'normal' | 'full' }
  | { kind: 'postgres'; url: string };

/** Options of a baton process; see {@link compileProcessOptions} for the defaults. */
export interface ProcessOptions {
  /** Which kind of process this is; a worker needs PostgreSQL. */
  mode: ProcessMode;
  /** Where the store is; PostgreSQL makes the process part of the fleet unless `local`. */
  store: StoreLocation;
  /**
   * Folder for attempt logs (`logs/`) and output files (`outputs/`), local to this process.
   * @default the SQLite file's folder; `./.baton` with PostgreSQL
   */
  dataDir?: string;
  /**
   * With PostgreSQL, run every step in this process instead of publishing attempts to
   * `baton worker` processes (`--local`). Refused for a worker, which is the fleet.
   * @default false
   */
  local?: boolean;
  /** Attempts this process's engine runs at once, across runs. @default 256 */
  slots?: number;
  /** Run lease of this process's engine, ms. @default 15000 */
  leaseMs?: number;
  /** Waiting time worth one priority level, ms (the engine's and the fleet queue's). @default 10000 */
  agingMs?: number;
  /** Connections of the fleet pool (PostgreSQL). @default 4 */
  fleetConnections?: number;
  /**
   * Export OpenTelemetry traces of the runs this process's engine commits (observe/traces.ts),
   * configured by the `OTEL_*` variables. @default {@link tracesRequested}(process.env)
   */
  traces?: boolean;
  /**
   * The process's time: its engine's timers and stamps, and the server's periodic work
   * (retention). Tests pass a `VirtualClock`. @default the wall clock
   */
  clock?: Clock;
  /**
   * Adaptive slots (runtime/throttle.ts; `--max-cpu`, `--max-mem`, `--max-lag`,
   * `--no-throttle`): of the engine when it runs its own attempts, of the fleet worker
   * (`baton worker`, the server's own) otherwise. `false`: the slots stay fixed. The CLI
   * passes its flags (on unless `--no-throttle`); a program assembling a process chooses,
   * so that a test or an embedding application never sees its slots move unasked.
   * @default false
   */
  throttle?: ThrottleOptions | false;
}

/** {@link ProcessOptions} with every default filled in and the fleet decided. */
export interface CompiledProcessOptions {
  /** As given. */
  mode: ProcessMode;
  /** As given. */
  store: StoreLocation;
  /** Absolute folder for logs and outputs. */
  dataDir: string;
  /** Whether attempts go to fleet workers: PostgreSQL and not `local`. Decided here, once. */
  fleet: boolean;
  /** Attempts the engine runs at once. */
  slots: number;
  /** The engine's run lease, ms. */
  leaseMs: number;
  /** Waiting time worth one priority level, ms. */
  agingMs: number;
  /** Connections of the fleet pool. */
  fleetConnections: number;
  /** Whether the engine's commits are exported as traces. */
  traces: boolean;
  /** The process's time. */
  clock: Clock;
  /** The throttle's options as given (checked here), `false` for none. */
  throttle: ThrottleOptions | false;
}

/** Thrown for options that cannot make a process (a worker without PostgreSQL, a bad limit). */
export class ProcessOptionsError extends BatonError {
  constructor(message: string) {
    super('process-options', message);
  }
}

/**
 * Fills in defaults and decides fleet-or-local from the store: a PostgreSQL store means a
 * fleet unless `local`; SQLite never has one.
 * @throws ProcessOptionsError for a worker without PostgreSQL, `local` on a worker, or a
 *   non-positive `slots`, `leaseMs`, `agingMs` or `fleetConnections`, or throttle thresholds
 *   not above 0
 */
export function compileProcessOptions(o: ProcessOptions): CompiledProcessOptions {
  const postgres = o.store.kind === 'postgres';
  if (o.mode === 'worker' && !postgres) {
    throw new ProcessOptionsError('baton worker needs a PostgreSQL database: pass --database-url postgres://… or set BATON_DATABASE_URL');
  }
  if (o.mode === 'worker' && o.local) throw new ProcessOptionsError('a worker is the fleet: it cannot run --local');
  const c: CompiledProcessOptions = {
    mode: o.mode,
    store: o.store,
    dataDir: resolve(o.dataDir ?? (o.store.kind === 'sqlite' ? dirname(resolve(o.store.path)) : '.baton')),
    fleet: postgres && !o.local,
    slots: o.slots ?? 256,
    leaseMs: o.leaseMs ?? 15_000,
    agingMs: o.agingMs ?? 10_000,
    fleetConnections: o.fleetConnections ?? 4,
    traces: o.traces ?? tracesRequested(process.env),
    clock: o.clock ?? realClock,
    throttle: o.throttle ?? false,
  };
  try {
    compileThrottle(c.throttle);
  } catch (e) {
    throw new ProcessOptionsError((e as Error).message);
  }
  for (const k of ['slots', 'leaseMs', 'agingMs', 'fleetConnections'] as const) {
    if (!(c[k] > 0) || !Number.isFinite(c[k])) throw new ProcessOptionsError(`${k} must be a number above 0, got ${c[k]}`);
  }
  return c;
}

/**
 * Whether the environment asks for traces, as the OpenTelemetry SDKs read it: an OTLP
 * endpoint is set (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`,
 * not blank), the SDK is not disabled (`OTEL_SDK_DISABLED=true`, any case) and the traces
 * exporter is not `none` (`OTEL_TRACES_EXPORTER`). Without an endpoint baton exports
 * nothing, rather than trying the SDK's default `http://localhost:4318`.
 * @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
export function tracesRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim().toLowerCase()).includes('none')) return false;
  return [env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_ENDPOINT].some((v) => v !== undefined && v.trim() !== '');
}
