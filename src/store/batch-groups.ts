/**
 * @module store/batch-groups
 * Row mapping of the `batch_groups` table, shared by both stores: each returns JSON
 * columns as text and integers as numbers (PostgreSQL through `pgTypes`), so one mapper
 * reads back the same record from either.
 */
import type { Failure } from '../core/index.js';
import type { JsonValue } from '../shared/index.js';
import type { StoredBatchGroup } from './types.js';

/** The columns of one group, in `batch_groups` column order after the key (run_id, step_id). */
export function batchGroupColumns(g: StoredBatchGroup): [number, string, string, number, string | null, string | null, number] {
  return [
    g.index, JSON.stringify(g.items), g.state, g.attempts,
    g.outputs === undefined ? null : JSON.stringify(g.outputs),
    g.error === undefined ? null : JSON.stringify(g.error),
    g.updatedAt,
  ];
}

/** A `batch_groups` row as a record; NULL columns leave their optional field absent. */
export function toBatchGroup(r: Record<string, unknown>): StoredBatchGroup {
  const g: StoredBatchGroup = {
    index: r.group_index as number,
    items: JSON.parse(r.items as string) as JsonValue[],
    state: r.state as StoredBatchGroup['state'],
    attempts: r.attempts as number,
    updatedAt: r.updated_at as number,
  };
  if (r.outputs != null) g.outputs = JSON.parse(r.outputs as string) as JsonValue[];
  if (r.error != null) g.error = JSON.parse(r.error as string) as Failure;
  return g;
}
