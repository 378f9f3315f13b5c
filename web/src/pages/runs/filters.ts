/**
 * @module web/pages/runs/filters
 * The runs page's filters as URL search parameters (so a filtered list is a link), and the
 * client-side params match the API has no filter for.
 */
import type { RunFilters } from '../../api/hooks.js';
import type { Run } from '../../api/types.js';
import { paramsText } from '../../lib/text.js';

/** The filters a runs URL carries: the API's, plus `params` text matched here. */
export interface RunsQuery extends RunFilters {
  /** Text every run's params (as `key=value` text) must contain, case-insensitive. */
  params?: string;
}

/** Reads filters from search parameters (unknown or malformed values are dropped). */
export function readQuery(sp: URLSearchParams): RunsQuery {
  const q: RunsQuery = {};
  for (const k of ['workflow', 'state', 'trigger', 'params'] as const) {
    const v = sp.get(k);
    if (v) q[k] = v;
  }
  for (const k of ['since', 'until'] as const) {
    const v = Number(sp.get(k));
    if (sp.has(k) && Number.isFinite(v) && v > 0) q[k] = v;
  }
  return q;
}

/** Filters as search parameters (empty ones left out). */
export function writeQuery(q: RunsQuery): URLSearchParams {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') sp.set(k, String(v));
  return sp;
}

/** The API's part of the filters. */
export function apiFilters(q: RunsQuery): RunFilters {
  const { params: _p, ...f } = q;
  return f;
}

/** Whether a run's params match the `params` text filter. */
export function matchesParams(run: Run, text: string | undefined): boolean {
  if (!text) return true;
  return paramsText(run.params).toLowerCase().includes(text.toLowerCase());
}

/** ms since the epoch as a `datetime-local` value in the browser's zone. */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A `datetime-local` value (browser's zone) as ms since the epoch. */
export function fromLocalInput(v: string): number | undefined {
  if (!v) return undefined;
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}
