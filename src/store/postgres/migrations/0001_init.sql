-- 0001_init: workflow versions, runs, step runs, attempts, events (PostgreSQL).
-- Migrations are append-only: never edit a file once it has shipped; add the next number.
-- Same tables and columns as store/sqlite/migrations/0001_init.sql; the type choices and
-- why are listed in store/postgres/dialect.ts. Times are BIGINT, ms since the Unix epoch.
-- JSON columns are `json` (exact text, checked on input), not `jsonb`: see dialect.ts.

CREATE TABLE workflows (
  version     TEXT PRIMARY KEY,          -- content hash of the compiled definition
  name        TEXT NOT NULL,
  definition  JSON NOT NULL,             -- compiled WorkflowSpec (inline handlers omitted)
  source_path TEXT,                      -- the file it was loaded from, for resume
  created_at  BIGINT NOT NULL
);
CREATE INDEX workflows_by_name ON workflows (name, created_at);

CREATE TABLE runs (
  id           TEXT PRIMARY KEY,
  workflow     TEXT NOT NULL,
  version      TEXT NOT NULL REFERENCES workflows (version),
  state        TEXT NOT NULL,
  trigger      TEXT NOT NULL,
  params       JSON NOT NULL,
  priority     INTEGER NOT NULL DEFAULT 0,
  concurrency  INTEGER,                  -- override of the workflow's concurrency, if any
  step_count   INTEGER NOT NULL,
  created_at   BIGINT NOT NULL,
  started_at   BIGINT,
  ended_at     BIGINT,
  reason       TEXT,
  -- The engine holding the run: a lease renewed by heartbeat. A run whose holder died
  -- (pid gone or lease expired) can be resumed by another process.
  owner        TEXT,
  owner_pid    INTEGER,
  owner_host   TEXT,
  lease_expires_at BIGINT,
  cancel_requested_at BIGINT
);
CREATE INDEX runs_by_created ON runs (created_at DESC);
CREATE INDEX runs_by_workflow ON runs (workflow, created_at DESC);
CREATE INDEX runs_by_state ON runs (state, created_at DESC);
-- Prefix lookups (`baton show 0lx3`) are case-insensitive, as SQLite's LIKE is;
-- text_pattern_ops lets `lower(id) LIKE 'abc%'` use the index whatever the collation.
CREATE INDEX runs_by_id_prefix ON runs (lower(id) text_pattern_ops);

CREATE TABLE step_runs (
  run_id        TEXT NOT NULL,
  step_id       TEXT NOT NULL,
  position      INTEGER NOT NULL,        -- index in the definition, for stable display order
  state         TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  lost_attempts INTEGER NOT NULL DEFAULT 0,
  queued_at     BIGINT,
  due_at        BIGINT,
  started_at    BIGINT,
  ended_at      BIGINT,
  reason        TEXT,
  output        JSON,
  error         JSON,
  PRIMARY KEY (run_id, step_id)
);

CREATE TABLE attempts (
  id             TEXT PRIMARY KEY,       -- "<run>.<step>.<number>": stable, an idempotency key
  run_id         TEXT NOT NULL,
  step_id        TEXT NOT NULL,
  number         INTEGER NOT NULL,
  state          TEXT NOT NULL,
  started_at     BIGINT NOT NULL,
  ended_at       BIGINT,
  exit_code      INTEGER,
  error          JSON,
  log_path       TEXT,
  pid            INTEGER,
  peak_rss_bytes BIGINT,
  cpu_ms         DOUBLE PRECISION,
  worker         TEXT
);
CREATE INDEX attempts_by_step ON attempts (run_id, step_id, number);

CREATE TABLE events (
  seq        BIGSERIAL PRIMARY KEY,
  run_id     TEXT NOT NULL,
  step_id    TEXT,
  attempt_id TEXT,
  type       TEXT NOT NULL,
  from_state TEXT,
  to_state   TEXT,
  at         BIGINT NOT NULL,
  data       JSON
);
CREATE INDEX events_by_run ON events (run_id, seq);
