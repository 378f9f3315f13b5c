-- 0012_sessions: dashboard sessions, a token exchanged once for a cookie.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- Only a SHA-256 of the cookie's secret is kept (the row's id), as for tokens. The role is
-- the token's, read at each use: revoking the token ends its sessions too. csrf_secret is
-- the secret the session's CSRF tokens are made from and checked against.
CREATE TABLE api_sessions (
  id           TEXT PRIMARY KEY,          -- SHA-256 of the cookie value, hex
  token_id     TEXT NOT NULL REFERENCES api_tokens (id),
  csrf_secret  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  revoked_at   INTEGER
);

CREATE INDEX api_sessions_by_expiry ON api_sessions (expires_at);
