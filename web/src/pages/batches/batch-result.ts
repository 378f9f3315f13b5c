/**
 * @module web/pages/batches/batch-result
 * What a batch step's record says, read apart from its rendering (README "Batch steps"):
 * the counts of its output (or of its `batch-failed` failure), the failed or invalid items
 * with their error, and an item as text (an uploaded file by its path inside the upload).
 */
import type { StepRun } from '../../api/types.js';
import { jsonText } from '../../lib/text.js';

/** Counts of a finished batch (README "Batch steps": output `counts`). */
export interface Counts {
  total: number;
  succeeded: number;
  failed: number;
  invalid: number;
  skipped: number;
}

/** A failed or invalid item with why. */
export interface ItemFailure {
  item: unknown;
  error: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The `counts` of a batch output or `batch-failed` details, absent fields as 0; undefined without counts. */
export function readCounts(v: unknown): Counts | undefined {
  if (!isObject(v) || !isObject(v.counts)) return undefined;
  const c = v.counts;
  const n = (k: string): number => (typeof c[k] === 'number' ? c[k] : 0);
  return { total: n('total'), succeeded: n('succeeded'), failed: n('failed'), invalid: n('invalid'), skipped: n('skipped') };
}

function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (isObject(e) && typeof e.message === 'string') return e.message;
  return jsonText(e);
}

/** The failures of a batch step: its output's, its failure's (`batch-failed`), or the invalid items (`batch-invalid`). */
export function stepFailures(step: StepRun): ItemFailure[] {
  const read = (list: unknown): ItemFailure[] => (Array.isArray(list) ? list.flatMap((f: unknown) => (isObject(f) && 'item' in f ? [{ item: f.item, error: errorText(f.error ?? f.reason ?? 'invalid') }] : [])) : []);
  const details = step.error?.details;
  if (Array.isArray(details)) return read(details);
  if (isObject(details) && Array.isArray(details.failures)) return read(details.failures);
  if (isObject(step.output) && Array.isArray(step.output.failures)) return read(step.output.failures);
  return [];
}

const UPLOAD_PREFIX = /^.*\/uploads\/[^/]+\/files\//;

/** An item as text: a file of an upload by its path inside the upload. */
export function itemText(item: unknown): string {
  return typeof item === 'string' ? item.replace(UPLOAD_PREFIX, '') : jsonText(item);
}
