/**
 * @module cli/context
 * Where the CLI finds its store: `--db`, then `BATON_DB`, then `./.baton/baton.db`.
 * Logs and output files live beside the database file.
 */
import { dirname, resolve } from 'node:path';
import type { Store } from '../store/index.js';
import { openSqliteStore } from '../store/index.js';

/** Global options every command accepts. */
export interface GlobalOptions {
  db?: string;
}

/** Exit codes of every command. */
export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

/** A user-facing error: printed without a stack, with the exit code given. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The database path for these options. */
export function dbPath(o: GlobalOptions): string {
  return resolve(o.db ?? process.env.BATON_DB ?? '.baton/baton.db');
}

/** Opens the store (migrating it) and says where data lives. */
export async function openStore(o: GlobalOptions): Promise<{ store: Store; dataDir: string; path: string }> {
  const path = dbPath(o);
  const sync = process.env.BATON_SQLITE_SYNCHRONOUS?.toLowerCase();
  if (sync !== undefined && sync !== 'normal' && sync !== 'full') {
    throw new CliError(`BATON_SQLITE_SYNCHRONOUS must be 'normal' or 'full', got '${sync}'`);
  }
  const store = openSqliteStore(path, { synchronous: sync === 'full' ? 'full' : 'normal' });
  await store.migrate();
  return { store, dataDir: dirname(path), path };
}
