-- 0004_fleet: the worker fleet (PostgreSQL only). Workers register and heartbeat; a
-- coordinator publishes attempts with a task; workers claim them under a lease and a
-- fencing token, and complete them; the coordinator applies what they ended.
-- Design and the meaning of each column: src/store/fleet-types.ts. Every lease time is
-- taken from the database clock (baton_now_ms), never from a node's clock.

-- Database time, ms since the Unix epoch. clock_timestamp(), not now(): now() is frozen at
-- the start of the transaction, so a lease taken late in a long transaction would start in
-- the past. VOLATILE because it changes within a statement.
CREATE FUNCTION baton_now_ms() RETURNS BIGINT LANGUAGE sql VOLATILE
  AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;

CREATE TABLE workers (
  id           TEXT PRIMARY KEY,
  host         TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  platform     TEXT NOT NULL,            -- process.platform: linux | darwin | win32 ...
  -- Tag lists are text[], not json: the one query over them is set containment (`<@`),
  -- native on arrays; a tag list has no key order or \u0000 for json to preserve.
  tags         TEXT[] NOT NULL DEFAULT '{}',
  slots        INTEGER NOT NULL,         -- attempts it runs at once
  version      TEXT NOT NULL,            -- baton version of the worker
  started_at   BIGINT NOT NULL,          -- database time of (re)registration
  heartbeat_at BIGINT NOT NULL,          -- database time of the last heartbeat
  state        TEXT NOT NULL DEFAULT 'active',  -- active | draining | stopped
  load         JSON                      -- { cpu, mem, slotsInUse } of the last heartbeat
);

ALTER TABLE attempts
  ADD COLUMN claimed_by       TEXT,      -- worker holding (or that held) the attempt
  ADD COLUMN claimed_at       BIGINT,    -- database time of the last claim
  ADD COLUMN lease_expires_at BIGINT,    -- database time; NULL for attempts no worker claimed
  ADD COLUMN lease_ms         INTEGER,   -- lease length of the claim, renewed by heartbeat
  ADD COLUMN fence            INTEGER NOT NULL DEFAULT 0,  -- +1 at every claim
  ADD COLUMN priority_key     BIGINT,    -- priority * aging_ms - queued_at: larger first
  ADD COLUMN pool             TEXT,
  ADD COLUMN runs_on          TEXT[],    -- required tags; NULL or {} = any worker
  ADD COLUMN task             JSON,      -- everything a worker needs; NULL = not published
  ADD COLUMN output           JSON,      -- the output a worker reported
  ADD COLUMN cancel_requested BOOLEAN NOT NULL DEFAULT false,
  -- false = ended by a worker or the reaper, not yet applied by the coordinator.
  ADD COLUMN applied          BOOLEAN NOT NULL DEFAULT true;

-- Claiming: published, unclaimed, running attempts by priority. Partial, so it holds only
-- the queue (rows leave it when claimed); attempts of embedded mode (task NULL) never enter.
CREATE INDEX attempts_claimable ON attempts (priority_key DESC, id)
  WHERE state = 'running' AND claimed_by IS NULL AND task IS NOT NULL;
-- Heartbeats renew a worker's held attempts; pools count claimed running attempts.
CREATE INDEX attempts_held ON attempts (claimed_by) WHERE state = 'running' AND claimed_by IS NOT NULL;
-- Reaping finds expired leases.
CREATE INDEX attempts_leased ON attempts (lease_expires_at) WHERE state = 'running' AND lease_expires_at IS NOT NULL;
CREATE INDEX attempts_held_by_pool ON attempts (pool) WHERE state = 'running' AND claimed_by IS NOT NULL AND pool IS NOT NULL;
-- A pooled claim reads the best candidates of one pool.
CREATE INDEX attempts_claimable_by_pool ON attempts (pool, priority_key DESC, id)
  WHERE state = 'running' AND claimed_by IS NULL AND task IS NOT NULL AND pool IS NOT NULL;
-- The coordinator takes ended attempts of its runs that it has not applied yet.
CREATE INDEX attempts_unapplied ON attempts (run_id) WHERE applied = false;

-- Fleet-wide concurrency limits. A pool without a row here is unlimited.
CREATE TABLE pool_limits (
  name TEXT PRIMARY KEY,
  max  INTEGER NOT NULL CHECK (max >= 0)
);
