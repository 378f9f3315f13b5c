/**
 * @module runtime/batch
 * What the runtime gives a batch step's executor: its items and inputs evaluated against
 * the run's scope, and callbacks onto the store for group results, so executors stay
 * free of the store (DESIGN.md, executors).
 */
import type { BatchHooks, BatchProgress } from '../executors/index.js';
import { NO_MASKING } from '../executors/index.js';
import type { BatchSpec, ExpressionScope } from '../workflow/index.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import { ExpressionError, evaluateExpression, interpolate, interpolateValue } from '../workflow/index.js';
import type { Store } from '../store/index.js';
import type { CompiledEngineOptions } from './options.js';

const LONE_EXPRESSION = /^\s*\$\{\{([\s\S]*)\}\}\s*$/;

/**
 * Evaluates `batch.items`: a lone `${{ expr }}` must give an array (its values are the
 * items); anything else is a glob, interpolated first when it holds `${{ }}` parts.
 * @throws ExpressionError on a bad expression or a value that is not an array.
 */
export function evaluateItems(items: string, scope: ExpressionScope, what = 'batch items'): BatchHooks['items'] {
  const lone = LONE_EXPRESSION.exec(items);
  if (lone && !lone[1]!.includes('}}')) {
    const source = lone[1]!.trim();
    const value = evaluateExpression(source, scope);
    if (!Array.isArray(value)) {
      // No secret can be in it (expressions never see secret values): shortened only, the one way texts are.
      const got = value === undefined || value === null ? 'nothing' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${NO_MASKING.maskThenTruncate(JSON.stringify(value), 60)}`;
      throw new ExpressionError(`${what} "\${{ ${source} }}" must give an array, got ${got}`, source);
    }
    return { values: value };
  }
  return { glob: items.includes('${{') ? interpolate(items, scope) : items };
}

/**
 * The hooks for one attempt of a batch step.
 * @param emit - called with progress after each save, to become a `batch` engine event.
 * @throws ExpressionError when `items` or a `with` cannot be evaluated.
 */
export function batchHooks(
  batch: BatchSpec, scope: ExpressionScope, store: Store, runId: string, stepId: string,
  o: Pick<CompiledEngineOptions, 'clock' | 'random'>, emit: (p: BatchProgress) => void,
): BatchHooks {
  const withOf = (a: BatchSpec['validate']): JsonObject =>
    a?.kind === 'uses' ? (interpolateValue(a.with, scope) as JsonObject) : {};
  return {
    items: evaluateItems(batch.items, scope),
    validateInputs: withOf(batch.validate),
    consolidateInputs: withOf(batch.consolidate),
    loadGroups: () => store.getBatchGroups(runId, stepId),
    saveGroups: (groups) => store.saveBatchGroups(runId, stepId, groups),
    progress: emit,
    clock: () => o.clock.now(),
    random: o.random,
  };
}

/** Progress as event data. */
export function progressData(p: BatchProgress): JsonObject {
  return { done: p.done, failed: p.failed, invalid: p.invalid, total: p.total } satisfies Record<string, JsonValue>;
}
