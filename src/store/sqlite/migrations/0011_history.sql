-- 0011_history: history summaries and retention.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- Finished runs by end time: history reads the runs that ended in a window, retention walks
-- the runs that ended before a cutoff, oldest first. Partial: a run enters when it ends, so
-- the index holds no queued or running run and costs nothing while a run executes. A query
-- uses it only when its WHERE holds this exact predicate (store/history-rows.ts finishedSql).
CREATE INDEX runs_by_end ON runs (ended_at, id) WHERE state IN ('succeeded', 'failed', 'cancelled');

-- Runs being pruned. Retiring a run deletes its runs row and writes this tombstone in one
-- transaction (nobody can resume or re-run it after that); its step runs, attempts, events,
-- batch groups and webhook deliveries are then deleted in small batches, and the tombstone
-- last, so a pruner that stops halfway leaves work the next one finishes.
CREATE TABLE retired_runs (
  run_id     TEXT PRIMARY KEY,
  workflow   TEXT NOT NULL,
  ended_at   INTEGER NOT NULL,
  retired_at INTEGER NOT NULL
);

-- Leader leases: one holder per name at a time, until expires_at (retention: one process
-- prunes a database at a time). Times are the holder's clock (one machine shares the file).
CREATE TABLE leader_leases (
  name       TEXT PRIMARY KEY,
  holder     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);

-- A retired run's webhook deliveries are found by run.
CREATE INDEX webhook_deliveries_by_run ON webhook_deliveries (run_id);
