/**
 * @module runtime/map
 * Evaluating a mapped step's items when it becomes ready: a lone `${{ expr }}` at once, a
 * glob (files under the workflow folder) off the event loop. The machine expands the step
 * from what this returns (core/machine.ts); the store records the items with the expansion.
 */
import type { RunMachine } from '../core/index.js';
import { failures } from '../core/index.js';
import type { Failure } from '../core/index.js';
import type { JsonValue } from '../shared/index.js';
import { errorMessage } from '../shared/index.js';
import { resolveItems } from '../executors/index.js';
import { evaluateItems } from './batch.js';

/** A mapped step's items, or why there are none. */
export type MapItems = { items: JsonValue[] } | { failure: Failure };

/**
 * The items of a queued mapped step: synchronously for an expression (so the expansion
 * shares its commit with the transition that made the step ready), as a promise for a glob.
 * Never throws: a bad expression, a value that is not an array or a glob matching no file is
 * a `map-invalid` failure.
 */
export function mapItemsOf(machine: RunMachine, stepId: string): MapItems | Promise<MapItems> {
  const spec = machine.stepSpec(stepId);
  let source: ReturnType<typeof evaluateItems>;
  try {
    source = evaluateItems(spec.map!.items, machine.scope, 'map items');
  } catch (e) {
    return { failure: failures.mapInvalid(errorMessage(e)) };
  }
  if ('values' in source) return { items: source.values };
  return resolveItems(source, machine.spec.baseDir).then(
    (found) => (Array.isArray(found) ? { items: found } : { failure: failures.mapInvalid(found.error.replace('items glob', 'map items glob')) }),
    (e: unknown) => ({ failure: failures.mapInvalid(errorMessage(e)) }),
  );
}
