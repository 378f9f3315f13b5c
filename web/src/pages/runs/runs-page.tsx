/**
 * @module web/pages/runs
 * The runs list (filters in the URL, cursor pages, export).
 */
import type { ReactNode } from 'react';

/** The runs page. */
export function RunsPage(): ReactNode {
  return <h1>Runs</h1>;
}
