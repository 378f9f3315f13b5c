/**
 * @module web/pages/run/dag
 * The run's DAG with React Flow: laid out once per workflow version (graph.ts); a state
 * change replaces only the changed node's object, so React Flow re-renders that node alone.
 * Only nodes in view are rendered (`onlyRenderVisibleElements`), which keeps a 5,000-step
 * run responsive. A mapped step is one node whatever its items: it shows their counts and a
 * bar of how they ended (the items are listed in its step panel).
 */
import { memo, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { Background, Controls, Handle, Position, ReactFlow } from '@xyflow/react';
import type { Edge, Node, NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import type { StepRun } from '../../api/types.js';
import type { GraphStep } from './graph.js';
import { NODE_HEIGHT, NODE_WIDTH, layout } from './graph.js';
import type { MapCounts } from './map-items.js';
import { mapBar, mapCountsText, mapNodeText } from './map-items.js';

/** A mapped step's items as its node shows them. */
interface NodeItems {
  /** The short line in the node (`3/250 items · 1 failed`). */
  text: string;
  /** Every count, for the title and the accessible name. */
  full: string;
  bar: ReturnType<typeof mapBar>;
}

/** Data of a step node. */
type StepNodeData = { label: string; state: string; selected: boolean; critical: boolean; mapped: boolean; items: NodeItems | undefined };
type StepNode = Node<StepNodeData, 'step'>;

const StepNodeView = memo(function StepNodeView({ data }: NodeProps<StepNode>): ReactNode {
  const { items } = data;
  return (
    <div className={`dag-node s-${data.state}${data.selected ? ' selected' : ''}${data.critical ? ' critical' : ''}${data.mapped ? ' mapped' : ''}`} title={`${data.label}: ${data.state}${items ? `, ${items.full}` : ''}${data.critical ? ', on the path that holds the run back' : ''}`} data-state={data.state} data-step={data.label} data-critical={data.critical || undefined}>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div>{data.label}{data.mapped && !items && <span className="muted"> · map</span>}</div>
      {items
        ? <span className={`state s-${data.state}`} data-testid="map-counts">{items.text}</span>
        : <span className={`state s-${data.state}`}>{data.state}</span>}
      {items && (
        <span className="map-bar" aria-hidden="true">
          {items.bar.map((b) => <span key={b.state} className={`s-${b.state}`} style={{ width: `${b.pct}%` }} />)}
        </span>
      )}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
});

function nodeItems(c: MapCounts | undefined): NodeItems | undefined {
  return c ? { text: mapNodeText(c), full: mapCountsText(c), bar: mapBar(c) } : undefined;
}

const nodeTypes = { step: StepNodeView };
/** Steps up to which the whole graph is fitted into view when it opens. */
const FIT_LIMIT = 300;

/** Options of {@link Dag}. */
export interface DagProps {
  steps: readonly GraphStep[];
  states: readonly StepRun[];
  selected: string | undefined;
  onSelect: (stepId: string) => void;
  /** Steps on the path that holds the run's end back, marked. @default none */
  critical?: ReadonlySet<string>;
  /** Item counts of the mapped steps that have expanded (`mapProgress` of the step runs). @default none */
  items?: ReadonlyMap<string, MapCounts>;
}

const NONE: ReadonlySet<string> = new Set();
const NO_ITEMS: ReadonlyMap<string, MapCounts> = new Map();

/** The DAG, coloured by step run state. */
export function Dag({ steps, states, selected, onSelect, critical = NONE, items: counts = NO_ITEMS }: DagProps): ReactNode {
  const laid = useMemo(() => layout(steps), [steps]);
  const startViewport = useMemo(() => {
    // The first step (a root: steps come in definition order, needs first) at the top, centred.
    const first = steps[0] ? laid.positions.get(steps[0].id) : undefined;
    const zoom = 0.75;
    return { x: -((first?.x ?? 0) + NODE_WIDTH / 2) * zoom + 360, y: 16, zoom };
  }, [steps, laid]);
  const edges = useMemo<Edge[]>(() => {
    const hookOf = new Map(steps.map((s) => [s.id, s.hook]));
    return laid.edges.map((e) => {
      const hook = hookOf.get(e.target);
      // Into a hook from outside its list: "runs after those", drawn dashed and named.
      const after = hook !== undefined && hookOf.get(e.source) !== hook;
      return { id: `${e.source}->${e.target}`, source: e.source, target: e.target, focusable: false, ...(after ? { label: hook, style: { strokeDasharray: '6 4' } } : {}) };
    });
  }, [laid, steps]);
  // Node objects are kept per step and replaced only when that step's state or selection changes.
  const cache = useRef(new Map<string, StepNode>());
  const nodes = useMemo(() => {
    const byId = new Map(states.map((s) => [s.stepId, s.state]));
    const next = new Map<string, StepNode>();
    const out: StepNode[] = [];
    for (const s of steps) {
      const state = byId.get(s.id) ?? 'pending';
      const isSel = s.id === selected;
      const onPath = critical.has(s.id);
      const items = nodeItems(counts.get(s.id));
      const old = cache.current.get(s.id);
      const node = old && old.data.state === state && old.data.selected === isSel && old.data.critical === onPath && old.data.items?.full === items?.full
        ? old
        : {
          id: s.id, type: 'step' as const, position: laid.positions.get(s.id) ?? { x: 0, y: 0 }, width: NODE_WIDTH, height: NODE_HEIGHT,
          data: { label: s.id, state, selected: isSel, critical: onPath, mapped: s.mapped === true || items !== undefined, items }, draggable: false, connectable: false,
          ariaLabel: `step ${s.id}, ${state}${items ? `, ${items.full}` : ''}${onPath ? ', on the path that holds the run back' : ''}`,
        };
      next.set(s.id, node);
      out.push(node);
    }
    cache.current = next;
    return out;
  }, [steps, states, selected, critical, laid, counts]);
  // The pane's size before React Flow's first render: without it React Flow renders every
  // node and edge once (it cannot tell what is visible), a multi-second stall at 5,000 steps.
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number }>();
  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = (): void => setSize((old) => (old && old.width === el.clientWidth && old.height === el.clientHeight ? old : { width: el.clientWidth, height: el.clientHeight }));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return (
    <div className="dag" data-testid="dag" ref={box}>
      {size && size.width > 0 && <ReactFlow
        width={size.width}
        height={size.height}
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
        // A large graph opens on its first ranks at a readable zoom: fitting all of it would
        // put every node on screen at once, which is what onlyRenderVisibleElements avoids.
        {...(steps.length <= FIT_LIMIT ? { fitView: true, fitViewOptions: { maxZoom: 1 } } : { defaultViewport: startViewport })}
        minZoom={0.05}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>}
    </div>
  );
}
