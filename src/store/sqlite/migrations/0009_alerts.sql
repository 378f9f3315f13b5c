-- 0009_alerts: alerts, their events, silences, notification groups, delivery jobs, feed cursors.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- One open alert per rule + subject, however many servers evaluate: open_key is the alert's
-- key while it is not resolved and NULL after (a unique index admits many NULLs).
CREATE TABLE alerts (
  id               TEXT PRIMARY KEY,
  alert_key        TEXT NOT NULL,
  open_key         TEXT UNIQUE,
  rule             TEXT NOT NULL,
  kind             TEXT NOT NULL,
  severity         TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'silenced', 'resolved')),
  summary          TEXT NOT NULL,
  subject          TEXT NOT NULL,           -- JSON object
  labels           TEXT NOT NULL,           -- JSON object
  details          TEXT,                    -- JSON object
  group_key        TEXT NOT NULL,
  fired_at         INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  acknowledged_at  INTEGER,
  acknowledged_by  TEXT,
  resolved_at      INTEGER,
  resolved_by      TEXT,
  seen             INTEGER NOT NULL DEFAULT 1,
  notified         TEXT,                    -- NULL | firing | resolved
  notified_at      INTEGER,
  level            INTEGER NOT NULL DEFAULT 0,
  round            INTEGER NOT NULL DEFAULT 0,
  escalation_done  INTEGER NOT NULL DEFAULT 0,
  version          INTEGER NOT NULL DEFAULT 0,
  -- 1 while the notifier has something to do with it (open, or resolved and not yet told).
  active           INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX alerts_newest ON alerts (fired_at DESC, id DESC);
CREATE INDEX alerts_active ON alerts (active, group_key);
CREATE INDEX alerts_resolved ON alerts (resolved_at) WHERE resolved_at IS NOT NULL;

CREATE TABLE alert_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id  TEXT NOT NULL,
  at        INTEGER NOT NULL,
  type      TEXT NOT NULL,
  actor     TEXT NOT NULL,
  note      TEXT,
  data      TEXT
);
CREATE INDEX alert_events_by_alert ON alert_events (alert_id, seq);

CREATE TABLE silences (
  id          TEXT PRIMARY KEY,
  matchers    TEXT NOT NULL,                -- JSON list of { name, value, glob? }
  starts_at   INTEGER NOT NULL,
  ends_at     INTEGER NOT NULL,
  created_by  TEXT NOT NULL,
  comment     TEXT,
  created_at  INTEGER NOT NULL,
  expired_at  INTEGER
);

CREATE TABLE alert_groups (
  group_key  TEXT PRIMARY KEY,
  sent_at    INTEGER,
  version    INTEGER NOT NULL DEFAULT 0
);

-- A delivery is written in the transaction of the change that causes it, so a crash
-- between the change and the send loses nothing; senders lease it before sending.
CREATE TABLE alert_deliveries (
  id            TEXT PRIMARY KEY,
  channel       TEXT NOT NULL,
  body          TEXT NOT NULL,
  alert_ids     TEXT NOT NULL,              -- JSON list
  reason        TEXT NOT NULL,
  state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_at       INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  delivered_at  INTEGER,
  status_code   INTEGER,
  error         TEXT,
  lease_owner   TEXT,
  lease_until   INTEGER
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (state, next_at);
CREATE INDEX alert_deliveries_by_channel ON alert_deliveries (channel, created_at DESC);

CREATE TABLE feed_cursors (
  name        TEXT PRIMARY KEY,
  cursor      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
