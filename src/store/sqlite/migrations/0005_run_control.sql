-- 0005_run_control: operating runs. An operator pauses a run (no new step starts until it
-- is resumed), re-runs part of it, retries it as a new run, or changes the priority of a
-- run still waiting. Each of these is also recorded as an event.

-- Set while the run is paused (ms since the epoch); NULL = not paused.
ALTER TABLE runs ADD COLUMN paused_at INTEGER;
-- When the run last became `queued`: how long it has waited for an engine.
ALTER TABLE runs ADD COLUMN queued_at INTEGER;
-- The run this one retries (a new run with the same version and params).
ALTER TABLE runs ADD COLUMN retry_of TEXT;
CREATE INDEX runs_by_retry_of ON runs (retry_of) WHERE retry_of IS NOT NULL;
-- Queued runs in the order they start: highest priority, then longest waiting.
CREATE INDEX runs_queue ON runs (state, priority DESC, queued_at);

-- Tries started before the latest operator re-run of the step run: attempt numbers go on,
-- the retry budget counts only the tries after it.
ALTER TABLE step_runs ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0;
