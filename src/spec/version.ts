/**
 * @module spec/version
 * Content hashes of compiled workflows. A workflow version is its hash, so registering
 * the same definition twice yields the same version and any change yields a new one.
 */
import { createHash } from 'node:crypto';
import type { WorkflowSpec } from './model.js';

/** JSON with keys sorted at every level; functions become their source text; undefined fields vanish. */
function canonical(value: unknown): string {
  if (typeof value === 'function') return JSON.stringify(`function:${value.toString()}`);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonical(item))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
}

/**
 * The version of a compiled workflow: the first 16 hex chars of the SHA-256 of its
 * canonical JSON (keys sorted). `baseDir` and `sourcePath` are left out so the same file
 * has the same version on every machine; inline function handlers count by `toString()`.
 */
export function workflowVersion(spec: WorkflowSpec): string {
  const { baseDir: _baseDir, sourcePath: _sourcePath, ...content } = spec;
  return createHash('sha256').update(canonical(content)).digest('hex').slice(0, 16);
}
