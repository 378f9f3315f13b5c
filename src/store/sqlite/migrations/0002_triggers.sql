-- 0002_triggers: delayed runs and cron schedules.
-- A `pending` run waits for `due_at`; a schedule's tick is recorded once per
-- (schedule, tick time), which is what makes firing exactly-once across servers.

ALTER TABLE runs ADD COLUMN due_at INTEGER;
ALTER TABLE runs ADD COLUMN schedule_id TEXT;
ALTER TABLE runs ADD COLUMN tick_at INTEGER;
-- 1 when the run must wait until no other run of its schedule is queued or running (overlap: queue).
ALTER TABLE runs ADD COLUMN wait_for_schedule INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_by_due ON runs (state, due_at);
CREATE INDEX runs_by_schedule ON runs (schedule_id, state);

CREATE TABLE schedules (
  id           TEXT PRIMARY KEY,           -- "<workflow>/<name>"
  workflow     TEXT NOT NULL,
  version      TEXT NOT NULL,              -- workflow version whose runs it creates
  spec         TEXT NOT NULL,              -- the compiled ScheduleSpec as JSON
  paused       INTEGER NOT NULL DEFAULT 0,
  last_tick_at INTEGER,                    -- latest tick handled (fired or skipped)
  updated_at   INTEGER NOT NULL
);
CREATE INDEX schedules_by_workflow ON schedules (workflow);

CREATE TABLE schedule_ticks (
  schedule_id TEXT NOT NULL,
  tick_at     INTEGER NOT NULL,
  outcome     TEXT NOT NULL,               -- created | skipped-overlap | skipped-misfire
  run_id      TEXT,
  fired_at    INTEGER NOT NULL,
  PRIMARY KEY (schedule_id, tick_at)
) WITHOUT ROWID;
