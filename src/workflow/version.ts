/**
 * @module workflow/version
 * Content hashes of compiled workflows. A workflow version is its hash, so registering
 * the same definition twice yields the same version and any change yields a new one.
 */
import { createHash } from 'node:crypto';
import type { WorkflowSpec } from './model.js';

/**
 * Writes JSON with keys sorted at every level (functions become their source text,
 * undefined fields vanish) piece by piece, so a 100,000-step workflow is hashed without
 * building its whole canonical text in memory.
 */
function canonical(value: unknown, write: (s: string) => void): void {
  if (typeof value === 'function') return write(JSON.stringify(`function:${value.toString()}`));
  if (value === null || typeof value !== 'object') return write(JSON.stringify(value) ?? 'null');
  if (Array.isArray(value)) {
    write('[');
    value.forEach((item, i) => {
      if (i) write(',');
      if (item === undefined) write('null');
      else canonical(item, write);
    });
    return write(']');
  }
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  write('{');
  entries.forEach(([key, item], i) => {
    write(`${i ? ',' : ''}${JSON.stringify(key)}:`);
    canonical(item, write);
  });
  write('}');
}

/**
 * The version of a compiled workflow: the first 16 hex chars of the SHA-256 of its
 * canonical JSON (keys sorted). `baseDir` and `sourcePath` are left out so the same file
 * has the same version on every machine; inline function handlers count by `toString()`.
 */
export function workflowVersion(spec: WorkflowSpec): string {
  const { baseDir: _baseDir, sourcePath: _sourcePath, ...content } = spec;
  const hash = createHash('sha256');
  // Small pieces are joined into 64 KiB chunks: one hash update per piece costs more than the hashing.
  let chunk = '';
  canonical(content, (s) => {
    chunk += s;
    if (chunk.length >= 65_536) {
      hash.update(chunk);
      chunk = '';
    }
  });
  return hash.update(chunk).digest('hex').slice(0, 16);
}
