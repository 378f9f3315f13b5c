-- 0011_history: history summaries and retention (same shape as the SQLite migration).
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- Finished runs by end time: history reads the runs that ended in a window, retention walks
-- the runs that ended before a cutoff, oldest first. Partial: a run enters when it ends, so
-- the index holds no queued or running run; lease renewals, which change neither column,
-- stay HOT updates. A query uses it only when its WHERE implies this predicate
-- (store/history-rows.ts finishedSql).
CREATE INDEX runs_by_end ON runs (ended_at, id) WHERE state IN ('succeeded', 'failed', 'cancelled');

-- Runs being pruned. Retiring a run deletes its runs row (under its row lock, guarded on its
-- state) and writes this tombstone in one transaction, so nobody can resume or re-run it
-- after that; its step runs, attempts, events, batch groups and webhook deliveries are then
-- deleted in small batches, and the tombstone last: a pruner that dies halfway leaves work
-- the next one finishes.
CREATE TABLE retired_runs (
  run_id     TEXT PRIMARY KEY,
  workflow   TEXT NOT NULL,
  ended_at   BIGINT NOT NULL,
  retired_at BIGINT NOT NULL
);

-- Leader leases: one holder per name at a time, until expires_at (database time,
-- baton_now_ms(), as every lease of the fleet): one node prunes the database at a time.
CREATE TABLE leader_leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);

-- A retired run's webhook deliveries are found by run.
CREATE INDEX webhook_deliveries_by_run ON webhook_deliveries (run_id);
