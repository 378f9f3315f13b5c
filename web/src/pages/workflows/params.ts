/**
 * @module web/pages/workflows/params
 * The start form's logic, apart from its rendering: a param's field text from its default,
 * the field text read back as a value of the param's type (or why it is not one), and the
 * API's `invalid-params` problems sorted by the param each names.
 */
import { ApiError } from '../../api/client.js';
import type { ParamDecl } from '../../lib/definition.js';

/** A field's text as first shown: the default, if any. */
export function initialText(p: ParamDecl): string {
  if (p.default === undefined) return '';
  if (p.type === 'string' && typeof p.default === 'string') return p.default;
  if (p.type === 'array' || p.type === 'object') return JSON.stringify(p.default);
  return typeof p.default === 'number' || typeof p.default === 'boolean' ? String(p.default) : JSON.stringify(p.default);
}

/** A field's value: absent (`{}`, the server applies the default), a value, or why the text is not of the param's type. */
export function parseField(p: ParamDecl, text: string): { value?: unknown; error?: string } {
  if (p.type === 'string') return text === '' && p.default === undefined ? {} : { value: text };
  const t = text.trim();
  if (t === '') return {};
  switch (p.type) {
    case 'integer':
      return /^[+-]?\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? { value: Number(t) } : { error: 'must be an integer, such as 42' };
    case 'number':
      return Number.isFinite(Number(t)) ? { value: Number(t) } : { error: 'must be a number, such as 1.5' };
    case 'boolean':
      return t === 'true' || t === 'false' ? { value: t === 'true' } : { error: 'must be true or false' };
    case 'array':
    case 'object': {
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch (e) {
        return { error: `is not JSON: ${e instanceof Error ? e.message : String(e)}` };
      }
      const ok = p.type === 'array' ? Array.isArray(v) : v !== null && typeof v === 'object' && !Array.isArray(v);
      return ok ? { value: v } : { error: p.type === 'array' ? 'must be a JSON array, such as ["a", "b"]' : 'must be a JSON object, such as {"key": 1}' };
    }
  }
}

/** The API's `invalid-params` problems by the param each names; the rest under `''`. */
export function problemsByParam(e: unknown): Record<string, string[]> {
  if (!(e instanceof ApiError) || e.code !== 'invalid-params') return {};
  const list = Array.isArray(e.details) ? e.details.filter((d): d is string => typeof d === 'string') : [e.message];
  const out: Record<string, string[]> = {};
  for (const p of list) {
    const name = /param "([^"]+)"/.exec(p)?.[1] ?? '';
    (out[name] ??= []).push(p);
  }
  return out;
}
