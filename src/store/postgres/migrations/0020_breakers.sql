-- 0020_breakers: circuit breakers shared by every node (PostgreSQL; same shape as the SQLite migration).
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- One row per breaker key (pool:NAME, http:HOST, step:WORKFLOW/STEP, or the workflow's own
-- key), created by the first attempt end recorded against it. The state machine is
-- src/core/breaker.ts; the engine's commit folds attempt ends in under the row's lock, and
-- the half-open trial and an operator's reset are compare-and-set on version. calls: JSON
-- array of [ended_at, 1 failed | 0 succeeded] inside the rate window (at most 200).
CREATE TABLE breakers (
  key                  TEXT PRIMARY KEY,
  state                TEXT NOT NULL,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  calls                TEXT NOT NULL DEFAULT '[]',
  opened_at            BIGINT,
  next_trial_at        BIGINT,
  trial_attempt        TEXT,
  reason               TEXT,
  updated_at           BIGINT NOT NULL,
  version              INTEGER NOT NULL DEFAULT 1
);

-- Why a queued step run waits although it is ready: JSON {reason: "circuit-open", breaker,
-- until?}, written by the engine that parks it, cleared by the write that starts it.
ALTER TABLE step_runs ADD COLUMN circuit TEXT;

-- The breaker key of a published fleet attempt: a worker does not claim an attempt whose
-- breaker is not closed, unless it is that breaker's half-open trial.
ALTER TABLE attempts ADD COLUMN breaker TEXT;
