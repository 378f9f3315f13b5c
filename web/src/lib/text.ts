/**
 * @module web/lib/text
 * User data as text: JSON shown as indented text, and links checked before they are links.
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

/**
 * `raw` as an http(s) URL when it is one, else undefined: user text never becomes a
 * `javascript:`, `data:` or other link.
 */
export function safeHttpUrl(raw: string): string | undefined {
  try {
    const u = new URL(raw);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}
