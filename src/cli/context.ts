/**
 * @module cli/context
 * Where the CLI finds its store: PostgreSQL when `--database-url` or `BATON_DATABASE_URL`
 * gives a URL (fleet mode: every node names the same database); otherwise SQLite at `--db`,
 * then `BATON_DB`, then `./.baton/baton.db`. Logs and output files are local files either
 * way, beside the SQLite file (in PostgreSQL mode too: `./.baton` unless `--db` says where).
 */
import { hostname, userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Store } from '../store/index.js';
import { openFleetStore, openPostgresStore, openSqliteStore, redactDatabaseUrl } from '../store/index.js';
import type { FleetStore } from '../store/index.js';
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
 * Opens the store (migrating it) and says where data lives: `path` is the SQLite file, or
 * the PostgreSQL URL with its password masked; `dataDir` holds logs and outputs.
 * @throws CliError on a bad BATON_SQLITE_SYNCHRONOUS, or when PostgreSQL cannot be reached or migrated.
 */
export async function openStore(o: GlobalOptions): Promise<{ store: Store; dataDir: string; path: string }> {
  const dataDir = dirname(dbPath(o));
  const url = databaseUrl(o);
  if (url !== undefined) {
    const store = openPostgresStore(url);
    try {
      await store.migrate();
    } catch (e) {
      await store.close();
      const why = e instanceof Error ? e.message : String(e);
      throw new CliError(`cannot open the PostgreSQL store at ${redactDatabaseUrl(url)}: ${why}`, EXIT.failed);
    }
    return { store, dataDir, path: redactDatabaseUrl(url) };
  }
  const path = dbPath(o);
  const sync = process.env.BATON_SQLITE_SYNCHRONOUS?.toLowerCase();
  if (sync !== undefined && sync !== 'normal' && sync !== 'full') {
    throw new CliError(`BATON_SQLITE_SYNCHRONOUS must be 'normal' or 'full', got '${sync}'`);
  }
  const store = openSqliteStore(path, { synchronous: sync === 'full' ? 'full' : 'normal' });
  await store.migrate();
  return { store, dataDir, path };
}

/**
 * The fleet store when a PostgreSQL URL is set (workers and coordinators share it), else
 * undefined: SQLite has no fleet.
 */
export function openFleet(o: GlobalOptions): FleetStore | undefined {
  const url = databaseUrl(o);
  return url === undefined ? undefined : openFleetStore(url);
}
