/**
 * @module web/lib/text
 * User data as text: JSON as indented text, params as one line (rendered as text nodes,
 * never markup; the dashboard builds no link from user text).
 */

/** A JSON value as indented text (for `<pre>`); strings as they are. */
export function jsonText(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  try {
    return JSON.stringify(v, null, 2) ?? '';
  } catch {
    return '(not JSON)';
  }
}

/** Params as one line of `key=value` text. */
export function paramsText(params: Record<string, unknown> | undefined): string {
  if (!params) return '';
  return Object.entries(params).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
}

/** A JSON value as one line of JSON (strings quoted, so `"1"` and `1` differ): an item of a mapped step in a table cell. */
export function jsonLine(v: unknown): string {
  if (v === undefined) return '—';
  try {
    return JSON.stringify(v) ?? '—';
  } catch {
    return '(not JSON)';
  }
}
