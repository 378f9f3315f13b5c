-- 0017_sub_workflows: runs started by a step of another run.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- A sub-workflow step (`workflow:`) starts its child as a run of its own (trigger 'parent'),
-- linked back to the run and step that started it; depth counts the chain of parents (0 for
-- a run nobody's step started), which bounds workflows that call each other. A retried step
-- finds the child an earlier attempt started through this index.
ALTER TABLE runs ADD COLUMN parent_run_id TEXT;
ALTER TABLE runs ADD COLUMN parent_step_id TEXT;
ALTER TABLE runs ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_by_parent ON runs (parent_run_id, parent_step_id) WHERE parent_run_id IS NOT NULL;
