-- 0008_fleet_waiting: what a fleet needs to say why work waits, to bound the wait, and to
-- tell a dead worker from a live one. Append-only: never edit a shipped migration.

-- A worker's lease length (ms, its claims' lease): a worker whose heartbeat is older than
-- this is shown `lost`. NULL for rows written by an older baton (30 s is assumed).
ALTER TABLE workers
  ADD COLUMN lease_ms   INTEGER,
  -- Database time it was marked stopped; retention prunes stopped rows from here.
  ADD COLUMN stopped_at BIGINT;

-- Database time by which a published attempt must be claimed (published_at + the step's
-- queue timeout); past it, its coordinator fails it with type `unclaimed`. NULL = no bound
-- (published by an older baton). Partial index: only the queue, as attempts_claimable.
ALTER TABLE attempts
  ADD COLUMN claim_deadline BIGINT,
  -- Database time of its (last) publication: how long it has waited unclaimed.
  ADD COLUMN published_at   BIGINT;
CREATE INDEX attempts_claim_deadline ON attempts (claim_deadline)
  WHERE state = 'running' AND claimed_by IS NULL AND task IS NOT NULL AND claim_deadline IS NOT NULL;
