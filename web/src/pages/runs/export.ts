/**
 * @module web/pages/runs/export
 * Export of the filtered runs list (as CSV, csv.ts, or JSON), built from the same query
 * the table shows, read page by page to the end (at most {@link MAX_EXPORT} runs).
 */
import { api, unwrap } from '../../api/client.js';
import type { Run } from '../../api/types.js';
import type { RunsQuery } from './filters.js';
import { apiFilters, matchesParams } from './filters.js';


/** Runs an export reads at most. */
export const MAX_EXPORT = 50_000;

/** Every run matching `q`, newest first (at most {@link MAX_EXPORT}). */
export async function fetchAll(q: RunsQuery, signal?: AbortSignal): Promise<{ runs: Run[]; truncated: boolean }> {
  const out: Run[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await unwrap(api.GET('/api/v1/runs', { params: { query: { ...apiFilters(q), limit: 500, ...(cursor ? { cursor } : {}) } }, ...(signal ? { signal } : {}) }));
    for (const r of page.runs) if (matchesParams(r, q.params)) out.push(r);
    if (out.length >= MAX_EXPORT) return { runs: out.slice(0, MAX_EXPORT), truncated: true };
    if (!page.next) return { runs: out, truncated: false };
    cursor = page.next;
  }
}
