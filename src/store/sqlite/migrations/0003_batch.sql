-- 0003_batch: per-group results of batch steps, so a resumed step does not redo groups
-- that already ended. One row per group; group_index -1 holds the items that failed
-- validation under `onInvalid: skip`. JSON columns hold JSON text.

CREATE TABLE batch_groups (
  run_id      TEXT NOT NULL,
  step_id     TEXT NOT NULL,
  group_index INTEGER NOT NULL,
  items       TEXT NOT NULL,             -- JSON array of the group's items
  state       TEXT NOT NULL,             -- pending | succeeded | failed | invalid
  attempts    INTEGER NOT NULL DEFAULT 0,
  outputs     TEXT,                      -- JSON array, one output per item
  error       TEXT,                      -- Failure as JSON
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (run_id, step_id, group_index)
) WITHOUT ROWID;
