-- 0006_api: API tokens, webhook deliveries, and run listing by trigger.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- Only a hash of each token's secret is kept; the secret is shown once, when created.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash         TEXT NOT NULL,            -- SHA-256 of the secret part, hex
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER
);

-- A delivery id seen once per workflow: a replayed webhook finds its first run here.
CREATE TABLE webhook_deliveries (
  workflow     TEXT NOT NULL,
  delivery_id  TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (workflow, delivery_id)
) WITHOUT ROWID;

CREATE INDEX runs_by_trigger ON runs (trigger, created_at DESC);
