-- 0010_attempt_logs: attempt logs shipped to the store, so any node can read and search the
-- log of an attempt that ran on another machine. Append-only: never edit a shipped migration.
--
-- A log is cut into chunks as it is written: the masked, capped bytes the attempt's own log
-- file gets (executors/log.ts), nothing else. A chunk is keyed by its attempt and the byte
-- offset of its first byte in the log, so the chunks of an attempt concatenated in key order
-- are its file, byte for byte, and a chunk written twice (a flush retried after a commit
-- whose reply was lost) is the same row. `bytes` is BYTEA, not TEXT: a step may print
-- anything, NUL bytes and split UTF-8 characters included (dialect.ts, point 7).
-- No foreign key to attempts: the chunk insert is on the hot path of every printing step,
-- and the attempt row always exists first (written ahead by its coordinator).
CREATE TABLE attempt_log_chunks (
  attempt_id  TEXT NOT NULL,     -- "<run>.<step>.<number>"
  byte_offset BIGINT NOT NULL,   -- of the chunk's first byte in the attempt's log, from 0
  run_id      TEXT NOT NULL,
  at          BIGINT NOT NULL,   -- the writer's clock when the chunk was cut, ms since the epoch
  bytes       BYTEA NOT NULL,
  PRIMARY KEY (attempt_id, byte_offset)
);
-- A run's shipped logs, for what works by run (retention pruning a run's rows).
CREATE INDEX attempt_log_chunks_by_run ON attempt_log_chunks (run_id);
