-- 0016_map_items: the items of mapped steps.
-- Migrations are append-only: never edit a file once it has shipped; add the next number.

-- A mapped step (`map:`) expands at run time into one step run per item, `<step>[<index>]`,
-- inserted in the commit that records the expansion, with its item as JSON: a resumed run
-- rebuilds its items from these rows and never evaluates `map.items` again. NULL for every
-- other step run. An item's position is its mapped step's; readers order items by id length
-- then id, which is their index order.
ALTER TABLE step_runs ADD COLUMN item JSON;
