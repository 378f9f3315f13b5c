/**
 * @module web/pages/run/graph
 * The DAG of a workflow version laid out once (top to bottom): positions depend on the
 * definition only, which is immutable, so state changes never lay it out again. dagre lays
 * out graphs up to {@link DAGRE_LIMIT} steps; its crossing minimisation grows much faster
 * than the graph (a 5,000-step graph takes minutes, or overflows the stack), so larger
 * ones get a linear-time layered layout: rank by longest path from the roots, order in a
 * rank by the mean position of the step's needs.
 */
import dagre from '@dagrejs/dagre';
import { isMapItem } from '../../api/map.js';

/** Node size in the layout, px (the node's CSS matches it). */
export const NODE_WIDTH = 180;
/** Node height in the layout, px. */
export const NODE_HEIGHT = 44;

/** A step of the definition: its id and what it needs. */
export interface GraphStep {
  id: string;
  needs: string[];
  /** `onFailure` or `finally` for a hook step, which the DAG places after the main steps. */
  hook?: string;
  /** A mapped step (`map:`): one node for all its items, with their counts. */
  mapped?: true;
}

/** Positions (top-left corners) by step id, and the edges. */
export interface Layout {
  positions: Map<string, { x: number; y: number }>;
  edges: { source: string; target: string }[];
}

/**
 * Reads the steps and needs from a stored definition (compiled JSON); tolerant of unknown shapes.
 * A hook step without needs of its own is drawn after the last steps of the list before it
 * (main steps, then `onFailure`), since it waits for all of them.
 */
export function definitionSteps(definition: unknown, fallback: readonly string[]): GraphStep[] {
  const steps = (definition as { steps?: unknown } | undefined)?.steps;
  // Without the definition, the step runs stand for it: those of the definition's steps, not items.
  if (!Array.isArray(steps)) return fallback.filter((id) => !isMapItem(id)).map((id) => ({ id, needs: [] }));
  const out = steps.flatMap((s: unknown): GraphStep[] => {
    const o = s as { id?: unknown; needs?: unknown; hook?: unknown; map?: unknown };
    if (typeof o.id !== 'string') return [];
    const needs = Array.isArray(o.needs) ? o.needs.filter((n): n is string => typeof n === 'string') : typeof o.needs === 'string' ? [o.needs] : [];
    return [{ id: o.id, needs, ...(typeof o.hook === 'string' ? { hook: o.hook } : {}), ...(typeof o.map === 'object' && o.map !== null ? { mapped: true as const } : {}) }];
  });
  const sinksOf = (group: GraphStep[]): string[] => {
    const needed = new Set(group.flatMap((s) => s.needs));
    return group.filter((s) => !needed.has(s.id)).map((s) => s.id);
  };
  const main = out.filter((s) => s.hook === undefined);
  const onFailure = out.filter((s) => s.hook === 'onFailure');
  const mainSinks = sinksOf(main);
  const failureSinks = onFailure.length ? sinksOf(onFailure) : mainSinks;
  for (const s of out) {
    if (s.hook === undefined || s.needs.length > 0) continue;
    s.needs = s.hook === 'finally' ? [...failureSinks] : [...mainSinks];
  }
  return out;
}

export const DAGRE_LIMIT = 300;
const H_GAP = 24;
const V_GAP = 56;

/** Lays the steps out, ranks top to bottom: dagre for small graphs, {@link layeredLayout} for large ones. */
export function layout(steps: readonly GraphStep[]): Layout {
  const edges = steps.reduce((n, s) => n + s.needs.length, 0);
  if (steps.length > DAGRE_LIMIT || edges > DAGRE_LIMIT * 2) return layeredLayout(steps);
  try {
    return dagreLayout(steps);
  } catch {
    return layeredLayout(steps);
  }
}

/**
 * A layered layout in O(steps + needs): each step's rank is one more than its deepest need
 * (a cycle, which validation refuses, is cut where it closes); within a rank steps are
 * ordered by the mean order of their needs, so children sit under their parents.
 */
export function layeredLayout(steps: readonly GraphStep[]): Layout {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const rank = new Map<string, number>();
  const edges: Layout['edges'] = [];
  // Iterative depth-first ranks (no recursion: deep chains would overflow the stack).
  for (const start of steps) {
    if (rank.has(start.id)) continue;
    const stack: { id: string; i: number }[] = [{ id: start.id, i: 0 }];
    const onPath = new Set([start.id]);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const needs = byId.get(top.id)?.needs ?? [];
      if (top.i < needs.length) {
        const n = needs[top.i++]!;
        if (byId.has(n) && !rank.has(n) && !onPath.has(n)) {
          onPath.add(n);
          stack.push({ id: n, i: 0 });
        }
        continue;
      }
      let r = 0;
      for (const n of needs) r = Math.max(r, (rank.get(n) ?? -1) + 1);
      rank.set(top.id, r);
      onPath.delete(top.id);
      stack.pop();
    }
  }
  const ranks: string[][] = [];
  for (const s of steps) (ranks[rank.get(s.id) ?? 0] ??= []).push(s.id);
  const order = new Map<string, number>();
  const positions = new Map<string, { x: number; y: number }>();
  const widest = Math.max(1, ...ranks.map((r) => r?.length ?? 0));
  ranks.forEach((ids = [], r) => {
    const keyed = ids.map((id, i) => {
      const needs = (byId.get(id)?.needs ?? []).filter((n) => order.has(n));
      const mean = needs.length ? needs.reduce((t, n) => t + order.get(n)!, 0) / needs.length : i * (widest / Math.max(1, ids.length));
      return { id, mean };
    }).sort((a, b) => a.mean - b.mean);
    const offset = ((widest - keyed.length) * (NODE_WIDTH + H_GAP)) / 2;
    keyed.forEach(({ id }, i) => {
      order.set(id, i * (widest / Math.max(1, keyed.length)));
      positions.set(id, { x: 16 + offset + i * (NODE_WIDTH + H_GAP), y: 16 + r * (NODE_HEIGHT + V_GAP) });
    });
  });
  for (const s of steps) for (const n of s.needs) if (byId.has(n)) edges.push({ source: n, target: s.id });
  return { positions, edges };
}

/** dagre's layout (network-simplex ranks, crossing minimisation). */
function dagreLayout(steps: readonly GraphStep[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 56, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(steps.map((s) => s.id));
  for (const s of steps) g.setNode(s.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges: Layout['edges'] = [];
  for (const s of steps) {
    for (const n of s.needs) {
      if (!ids.has(n)) continue;
      g.setEdge(n, s.id);
      edges.push({ source: n, target: s.id });
    }
  }
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const s of steps) {
    const n = g.node(s.id) as { x: number; y: number } | undefined;
    positions.set(s.id, { x: (n?.x ?? 0) - NODE_WIDTH / 2, y: (n?.y ?? 0) - NODE_HEIGHT / 2 });
  }
  return { positions, edges };
}
