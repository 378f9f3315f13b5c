/**
 * Importing baton loads no database driver: better-sqlite3 (a native addon) and pg load when
 * a store of that kind is first opened, so a PostgreSQL-only program, or one that imports
 * baton for its types, never loads the other.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function loadedAfter(script: string): string[] {
  const code = `
    import { createRequire } from 'node:module';
    const baton = await import(${JSON.stringify(entry)});
    ${script}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    console.log(JSON.stringify(['better-sqlite3', 'pg'].filter((d) => cache.some((k) => k.includes('/node_modules/' + d + '/')))));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' })) as string[];
}

describe('database drivers', () => {
  it('are not loaded by importing baton', () => {
    expect(loadedAfter('')).toEqual([]);
  });

  it('load when a store of their kind is opened', () => {
    expect(loadedAfter("const s = baton.openSqliteStore(':memory:'); await s.close();")).toEqual(['better-sqlite3']);
    expect(loadedAfter("const s = baton.openPostgresStore('postgres://127.0.0.1:1/none'); await s.close();")).toEqual(['pg']);
  });
});
