/**
 * @module web/pages/run/critical-path
 * The path that holds a run's end back: the longest chain of unfinished steps, each weighed
 * by what it is expected to take still — its median duration from history (what a running
 * step has already spent taken off), or the median of the workflow's known steps when it has
 * none. The run cannot end before the chain's last step does (the critical path method).
 */
import type { GraphStep } from './graph.js';

/** Step run states after which a step holds nothing back. */
const DONE = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** A step's state, as far as the path needs it. */
export interface StepProgress {
  state: string;
  /** When its current attempt started, ms since the epoch (running steps). */
  startedAt?: number;
}

/** The chain, first step first, and the time it is expected to take still, ms. */
export interface CriticalPath {
  steps: string[];
  remainingMs: number;
}

/**
 * The critical path of the unfinished steps, in O(steps + needs); empty when every step is
 * done. `expectedMs` maps a step to its median duration; steps without one count the median
 * of those given (or 1 ms when none is known, so the longest chain by count wins).
 */
export function criticalPath(steps: readonly GraphStep[], progress: ReadonlyMap<string, StepProgress>, expectedMs: ReadonlyMap<string, number>, now: number): CriticalPath {
  const known = [...expectedMs.values()].sort((a, b) => a - b);
  const fallback = known.length ? known[known.length >> 1]! : 1;
  const open = steps.filter((s) => !DONE.has(progress.get(s.id)?.state ?? 'pending'));
  const ids = new Set(open.map((s) => s.id));
  const needs = new Map(open.map((s) => [s.id, s.needs.filter((n) => ids.has(n))]));
  const weight = (id: string): number => {
    const p = progress.get(id);
    const expected = expectedMs.get(id) ?? fallback;
    if (p?.state === 'running' && p.startedAt !== undefined) return Math.max(0, expected - (now - p.startedAt));
    return expected;
  };
  // Kahn's order over the unfinished steps: no recursion, whatever the depth.
  const indegree = new Map(open.map((s) => [s.id, needs.get(s.id)!.length]));
  const children = new Map<string, string[]>();
  for (const s of open) for (const n of needs.get(s.id)!) (children.get(n) ?? children.set(n, []).get(n)!).push(s.id);
  const queue = open.filter((s) => indegree.get(s.id) === 0).map((s) => s.id);
  const dist = new Map<string, number>();
  const prev = new Map<string, string>();
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q]!;
    let best = 0;
    let from: string | undefined;
    for (const n of needs.get(id)!) {
      const d = dist.get(n) ?? 0;
      if (from === undefined || d > best) {
        best = d;
        from = n;
      }
    }
    if (from !== undefined) prev.set(id, from);
    dist.set(id, best + weight(id));
    for (const c of children.get(id) ?? []) {
      indegree.set(c, indegree.get(c)! - 1);
      if (indegree.get(c) === 0) queue.push(c);
    }
  }
  let end: string | undefined;
  for (const [id, d] of dist) if (end === undefined || d > dist.get(end)!) end = id;
  if (end === undefined) return { steps: [], remainingMs: 0 };
  const path: string[] = [];
  for (let id: string | undefined = end; id !== undefined; id = prev.get(id)) path.push(id);
  return { steps: path.reverse(), remainingMs: dist.get(end)! };
}
