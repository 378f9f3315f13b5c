-- 0006_api: API tokens, webhook deliveries, run listing by trigger, and a commit-ordered
-- event feed (PostgreSQL).
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- Only a hash of each token's secret is kept; the secret is shown once, when created.
CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
  hash         TEXT NOT NULL,            -- SHA-256 of the secret part, hex
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at   BIGINT
);

-- A delivery id seen once per workflow: a replayed webhook finds its first run here.
CREATE TABLE webhook_deliveries (
  workflow     TEXT NOT NULL,
  delivery_id  TEXT NOT NULL,
  run_id       TEXT NOT NULL,
  received_at  BIGINT NOT NULL,
  PRIMARY KEY (workflow, delivery_id)
);

CREATE INDEX runs_by_trigger ON runs (trigger, created_at DESC);

-- The transaction that wrote each event. seq is taken before commit, so seq order is not
-- commit order; the feed reads in (tx, seq) order up to the oldest transaction still
-- running (store/postgres/api.ts).
ALTER TABLE events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX events_by_tx ON events (tx, seq);
