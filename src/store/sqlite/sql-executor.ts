/**
 * @module store/sqlite/sql-executor
 * {@link SqlExecutor} over one better-sqlite3 connection. A statement list runs inside one
 * synchronous better-sqlite3 transaction: nothing else the process does can join it.
 */
/* eslint-disable @typescript-eslint/require-await -- the driver is synchronous; `async` turns its throws into rejections */
import type Database from 'better-sqlite3';
import type { SqlExecutor, SqlStatement } from '../alert-sql.js';

class GuardFailed extends Error {}

/** Statements prepared once per text, run on `db`. */
export function sqliteExecutor(db: Database.Database): SqlExecutor {
  const prepared = new Map<string, Database.Statement<unknown[], unknown>>();
  const stmt = (sql: string): Database.Statement<unknown[], unknown> => {
    let s = prepared.get(sql);
    if (!s) prepared.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const run = db.transaction((statements: SqlStatement[]) => {
    for (const s of statements) {
      const r = stmt(s.sql).run(...s.params);
      if (s.guard && r.changes !== 1) throw new GuardFailed();
    }
  });
  return {
    dialect: 'sqlite',
    async all(sql, params) {
      return stmt(sql).all(...params) as Record<string, unknown>[];
    },
    async transaction(statements) {
      try {
        run.immediate(statements);
        return true;
      } catch (e) {
        if (e instanceof GuardFailed) return false;
        throw e;
      }
    },
  };
}
