-- 0014_alert_feed: alert changes in the event feed (PostgreSQL; same shape as the SQLite migration).
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- An alert change (fired, acknowledged, resolved, silenced…) is also a row of `events`,
-- type 'alert', written in the transaction of the change, so the live feed carries it in
-- commit order beside run and step transitions. Its run_id is the run the alert is about,
-- or '' for an alert about no run (a worker, a schedule). alert_id finds the rows of an
-- alert when retention deletes it; NULL for every other event, which the index leaves out.
ALTER TABLE events ADD COLUMN alert_id TEXT;
CREATE INDEX events_by_alert ON events (alert_id) WHERE alert_id IS NOT NULL;
