/**
 * @module cli/context
 * Where the CLI finds its store: PostgreSQL when `--database-url` or `BATON_DATABASE_URL`
 * gives a URL (fleet mode: every node names the same database); otherwise SQLite at `--db`,
 * then `BATON_DB`, then `./.baton/baton.db`. Logs and output files are local files either
 * way, beside the SQLite file (in PostgreSQL mode too: `./.baton` unless `--db` says where);
 * on PostgreSQL fleet workers also ship their logs to the database (observe/logs.ts reads both).
 * The process itself is assembled in modes/.
 */
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { FleetStore, Store } from '../store/index.js';
import type { BatonProcess, ProcessMode, ProcessOptions } from '../modes/index.js';
import { ProcessOptionsError, StoreOpenError, openProcess } from '../modes/index.js';
import { BatonError } from '../shared/index.js';

/** Global options every command accepts. */
export interface GlobalOptions {
  /** SQLite database file. @default './.baton/baton.db' (or env BATON_DB) */
  db?: string;
  /** PostgreSQL connection URL (or env BATON_DATABASE_URL); when set, the store is PostgreSQL. */
  databaseUrl?: string;
  /** A baton server's URL (or env BATON_SERVER): commands that read or change runs use its API instead of a store. */
  server?: string;
  /** The API token for `server` (or env BATON_TOKEN). */
  token?: string;
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

/** A user-facing error: printed without a stack, with the exit code given. */
export class CliError extends BatonError {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super('cli', message);
  }
}

/** Who asks, as recorded in the events of operator requests (pause, re-run, priority): `cli:user@host`. */
export function cliActor(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep $USER
  }
  return `cli:${user}@${hostname()}`;
}

/** The database path for these options. */
export function dbPath(o: GlobalOptions): string {
  return resolve(o.db ?? process.env.BATON_DB ?? '.baton/baton.db');
}

/** The PostgreSQL URL for these options, if PostgreSQL mode is chosen. */
export function databaseUrl(o: GlobalOptions): string | undefined {
  const url = o.databaseUrl ?? process.env.BATON_DATABASE_URL;
  return url === undefined || url.trim() === '' ? undefined : url.trim();
}

/**
 * The process options these flags and the environment give: PostgreSQL when a URL is set,
 * else SQLite at `--db`/BATON_DB/`./.baton/baton.db`; logs and outputs beside the SQLite
 * file (in PostgreSQL mode too).
 * @throws CliError on a bad BATON_SQLITE_SYNCHRONOUS
 */
export function processOptions(o: GlobalOptions, mode: ProcessMode, extra: Omit<ProcessOptions, 'mode' | 'store' | 'dataDir'> = {}): ProcessOptions {
  const dataDir = dirname(dbPath(o));
  const url = databaseUrl(o);
  if (url !== undefined) return { ...extra, mode, dataDir, store: { kind: 'postgres', url } };
  const sync = process.env.BATON_SQLITE_SYNCHRONOUS?.toLowerCase();
  if (sync !== undefined && sync !== 'normal' && sync !== 'full') {
    throw new CliError(`BATON_SQLITE_SYNCHRONOUS must be 'normal' or 'full', got '${sync}'`);
  }
  return { ...extra, mode, dataDir, store: { kind: 'sqlite', path: dbPath(o), synchronous: sync === 'full' ? 'full' : 'normal' } };
}

/**
 * Assembles this command's process (modes/): opens and migrates the store, opens the fleet
 * on PostgreSQL unless `local`. Close it with `proc.close()`.
 * @throws CliError (exit 1) when the store cannot be opened or migrated; (exit 2) for options that cannot make a process
 */
export async function openCliProcess(o: GlobalOptions, mode: ProcessMode, extra: Omit<ProcessOptions, 'mode' | 'store' | 'dataDir'> = {}): Promise<BatonProcess> {
  try {
    return await openProcess(processOptions(o, mode, extra));
  } catch (e) {
    if (e instanceof StoreOpenError) throw new CliError(e.message, EXIT.failed);
    if (e instanceof ProcessOptionsError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/**
 * Opens the store alone (migrating it), for commands that read or change records and run
 * nothing: `path` is the SQLite file, or the PostgreSQL URL with its password masked;
 * `dataDir` holds logs and outputs.
 * @throws CliError as {@link openCliProcess}
 */
export async function openStore(o: GlobalOptions): Promise<{ store: Store; dataDir: string; path: string }> {
  const proc = await openCliProcess(o, 'embedded', { local: true });
  return { store: proc.store, dataDir: proc.dataDir, path: proc.location };
}

/**
 * The fleet's state for commands that only read it (`show`, `workers`): the store opened
 * (and migrated, so a fresh database answers "no workers" rather than a missing table) and
 * its fleet, or undefined on SQLite. Close it with `close()`.
 * @throws CliError as {@link openCliProcess}
 */
export async function openFleet(o: GlobalOptions): Promise<{ fleet: FleetStore; close(): Promise<void> } | undefined> {
  if (databaseUrl(o) === undefined) return undefined;
  const proc = await openCliProcess(o, 'embedded', { fleetConnections: 1 });
  return { fleet: proc.fleet!, close: () => proc.close() };
}
