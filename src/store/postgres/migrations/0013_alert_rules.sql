-- 0013_alert_rules: alert rules set through the API, and the version servers poll for them
-- (same shape as the SQLite migration).
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- One row per rule set with PUT /api/v1/alert-rules/{name}: it overrides the config's (or
-- the built-in) rule of that name until deleted. `definition` is the rule as written, JSON
-- in the shape of a baton.config.yaml rule, validated before it is stored.
CREATE TABLE alert_rules (
  name        TEXT PRIMARY KEY,
  definition  TEXT NOT NULL,
  updated_at  BIGINT NOT NULL,
  updated_by  TEXT NOT NULL
);

-- One row, bumped in the transaction of every change to alert_rules: each server reads
-- this (a primary-key read) every pass and reloads the rules only when it moved.
CREATE TABLE alert_rules_version (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  version  BIGINT NOT NULL
);
INSERT INTO alert_rules_version (id, version) VALUES (1, 0);
