-- 0007_fleet_hot_rows: cheaper writes on the rows the fleet changes at every step.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.
--
-- A fleet attempt's row is written four times (published, claimed, completed, applied) and
-- its step run's row two or three times within milliseconds. With every page filled on
-- insert, each new row version goes to another page: PostgreSQL then also WAL-logs a row
-- lock on the old version, logs the whole new version, and inserts into every index. Pages
-- kept half free let the versions stay on their page: smaller WAL records (only the changed
-- bytes), and for step_runs, whose only index is on columns that never change, HOT updates
-- with no index insert at all. Applies to pages written from now on.
ALTER TABLE attempts SET (fillfactor = 50);
ALTER TABLE step_runs SET (fillfactor = 50);

-- Claims no longer need an index by holder: a worker's heartbeat names the attempts it
-- holds (primary key), and a restarting worker or an old caller finds its attempts among
-- the leased ones (attempts_leased: every claimed running attempt has a lease). One index
-- insert fewer at every claim and every lease renewal.
DROP INDEX attempts_held;
