/**
 * @module web/pages/run/dag
 * The run's DAG with React Flow: laid out once per workflow version (graph.ts); a state
 * change replaces only the changed node's object, so React Flow re-renders that node alone.
 * Only nodes in view are rendered (`onlyRenderVisibleElements`), which keeps a 5,000-step
 * run responsive.
 */
import { memo, useMemo, useRef } from 'react';
import type { ReactNode } from 'react';
import { Background, Controls, Handle, Position, ReactFlow } from '@xyflow/react';
import type { Edge, Node, NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { StepRun } from '../../api/types.js';
import type { GraphStep } from './graph.js';
import { layout, NODE_HEIGHT, NODE_WIDTH } from './graph.js';

/** Data of a step node. */
type StepNodeData = { label: string; state: string; selected: boolean };
type StepNode = Node<StepNodeData, 'step'>;

const StepNodeView = memo(function StepNodeView({ data }: NodeProps<StepNode>): ReactNode {
  return (
    <div className={`dag-node s-${data.state}${data.selected ? ' selected' : ''}`} title={`${data.label}: ${data.state}`} data-state={data.state} data-step={data.label}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div>{data.label}</div>
      <span className={`state s-${data.state}`}>{data.state}</span>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { step: StepNodeView };
/** Graphs of up to this many steps open fitted whole; bigger ones on their first steps. */
const FIT_ALL_MAX = 200;

/** Options of {@link Dag}. */
export interface DagProps {
  steps: readonly GraphStep[];
  states: readonly StepRun[];
  selected: string | undefined;
  onSelect: (stepId: string) => void;
}

/** The DAG, coloured by step run state. */
export function Dag({ steps, states, selected, onSelect }: DagProps): ReactNode {
  const laid = useMemo(() => layout(steps), [steps]);
  // A big graph opens on its first steps, not fitted whole: fitting 5,000 nodes would draw
  // them all at a scale nobody can read, where the first screen draws a few dozen.
  const focus = useMemo(() => {
    if (steps.length <= FIT_ALL_MAX) return undefined;
    return [...laid.positions.entries()].sort(([, a], [, b]) => a.y - b.y || a.x - b.x).slice(0, 12).map(([id]) => ({ id }));
  }, [laid, steps.length]);
  const edges = useMemo<Edge[]>(() => laid.edges.map((e) => ({ id: `${e.source}->${e.target}`, source: e.source, target: e.target, focusable: false })), [laid]);
  // Node objects are kept per step and replaced only when that step's state or selection changes.
  const cache = useRef(new Map<string, StepNode>());
  const nodes = useMemo(() => {
    const byId = new Map(states.map((s) => [s.stepId, s.state]));
    const next = new Map<string, StepNode>();
    const out: StepNode[] = [];
    for (const s of steps) {
      const state = byId.get(s.id) ?? 'pending';
      const isSel = s.id === selected;
      const old = cache.current.get(s.id);
      const node = old && old.data.state === state && old.data.selected === isSel
        ? old
        : { id: s.id, type: 'step' as const, position: laid.positions.get(s.id) ?? { x: 0, y: 0 }, width: NODE_WIDTH, height: NODE_HEIGHT, data: { label: s.id, state, selected: isSel }, draggable: false, connectable: false, ariaLabel: `step ${s.id}, ${state}` };
      next.set(s.id, node);
      out.push(node);
    }
    cache.current = next;
    return out;
  }, [steps, states, selected, laid]);
  return (
    <div className="dag" data-testid="dag">
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onlyRenderVisibleElements
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable
        onNodeClick={(_e, n) => onSelect(n.id)}
        onSelectionChange={({ nodes: sel }) => {
          const first = sel[0];
          if (first && first.id !== selected) onSelect(first.id);
        }}
        fitView
        fitViewOptions={{ maxZoom: 1, ...(focus ? { nodes: focus } : {}) }}
        minZoom={0.05}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
