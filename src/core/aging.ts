/**
 * @module core/aging
 * Priority aging, the one rule behind both queues of ready work: the engine's in-memory
 * ready queue (runtime/ready-queue.ts) and the fleet's queue of published attempts
 * (`attempts.priority_key` in PostgreSQL). An item gains one priority level per `agingMs`
 * spent waiting (DESIGN.md glossary: "waiting items age upward so nothing starves").
 */

/**
 * The default waiting time worth one priority level, ms. The engine's `agingMs` option
 * defaults to it, and it travels from the engine's compiled options to every queue; nothing
 * else picks its own value.
 */
export const DEFAULT_AGING_MS = 10_000;

/**
 * The static order key of an item: larger first. Since every waiting item ages at the same
 * rate, `priority + (now - queuedAt) / agingMs` compares like `priority * agingMs - queuedAt`,
 * which does not depend on `now`, so it can be fixed at insertion (a heap key, an index column).
 * @param priority - −10..+10.
 * @param agingMs - waiting time worth one level, ms (> 0).
 * @param queuedAt - when the item became ready, ms since the epoch.
 */
export function agedPriorityKey(priority: number, agingMs: number, queuedAt: number): number {
  return priority * agingMs - queuedAt;
}
