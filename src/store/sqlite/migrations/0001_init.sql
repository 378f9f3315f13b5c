-- 0001_init: workflow versions, runs, step runs, attempts, events.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.
-- Times are integers, ms since the Unix epoch. JSON columns hold JSON text.

CREATE TABLE workflows (
  version     TEXT PRIMARY KEY,          -- content hash of the compiled definition
  name        TEXT NOT NULL,
  definition  TEXT NOT NULL,             -- compiled WorkflowSpec as JSON (inline handlers omitted)
  source_path TEXT,                      -- the file it was loaded from, for resume
  created_at  INTEGER NOT NULL
);
CREATE INDEX workflows_by_name ON workflows (name, created_at);

CREATE TABLE runs (
  id           TEXT PRIMARY KEY,
  workflow     TEXT NOT NULL,
  version      TEXT NOT NULL REFERENCES workflows (version),
  state        TEXT NOT NULL,
  trigger      TEXT NOT NULL,
  params       TEXT NOT NULL,
  priority     INTEGER NOT NULL DEFAULT 0,
  concurrency  INTEGER,                  -- override of the workflow's concurrency, if any
  step_count   INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  started_at   INTEGER,
  ended_at     INTEGER,
  reason       TEXT,
  -- The embedded engine holding the run: a lease renewed by heartbeat. A run whose holder
  -- died (pid gone or lease expired) can be resumed by another process.
  owner        TEXT,
  owner_pid    INTEGER,
  owner_host   TEXT,
  lease_expires_at INTEGER,
  cancel_requested_at INTEGER
);
CREATE INDEX runs_by_created ON runs (created_at DESC);
CREATE INDEX runs_by_workflow ON runs (workflow, created_at DESC);
CREATE INDEX runs_by_state ON runs (state, created_at DESC);

CREATE TABLE step_runs (
  run_id        TEXT NOT NULL,
  step_id       TEXT NOT NULL,
  position      INTEGER NOT NULL,        -- index in the definition, for stable display order
  state         TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  lost_attempts INTEGER NOT NULL DEFAULT 0,
  queued_at     INTEGER,
  due_at        INTEGER,
  started_at    INTEGER,
  ended_at      INTEGER,
  reason        TEXT,
  output        TEXT,
  error         TEXT,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;

CREATE TABLE attempts (
  id             TEXT PRIMARY KEY,       -- "<run>.<step>.<number>": stable, an idempotency key
  run_id         TEXT NOT NULL,
  step_id        TEXT NOT NULL,
  number         INTEGER NOT NULL,
  state          TEXT NOT NULL,
  started_at     INTEGER NOT NULL,
  ended_at       INTEGER,
  exit_code      INTEGER,
  error          TEXT,
  log_path       TEXT,
  pid            INTEGER,
  peak_rss_bytes INTEGER,
  cpu_ms         REAL,
  worker         TEXT
);
CREATE INDEX attempts_by_step ON attempts (run_id, step_id, number);

CREATE TABLE events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id     TEXT NOT NULL,
  step_id    TEXT,
  attempt_id TEXT,
  type       TEXT NOT NULL,
  from_state TEXT,
  to_state   TEXT,
  at         INTEGER NOT NULL,
  data       TEXT
);
CREATE INDEX events_by_run ON events (run_id, seq);
