-- 0019_rerun_runs_on: tags an operator's re-run asks of the workers that run it.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- `baton retry RUN --from STEP --on TAG` re-runs steps on fleet workers that have TAG (on top
-- of each step's runs-on), e.g. after a failure on a worker without a tool or with too little
-- memory. Written with the re-run on each step run it puts back to pending, as a JSON array
-- of tags, read by the coordinator when it publishes their attempts; the next re-run without
-- --on sets it back to NULL (the step's runs-on alone).
ALTER TABLE step_runs ADD COLUMN runs_on TEXT;
