/**
 * @module web/pages/run/graph
 * The DAG of a workflow version laid out once with dagre (top to bottom): positions depend
 * on the definition only, which is immutable, so state changes never lay it out again.
 */
import dagre from '@dagrejs/dagre';

/** Node size in the layout, px (the node's CSS matches it). */
export const NODE_WIDTH = 180;
/** Node height in the layout, px. */
export const NODE_HEIGHT = 44;

/** A step of the definition: its id and what it needs. */
export interface GraphStep {
  id: string;
  needs: string[];
}

/** Positions (top-left corners) by step id, and the edges. */
export interface Layout {
  positions: Map<string, { x: number; y: number }>;
  edges: { source: string; target: string }[];
}

/** Reads the steps and needs from a stored definition (compiled JSON); tolerant of unknown shapes. */
export function definitionSteps(definition: unknown, fallback: readonly string[]): GraphStep[] {
  const steps = (definition as { steps?: unknown } | undefined)?.steps;
  if (!Array.isArray(steps)) return fallback.map((id) => ({ id, needs: [] }));
  return steps.flatMap((s: unknown) => {
    const o = s as { id?: unknown; needs?: unknown };
    if (typeof o.id !== 'string') return [];
    const needs = Array.isArray(o.needs) ? o.needs.filter((n): n is string => typeof n === 'string') : typeof o.needs === 'string' ? [o.needs] : [];
    return [{ id: o.id, needs }];
  });
}

/** Lays the steps out (dagre, ranks top to bottom). */
export function layout(steps: readonly GraphStep[]): Layout {
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
