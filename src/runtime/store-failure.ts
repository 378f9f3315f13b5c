/**
 * @module runtime/store-failure
 * How the engine names a store failure it stops for. A full disk is not an outage that
 * passes by waiting: the engine stops at once, everything committed stays intact (each
 * commit is one transaction), and the message says what to free.
 */
import { BatonError, systemErrorCode } from '../shared/index.js';

/**
 * Whether a store error says its disk is full: Node's `ENOSPC`/`EDQUOT`, SQLite's
 * `SQLITE_FULL` (better-sqlite3 sets it as `code`), PostgreSQL's SQLSTATE `53100`
 * (`disk_full`, https://www.postgresql.org/docs/current/errcodes-appendix.html).
 */
export function isDiskFull(e: unknown): boolean {
  const code = systemErrorCode(e);
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || code === '53100';
}

/** The engine stopped because the store's disk is full. `cause` is the store's error. */
export class StoreDiskFullError extends BatonError {
  constructor(cause: Error) {
    super(
      'store-disk-full',
      `the store's disk is full (${cause.message}): baton stopped; every commit before this one is intact. `
        + 'Free space on the disk that holds the database (for SQLite, the folder of baton.db and its -wal file; '
        + 'old logs under logs/ are often the biggest), then resume the runs (baton resume RUN)',
      { cause },
    );
  }
}
