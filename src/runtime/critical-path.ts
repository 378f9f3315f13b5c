/**
 * @module runtime/critical-path
 * The remaining path of each step: the longest weighted chain from it to any sink of the
 * DAG. The ready queue uses it to break ties between items of equal aged priority, so the
 * step that holds up the end of the run the most starts first (critical-path scheduling).
 */

/** A DAG node as the critical path needs it. */
export interface PathNode {
  id: string;
  needs: readonly string[];
}

/**
 * Longest weighted path from each step to a sink, the step's own weight included.
 * Iterative (Kahn's order walked backwards) so a chain of any length fits the stack;
 * O(steps + edges).
 * @param weight - expected duration of a step, any unit; @default 1 (the path counts steps).
 * @returns by step id. Steps on a cycle or needing unknown steps are left out (validation
 *   rejects such workflows before they run; the queue treats a missing rank as 0).
 */
export function remainingPaths(steps: readonly PathNode[], weight: (id: string) => number = () => 1): Map<string, number> {
  const index = new Map<string, number>();
  steps.forEach((s, i) => index.set(s.id, i));
  const dependents: number[][] = steps.map(() => []);
  const waiting = new Int32Array(steps.length);
  steps.forEach((s, i) => {
    for (const need of s.needs) {
      const up = index.get(need);
      if (up === undefined) continue;
      dependents[up]!.push(i);
      waiting[i]!++;
    }
  });
  const order: number[] = [];
  for (let i = 0; i < steps.length; i++) if (waiting[i] === 0) order.push(i);
  for (let k = 0; k < order.length; k++) {
    for (const d of dependents[order[k]!]!) if (--waiting[d]! === 0) order.push(d);
  }
  const path = new Float64Array(steps.length);
  const out = new Map<string, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const i = order[k]!;
    let longest = 0;
    for (const d of dependents[i]!) if (path[d]! > longest) longest = path[d]!;
    path[i] = longest + weight(steps[i]!.id);
    out.set(steps[i]!.id, path[i]);
  }
  return out;
}
