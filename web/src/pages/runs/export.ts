/**
 * @module web/pages/runs/export
 * Export of the filtered runs list as CSV (RFC 4180) or JSON, built from the same query
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

/** A CSV field, quoted when it must be (RFC 4180); a leading `=+-@` is prefixed with `'` so spreadsheets do not run it as a formula. */
export function csvField(v: unknown): string {
  let s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const COLUMNS = ['id', 'workflow', 'version', 'state', 'trigger', 'priority', 'createdAt', 'startedAt', 'endedAt', 'durationMs', 'reason', 'params'] as const;

/** Runs as CSV text, times as ISO 8601 UTC. */
export function runsCsv(runs: readonly Run[]): string {
  const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());
  const rows = runs.map((r) => [
    r.id, r.workflow, r.version, r.state, r.trigger, r.priority, iso(r.createdAt), iso(r.startedAt), iso(r.endedAt),
    r.startedAt !== undefined && r.endedAt !== undefined ? r.endedAt - r.startedAt : '', r.reason ?? '', JSON.stringify(r.params),
  ].map(csvField).join(','));
  return [COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

/** Offers `text` as a file download (a Blob URL, revoked afterwards). */
export function download(name: string, type: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
