/**
 * Throwaway PostgreSQL databases for integration tests, one per test file (or per test),
 * copied from a migrated template database as graphile-worker does: `CREATE DATABASE ...
 * TEMPLATE` copies files, far faster than running the migrations each time.
 *
 * PostgreSQL must be running (CI starts it): when it is unreachable the tests fail with a
 * message saying how to start it; they never skip.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../src/index.js';
import { POSTGRES_MIGRATIONS_DIR } from '../src/store/postgres/pg-store.js';

/**
 * Admin connection: a superuser on the `postgres` database. Override with
 * BATON_TEST_PG_ADMIN_URL when the server is elsewhere.
 */
export const ADMIN_URL = process.env.BATON_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Session advisory lock key under which test files create the template, one at a time. */
const TEMPLATE_LOCK_KEY = 422541815663;

/** A throwaway database. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  name: string;
  /** Drops it, ending any connection still open on it. */
  drop(): Promise<void>;
}

/** URL of database `name` on the admin URL's server, as the same user. */
export function databaseUrl(name: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(
      `PostgreSQL is not reachable at ${ADMIN_URL} (${(e as Error).message}). The PostgreSQL store tests need it: ` +
        'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
        'or point BATON_TEST_PG_ADMIN_URL at a superuser connection.',
      { cause: e },
    );
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Template name keyed by the migrations' content, so a new migration makes a new template. */
function templateName(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(POSTGRES_MIGRATIONS_DIR).sort()) h.update(f).update(readFileSync(join(POSTGRES_MIGRATIONS_DIR, f)));
  return `baton_tpl_${h.digest('hex').slice(0, 16)}`;
}

async function exists(c: pg.Client, name: string): Promise<boolean> {
  return (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

/** Creates and migrates the template once; concurrent test files wait on a session lock. */
async function ensureTemplate(c: pg.Client): Promise<string> {
  const tpl = templateName();
  if (await exists(c, tpl)) return tpl;
  await c.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
  try {
    if (await exists(c, tpl)) return tpl;
    // Built under a temporary name and renamed, so a crash halfway never leaves a template
    // that looks ready but is not migrated.
    const building = `${tpl}_wip`;
    await c.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${building}`);
    const store = openPostgresStore(databaseUrl(building), { max: 1 });
    try {
      await store.migrate();
    } finally {
      await store.close();
    }
    await c.query(`ALTER DATABASE ${building} RENAME TO ${tpl}`);
    return tpl;
  } finally {
    await c.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
  }
}

/**
 * Creates `baton_test_<random>`.
 * @param opts.migrated - copy the migrated template (default), or start empty (to test `migrate` itself).
 * @throws Error naming the fix when PostgreSQL is unreachable.
 */
export async function createTestDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `baton_test_${randomBytes(6).toString('hex')}`;
  await admin(async (c) => {
    if (opts.migrated === false) {
      await c.query(`CREATE DATABASE ${name}`);
    } else {
      const tpl = await ensureTemplate(c);
      await c.query(`CREATE DATABASE ${name} TEMPLATE ${tpl}`);
    }
  });
  return {
    url: databaseUrl(name),
    name,
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

/** Runs one SQL statement on `url` with a short-lived connection (for tests that tamper with rows). */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}
