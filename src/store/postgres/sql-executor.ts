/**
 * @module store/postgres/sql-executor
 * {@link SqlExecutor} over a pg pool: `?` placeholders become `$1…$n`, a statement list runs
 * between BEGIN and COMMIT on one connection.
 */
import type pg from 'pg';
import type { SqlExecutor } from '../alert-sql.js';
import { inTransaction } from './dialect.js';

class GuardFailed extends Error {}

/** `?` → `$n`; the alert store's SQL has no `?` inside literals. */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Runs alert-store statements on `pool`. */
export function postgresExecutor(pool: pg.Pool): SqlExecutor {
  return {
    dialect: 'postgres',
    async all(sql, params) {
      return (await pool.query<Record<string, unknown>>(numbered(sql), params)).rows;
    },
    async transaction(statements) {
      try {
        await inTransaction(pool, async (c) => {
          for (const s of statements) {
            const r = await c.query(numbered(s.sql), s.params);
            if (s.guard && r.rowCount !== 1) throw new GuardFailed();
          }
        });
        return true;
      } catch (e) {
        if (e instanceof GuardFailed) return false;
        throw e;
      }
    },
  };
}
