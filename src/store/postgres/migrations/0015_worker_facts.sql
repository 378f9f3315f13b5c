-- 0015_worker_facts: what a worker's machine is, registered once at its start and shown by
-- `baton workers`, the API and the dashboard. Append-only: never edit a shipped migration.
-- PostgreSQL only, as every fleet migration: SQLite has no workers table.
--
-- JSON, not columns: { arch, cpus, memoryBytes } (store/fleet-types.ts WorkerFacts) is read
-- whole and never queried; `load`, the one JSON column the table has, is the heartbeat's and
-- is replaced at every beat. NULL for rows written by an older baton.
ALTER TABLE workers ADD COLUMN facts JSON;
