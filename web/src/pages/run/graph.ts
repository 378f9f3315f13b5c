/**
 * @module web/pages/run/graph
 * The DAG of a workflow version laid out once (top to bottom): positions depend on the
 * definition only, which is immutable, so state changes never lay it out again. dagre lays
 * out workflows of up to {@link DAGRE_MAX_STEPS} steps; its crossing reduction and
 * positioning grow too fast beyond (measured here: 0.5 s at 100 steps, 3.5 s at 300, 10 s
 * at 500, a stack overflow at 5,000), so bigger ones get a plain layered layout in linear
 * time: ranks by longest path, each rank ordered by its parents' mean position, wide ranks
 * wrapped into rows.
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

/** Most steps dagre lays out; more get {@link layeredLayout}. */
export const DAGRE_MAX_STEPS = 100;
/** Gaps between nodes, px. */
const GAP_X = 24;
const GAP_Y = 56;
/** Most nodes side by side in one row of a rank; a wider rank wraps. */
export const MAX_ROW = 40;

/** Lays the steps out, ranks top to bottom: dagre for small workflows, {@link layeredLayout} for big ones. */
export function layout(steps: readonly GraphStep[]): Layout {
  return steps.length > DAGRE_MAX_STEPS ? layeredLayout(steps) : dagreLayout(steps);
}

/** The edges among `steps` (needs of unknown steps dropped). */
function graphEdges(steps: readonly GraphStep[]): Layout['edges'] {
  const ids = new Set(steps.map((s) => s.id));
  return steps.flatMap((s) => s.needs.filter((n) => ids.has(n)).map((n) => ({ source: n, target: s.id })));
}

/**
 * A layered layout in O(steps + edges), without recursion: a step's rank is one more than
 * its deepest need's (Kahn's order; steps caught in a cycle, which validation refuses, go
 * to rank 0), a rank's steps are ordered by the mean position of their needs in the rank
 * above (one sweep of the barycenter heuristic), and a rank wider than {@link MAX_ROW}
 * wraps into rows.
 */
export function layeredLayout(steps: readonly GraphStep[]): Layout {
  const edges = graphEdges(steps);
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const children: number[][] = steps.map(() => []);
  const parents: number[][] = steps.map(() => []);
  const indegree = new Array<number>(steps.length).fill(0);
  for (const e of edges) {
    const from = index.get(e.source)!;
    const to = index.get(e.target)!;
    children[from]!.push(to);
    parents[to]!.push(from);
    indegree[to]!++;
  }
  const rank = new Array<number>(steps.length).fill(0);
  const queue: number[] = [];
  for (let i = 0; i < steps.length; i++) if (indegree[i] === 0) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    for (const c of children[i]!) {
      rank[c] = Math.max(rank[c]!, rank[i]! + 1);
      if (--indegree[c]! === 0) queue.push(c);
    }
  }
  const ranks: number[][] = [];
  for (let i = 0; i < steps.length; i++) (ranks[rank[i]!] ??= []).push(i);
  const order = new Array<number>(steps.length).fill(0);
  for (const r of ranks) {
    if (!r) continue;
    const key = r.map((i) => {
      const ps = parents[i]!;
      return ps.length ? ps.reduce((sum, p) => sum + order[p]!, 0) / ps.length : i;
    });
    const sorted = r.map((i, k) => ({ i, key: key[k]! })).sort((a, b) => a.key - b.key || a.i - b.i);
    sorted.forEach((x, k) => (order[x.i] = k));
  }
  const widest = Math.min(MAX_ROW, Math.max(1, ...ranks.map((r) => r?.length ?? 0)));
  const positions = new Map<string, { x: number; y: number }>();
  let y = 16;
  for (const r of ranks) {
    if (!r) continue;
    const byOrder = [...r].sort((a, b) => order[a]! - order[b]!);
    for (let row = 0; row * MAX_ROW < byOrder.length; row++) {
      const line = byOrder.slice(row * MAX_ROW, (row + 1) * MAX_ROW);
      const indent = ((widest - line.length) * (NODE_WIDTH + GAP_X)) / 2;
      line.forEach((i, k) => positions.set(steps[i]!.id, { x: 16 + indent + k * (NODE_WIDTH + GAP_X), y }));
      y += NODE_HEIGHT + GAP_Y;
    }
  }
  return { positions, edges };
}

/** dagre's layout (network simplex ranks, crossing reduction), for small workflows. */
export function dagreLayout(steps: readonly GraphStep[]): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'TB', nodesep: GAP_X, ranksep: GAP_Y, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of steps) g.setNode(s.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
  const edges = graphEdges(steps);
  for (const e of edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const positions = new Map<string, { x: number; y: number }>();
  for (const s of steps) {
    const n = g.node(s.id) as { x: number; y: number } | undefined;
    positions.set(s.id, { x: (n?.x ?? 0) - NODE_WIDTH / 2, y: (n?.y ?? 0) - NODE_HEIGHT / 2 });
  }
  return { positions, edges };
}
