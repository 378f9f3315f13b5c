-- 0002_triggers: delayed runs and cron schedules (same shape as the SQLite migration).
-- A `pending` run waits for `due_at`; a schedule's tick is recorded once per
-- (schedule, tick time), which is what makes firing exactly-once across servers.

ALTER TABLE runs ADD COLUMN due_at BIGINT;
ALTER TABLE runs ADD COLUMN schedule_id TEXT;
ALTER TABLE runs ADD COLUMN tick_at BIGINT;
ALTER TABLE runs ADD COLUMN wait_for_schedule BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX runs_by_due ON runs (state, due_at);
CREATE INDEX runs_by_schedule ON runs (schedule_id, state);

CREATE TABLE schedules (
  id           TEXT PRIMARY KEY,
  workflow     TEXT NOT NULL,
  version      TEXT NOT NULL,
  spec         JSON NOT NULL,
  paused       BOOLEAN NOT NULL DEFAULT false,
  last_tick_at BIGINT,
  updated_at   BIGINT NOT NULL
);
CREATE INDEX schedules_by_workflow ON schedules (workflow);

CREATE TABLE schedule_ticks (
  schedule_id TEXT NOT NULL,
  tick_at     BIGINT NOT NULL,
  outcome     TEXT NOT NULL,
  run_id      TEXT,
  fired_at    BIGINT NOT NULL,
  PRIMARY KEY (schedule_id, tick_at)
);
