/**
 * The repository's own ESLint config guards the layers of DESIGN.md: probe text linted as if
 * it were an existing file under src/ (the type-aware rules need a file of the project) breaks
 * the layering in each way, and each is reported by the rule meant for it, while the allowed
 * way (another layer's index.ts) passes. Only import-x's rules are looked at.
 */
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: ROOT });
});

/** The import-x rule ids reported for `code` as if it were the file `path` (relative to the root). */
async function rulesFor(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  const messages = result?.messages ?? [];
  const fatal = messages.find((m) => m.fatal === true);
  if (fatal !== undefined) throw new Error(`${path}: ${fatal.message}`);
  return messages.map((m) => m.ruleId ?? '').filter((id) => id.startsWith('import-x/'));
}

describe('lint of the layers', () => {
  it('rejects an upward import (core importing the runtime)', async () => {
    const rules = await rulesFor('src/core/backoff.ts', "import { createEngine } from '../runtime/index.js';\nexport const probe = createEngine;\n");
    expect(rules).toContain('import-x/no-restricted-paths');
  }, 60_000);

  it('rejects an import past another layer\'s index.ts', async () => {
    const rules = await rulesFor('src/runtime/slots.ts', "import { openSqliteStore } from '../store/sqlite/sqlite-store.js';\nexport const probe = openSqliteStore;\n");
    expect(rules).toContain('import-x/no-restricted-paths');
  }, 60_000);

  it('accepts a downward import through the layer\'s index.ts', async () => {
    const rules = await rulesFor('src/runtime/slots.ts', "import { openSqliteStore } from '../store/index.js';\nexport const probe = openSqliteStore;\n");
    expect(rules).toEqual([]);
  }, 60_000);

  it('rejects an import cycle', async () => {
    // workflow/index.ts re-exports duration.ts: duration.ts importing the index closes a cycle.
    const rules = await rulesFor('src/workflow/duration.ts', "import { toMermaid } from './index.js';\nexport const probe = toMermaid;\n");
    expect(rules).toContain('import-x/no-cycle');
  }, 60_000);
});
