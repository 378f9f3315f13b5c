/**
 * @module store/api-rows
 * Rows of the API's tables mapped to records, shared by both stores (see rows.ts).
 */
import { readdirSync } from 'node:fs';
import type { Role, SessionRecord, TokenRecord, WaitingStepGroup } from './api-types.js';
import type { Row } from './rows.js';

/** A token's last use is written at most this often, ms: a read-heavy client must not turn every request into a write. */
export const TOKEN_TOUCH_MS = 60_000;

/**
 * `Store.api.waitingRuns` on SQLite: runs queued, and runs running whose step runs are all
 * still pending or queued. No parameters; one row `n` (`runs_by_state` finds the
 * candidates, the step runs' primary key answers NOT EXISTS).
 */
export const WAITING_RUNS_SQL = `SELECT count(*) AS n FROM runs r
  WHERE r.state = 'queued'
     OR (r.state = 'running' AND NOT EXISTS (
          SELECT 1 FROM step_runs s WHERE s.run_id = r.id AND s.state NOT IN ('pending', 'queued')))`;

/**
 * `Store.api.waitingRuns` on PostgreSQL: as {@link WAITING_RUNS_SQL}, except that a step
 * run `running` on an attempt published to the fleet and not claimed by a worker has not
 * begun either (its row exists, write-ahead, while it waits: `waitingSteps` reads it so
 * too). No parameters; one row `n`.
 */
export const WAITING_RUNS_PG_SQL = `SELECT count(*)::int AS n FROM runs r
  WHERE r.state = 'queued'
     OR (r.state = 'running' AND NOT EXISTS (
          SELECT 1 FROM step_runs s WHERE s.run_id = r.id AND s.state NOT IN ('pending', 'queued')
             AND NOT (s.state = 'running' AND EXISTS (
                   SELECT 1 FROM attempts a WHERE a.run_id = s.run_id AND a.step_id = s.step_id
                      AND a.state = 'running' AND a.claimed_by IS NULL AND a.task IS NOT NULL))))`;

/** An `api_tokens` row as a record. */
export function toToken(r: Row): TokenRecord {
  const t: TokenRecord = { id: r.id as string, name: r.name as string, role: r.role as Role, hash: r.hash as string, createdAt: Number(r.created_at) };
  if (r.last_used_at != null) t.lastUsedAt = Number(r.last_used_at);
  if (r.revoked_at != null) t.revokedAt = Number(r.revoked_at);
  return t;
}

/** An `api_sessions` row as a record. */
export function toSession(r: Row): SessionRecord {
  const s: SessionRecord = { id: r.id as string, tokenId: r.token_id as string, csrfSecret: r.csrf_secret as string, createdAt: Number(r.created_at), expiresAt: Number(r.expires_at) };
  if (r.revoked_at != null) s.revokedAt = Number(r.revoked_at);
  return s;
}

/** A `(version, step_id, priority, n, oldest)` row of the waiting-steps query as a group. */
export function toWaitingGroup(r: Row): WaitingStepGroup {
  return { version: r.version as string, stepId: r.step_id as string, runPriority: Number(r.priority), count: Number(r.n), oldestQueuedAt: Number(r.oldest) };
}

/** `{ state: n }` from `(state, n)` rows. */
export function tally<S extends string>(rows: Row[]): Partial<Record<S, number>> {
  const out: Partial<Record<S, number>> = {};
  for (const r of rows) out[r.state as S] = Number(r.n);
  return out;
}

/** Files of a migrations folder whose number is not among `applied`, in order. */
export function pendingMigrationFiles(dir: string, applied: readonly number[]): string[] {
  const done = new Set(applied);
  return readdirSync(dir).filter((f) => /^\d+_.*\.sql$/.test(f) && !done.has(Number.parseInt(f, 10))).sort();
}
