/**
 * @module store/postgres/dialect
 * Where the PostgreSQL store differs from the SQLite one, and why — kept in this one place
 * (as pg-boss keeps its dialect) so the two implementations can be compared line by line.
 *
 * 1. **Types.** Times and `events.seq` are BIGINT: ms since the epoch (~1.7e12) are far past
 *    INTEGER's 2^31. node-postgres hands BIGINT back as a string, because
 *    a JS number cannot hold every int8; ours are ms times and sequence numbers, far below
 *    2^53, so `pgTypes` parses int8 to a number and throws past 2^53 rather than round.
 *    `cpu_ms` is DOUBLE PRECISION (SQLite REAL); `peak_rss_bytes` BIGINT.
 * 2. **JSON columns are `json`, not `jsonb`.** `json` keeps the exact text the store was
 *    given, as SQLite's TEXT does, so key order of outputs and params reads back as written
 *    and `\u0000` inside a string is accepted (jsonb rejects it); it is still checked on
 *    input and queryable with `->`/`->>`. jsonb would only pay off with GIN indexes, which
 *    no query needs; a later migration can convert a column when one does. `pgTypes`
 *    returns json as text and `parseJson` parses it, so an output that is JSON `null` stays
 *    distinguishable from no output (SQL NULL), exactly as in SQLite.
 * 3. **Batched writes.** better-sqlite3 runs each row's statement in-process for
 *    microseconds; here every statement is a network round trip, so `commit` sends one
 *    statement per table with columns as arrays (`unnest($1::text[], ...)`), a few round
 *    trips per batch whatever its size. `UPDATE ... FROM unnest(...)` updates a row once
 *    even when the input names it twice, so duplicates are folded in JS beforehand with
 *    the same outcome SQLite's statement-per-row order gives (see store/postgres/batch.ts).
 * 4. **Locks.** SQLite has one writer (`BEGIN IMMEDIATE`); PostgreSQL has row locks.
 *    `acquireRun` reads the run `FOR UPDATE`; `migrate` serialises nodes on a
 *    transaction-level advisory lock (`MIGRATE_LOCK_KEY`). `commit` locks the rows of the
 *    runs it writes events for, in id order, before numbering events: a BIGSERIAL value is
 *    taken at insert, not at commit, so without the lock a concurrent `requestCancel`
 *    could commit seq 11 before the batch commits seq 10 and a reader tailing
 *    `getEvents(run, afterSeq)` would skip 10. With it, a run's events commit in seq order.
 * 5. **Prefix match.** SQLite's LIKE is ASCII case-insensitive; PostgreSQL's is not, so
 *    `resolveRunId` compares `lower(id)` (indexed with text_pattern_ops). Both escape
 *    `%`, `_` and `\` with `ESCAPE '\'`. Candidate lists sort with `COLLATE "C"`, the
 *    byte order SQLite uses.
 * 6. **Foreign key.** `runs.version REFERENCES workflows` is enforced here; SQLite declares
 *    it but leaves `foreign_keys` off. The engine always saves the workflow first.
 * 7. **Text.** PostgreSQL text cannot hold a NUL byte; SQLite's can. Ids, states and paths
 *    never contain one; JSON text escapes it as `\u0000`.
 */
import { createRequire } from 'node:module';
import type pg from 'pg';
import { coerceError } from '../../shared/index.js';

/**
 * The driver, loaded on first use: every CLI command imports the store layer, and only
 * those pointed at PostgreSQL should pay for loading `pg` (~30 ms of start-up).
 */
export function loadPg(): typeof pg {
  return (driver ??= createRequire(import.meta.url)('pg') as typeof pg);
}
let driver: typeof pg | undefined;

/**
 * Key of the transaction-level advisory lock `migrate` takes so several nodes starting at
 * once apply each migration once. "baton" in ASCII, read as a number: unlikely to collide
 * with another application's key in a shared database.
 */
export const MIGRATE_LOCK_KEY = 422541815662;

/** OIDs of the types whose parsing we override (`SELECT oid FROM pg_type`). */
const INT8_OID = 20;
const JSON_OID = 114;

/** int8 -> number, refusing values a JS number would round. */
function parseInt8(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new RangeError(`BIGINT ${v} does not fit a JS number exactly`);
  return n;
}

/** Type parsers for the store's pool: int8 as number, json as text (see point 2 above). */
export function pgTypes(): pg.CustomTypesConfig {
  const t = new (loadPg().TypeOverrides)();
  t.setTypeParser(INT8_OID, parseInt8);
  t.setTypeParser(JSON_OID, (v: string) => v);
  return t;
}

export { json, parseJson } from '../rows.js';


/** A LIKE pattern matching values that start with `prefix` literally (escape char `\`). */
export function likePrefix(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/**
 * A PostgreSQL connection URL with its password replaced by `***`, for messages and output.
 * @example redactDatabaseUrl('postgres://u:secret@db:5432/baton') // 'postgres://u:***@db:5432/baton'
 */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/**
 * Runs `fn` in a transaction on one connection of `pool`. A connection whose ROLLBACK fails,
 * or that was cut while checked out, is destroyed rather than handed back in an unknown state.
 * Rejects with `fn`'s error or the driver's.
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  // A connection cut while checked out emits 'error' on the client; unheard, it would end
  // the process. The query in flight rejects anyway; the client is destroyed on release.
  const onError = (e: Error): void => {
    broken ??= e;
  };
  c.on('error', onError);
  try {
    await c.query('BEGIN');
    const result = await fn(c);
    await c.query('COMMIT');
    return result;
  } catch (e) {
    await c.query('ROLLBACK').catch((re: unknown) => {
      broken = coerceError(re);
    });
    throw e;
  } finally {
    c.off('error', onError);
    c.release(broken);
  }
}
