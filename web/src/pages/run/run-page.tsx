/**
 * @module web/pages/run
 * One run: its DAG, step panel, logs and actions. Loaded on demand (React Flow is large).
 */
import type { ReactNode } from 'react';

/** The run page. */
export default function RunPage(): ReactNode {
  return <h1>Run</h1>;
}
