/**
 * @module web/pages/workflows/graph-view
 * A version's DAG, drawn by the run page's React Flow component (laid out once by dagre)
 * with every step uncoloured: loaded on demand, so the workflow list does not load React Flow.
 */
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import { Dag } from '../run/dag.js';
import { definitionSteps } from '../run/graph.js';

/** The graph of `definition` (default export: loaded with `React.lazy`). */
export default function GraphView({ definition }: { definition: unknown }): ReactNode {
  const steps = useMemo(() => definitionSteps(definition, []), [definition]);
  if (!steps.length) return <p className="muted">This definition has no steps to draw.</p>;
  return <div className="wf-graph"><Dag steps={steps} states={[]} selected={undefined} onSelect={() => undefined} /></div>;
}
