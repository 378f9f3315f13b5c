/**
 * @module store/breaker-sql
 * The one implementation of {@link BreakerStore} over a {@link SqlExecutor}, and the pieces
 * both stores' commits use to apply `Batch.breakerCalls`: reading a row, folding calls into
 * it with the core machine, writing it back with its events. Statements use `?`
 * placeholders; the PostgreSQL commit numbers them with {@link numbered}.
 *
 * Every write bumps the row's `version`, and the operator paths (trial claim, reset) write
 * only while the version they read is still there: a guarded compare-and-set, so two nodes
 * racing for one trial cannot both win, and a reset never undoes a change it did not see.
 */
import type { BreakerRecord, BreakerTransition } from '../core/index.js';
import { claimTrial, newBreaker, recordCall, resetBreaker } from '../core/index.js';
import type { SqlExecutor, SqlStatement } from './alert-sql.js';
import type { BreakerCall, BreakerCause, BreakerStore } from './breaker-types.js';
import type { NewEvent } from './types.js';

/** A `breakers` row as a record, with its version. */
export function toBreaker(r: Record<string, unknown>): BreakerRecord & { version: number } {
  const b: BreakerRecord & { version: number } = {
    key: String(r.key), state: r.state as BreakerRecord['state'], consecutiveFailures: Number(r.consecutive_failures),
    calls: typeof r.calls === 'string' ? (JSON.parse(r.calls) as BreakerRecord['calls']) : [], updatedAt: Number(r.updated_at), version: Number(r.version),
  };
  if (r.opened_at != null) b.openedAt = Number(r.opened_at);
  if (r.next_trial_at != null) b.nextTrialAt = Number(r.next_trial_at);
  if (typeof r.trial_attempt === 'string') b.trialAttempt = r.trial_attempt;
  if (typeof r.reason === 'string') b.reason = r.reason;
  return b;
}

/** Inserts or replaces a breaker's row, bumping its version. Params: {@link upsertParams}. */
export const UPSERT_BREAKER = `INSERT INTO breakers (key, state, consecutive_failures, calls, opened_at, next_trial_at, trial_attempt, reason, updated_at, version)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
  ON CONFLICT (key) DO UPDATE SET state = excluded.state, consecutive_failures = excluded.consecutive_failures, calls = excluded.calls,
    opened_at = excluded.opened_at, next_trial_at = excluded.next_trial_at, trial_attempt = excluded.trial_attempt, reason = excluded.reason,
    updated_at = excluded.updated_at, version = breakers.version + 1`;

/** The parameters of {@link UPSERT_BREAKER}. */
export function upsertParams(b: BreakerRecord): unknown[] {
  return [b.key, b.state, b.consecutiveFailures, JSON.stringify(b.calls), b.openedAt ?? null, b.nextTrialAt ?? null, b.trialAttempt ?? null, b.reason ?? null, b.updatedAt];
}

/** Updates the row only while it still has `version`: the guarded compare-and-set. */
const CAS_BREAKER = `UPDATE breakers SET state = ?, consecutive_failures = ?, calls = ?, opened_at = ?, next_trial_at = ?, trial_attempt = ?, reason = ?,
  updated_at = ?, version = version + 1 WHERE key = ? AND version = ?`;

/** The event columns of {@link INSERT_EVENT}. */
export const INSERT_EVENT = 'INSERT INTO events (run_id, step_id, attempt_id, type, from_state, to_state, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

/** A breaker's change as an event of type `breaker` (data: key, reason, nextTrialAt). */
export function breakerEvent(t: BreakerTransition, cause: BreakerCause): NewEvent {
  return {
    runId: cause.runId, ...(cause.stepId !== undefined ? { stepId: cause.stepId } : {}), ...(cause.attemptId !== undefined ? { attemptId: cause.attemptId } : {}),
    type: 'breaker', from: t.from, to: t.to, at: t.at,
    data: { key: t.key, reason: t.reason, ...(t.nextTrialAt !== undefined ? { nextTrialAt: t.nextTrialAt } : {}) },
  };
}

/** The parameters of {@link INSERT_EVENT} for one event. */
export function eventParams(e: NewEvent): unknown[] {
  return [e.runId, e.stepId ?? null, e.attemptId ?? null, e.type, e.from ?? null, e.to ?? null, e.at, e.data === undefined ? null : JSON.stringify(e.data)];
}

/**
 * Folds attempt ends into their breakers (`current`: the rows read under the commit's lock,
 * by key; a key without one starts closed). Returns the rows to write and their events.
 */
export function foldCalls(calls: readonly BreakerCall[], current: Map<string, BreakerRecord>): { rows: BreakerRecord[]; events: NewEvent[] } {
  const changed = new Map<string, BreakerRecord>();
  const events: NewEvent[] = [];
  for (const c of calls) {
    const rec = changed.get(c.key) ?? current.get(c.key) ?? newBreaker(c.key, c.at);
    const step = recordCall(rec, c.policy, c.attemptId, c.outcome, c.at);
    if (step.record === rec) continue;
    changed.set(c.key, step.record);
    if (step.transition) events.push(breakerEvent(step.transition, c));
  }
  return { rows: [...changed.values()], events };
}

/** `?` → `$1…$n` for PostgreSQL; these statements have no `?` inside literals. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** {@link BreakerStore} over either store's {@link SqlExecutor}. */
export class SqlBreakerStore implements BreakerStore {
  constructor(private readonly x: SqlExecutor) {}

  /** {@inheritDoc BreakerStore.list} */
  async list(keys?: readonly string[]): Promise<BreakerRecord[]> {
    const rows = keys === undefined
      ? await this.x.all('SELECT * FROM breakers ORDER BY key', [])
      : keys.length === 0 ? [] : await this.x.all(`SELECT * FROM breakers WHERE key IN (${keys.map(() => '?').join(', ')}) ORDER BY key`, [...keys]);
    return rows.map((r) => {
      const { version: _version, ...b } = toBreaker(r);
      return b;
    });
  }

  /** {@inheritDoc BreakerStore.claimTrial} */
  async claimTrial(key: string, cause: BreakerCause & { attemptId: string }, now: number): Promise<BreakerRecord | undefined> {
    const cur = await this.read(key);
    if (!cur) return undefined;
    const step = claimTrial(cur, cause.attemptId, now);
    if (!step) return undefined;
    return (await this.write(cur.version, step.record, step.transition, cause)) ? step.record : undefined;
  }

  /** {@inheritDoc BreakerStore.reset} */
  async reset(key: string, now: number, by: string): Promise<BreakerRecord | undefined> {
    // A change between the read and the write (an attempt's end) is read again and reset too.
    for (let i = 0; i < 5; i++) {
      const cur = await this.read(key);
      if (!cur) return undefined;
      const step = resetBreaker(cur, now, by);
      if (await this.write(cur.version, step.record, step.transition, { runId: '' })) return step.record;
    }
    throw new Error(`breaker ${key} kept changing while it was being reset; try again`);
  }

  private async read(key: string): Promise<(BreakerRecord & { version: number }) | undefined> {
    const [r] = await this.x.all('SELECT * FROM breakers WHERE key = ?', [key]);
    return r ? toBreaker(r) : undefined;
  }

  private write(version: number, b: BreakerRecord, t: BreakerTransition | undefined, cause: BreakerCause): Promise<boolean> {
    const [, ...rest] = upsertParams(b);
    const statements: SqlStatement[] = [{ sql: CAS_BREAKER, params: [...rest, b.key, version], guard: true }];
    if (t) statements.push({ sql: INSERT_EVENT, params: eventParams(breakerEvent(t, cause)) });
    return this.x.transaction(statements);
  }
}
