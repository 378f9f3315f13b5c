-- 0008_paused_attempts: a paused run's published attempts wait unclaimed.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.
--
-- A coordinator publishes an attempt before any worker claims it. Pausing the run (a flag
-- on the run, see 0005) stops the coordinator publishing more, but an attempt already
-- published and still unclaimed would otherwise start on the next claim. Pause and unpause
-- set this flag on those rows in the statement that changes the run; claims skip flagged
-- rows. No index changes: the claim indexes' predicates stay implied by the claim's filter.
ALTER TABLE attempts ADD COLUMN run_paused BOOLEAN NOT NULL DEFAULT false;
