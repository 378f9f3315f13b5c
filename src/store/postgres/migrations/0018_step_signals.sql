-- 0018_step_signals: the answers waiting steps receive.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- A `wait:` step ends with the signal the run receives (POST /runs/{id}/signals/{name}), an
-- `approval:` step with a person's answer. The answer is kept on the step run as JSON
-- ({ name, payload, by, at }) as soon as it arrives, before or while the step waits, so a
-- restarted engine finds it; the first answer wins, and a re-run of the step clears it.
ALTER TABLE step_runs ADD COLUMN signal JSON;
