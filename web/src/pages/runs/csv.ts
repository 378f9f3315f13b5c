/**
 * @module web/pages/runs/csv
 * Runs as CSV text (RFC 4180), safe to open in a spreadsheet.
 * @see https://www.rfc-editor.org/rfc/rfc4180
 */
import type { Run } from '../../api/types.js';

/** A CSV field, quoted when it must be (RFC 4180); text starting with `=+-@` is prefixed with `'` so spreadsheets do not run it as a formula (numbers stay numbers). */
export function csvField(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  let s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
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

