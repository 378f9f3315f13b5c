import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../src/index.js';
import type { SqliteStore } from '../src/index.js';
import type { RegistryReport } from '../src/triggers/index.js';
import { WorkflowRegistry } from '../src/triggers/index.js';
import { tempDir, waitFor } from './helpers.js';

const template = (command: string) => `templates:\n  step:\n    params: { msg: { type: string } }\n    run: ${command} "\${{ template.msg }}"\n`;

describe('a served folder with a shared template file', () => {
  let dir: string;
  let store: SqliteStore;
  let registry: WorkflowRegistry | undefined;
  const reports: RegistryReport[] = [];
  beforeEach(async () => {
    dir = tempDir('baton-registry-templates-');
    mkdirSync(join(dir, 'shared'));
    writeFileSync(join(dir, 'flow.yaml'), 'name: served\nsteps:\n  - id: a\n    extend: ./shared/templates.yaml#step\n    args: { msg: hi }\n');
    writeFileSync(join(dir, 'shared', 'templates.yaml'), template('echo'));
    store = openSqliteStore(join(dir, '.baton', 'baton.db'));
    await store.migrate();
    reports.length = 0;
  });
  afterEach(async () => {
    registry?.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the workflow, leaves the template file alone, and registers a new version when the template changes', async () => {
    registry = new WorkflowRegistry(store, dir, (r) => reports.push(r));
    expect(await registry.loadAll()).toEqual({ valid: 1, invalid: 0 });
    const first = reports.find((r) => r.kind === 'loaded');
    expect(first).toMatchObject({ kind: 'loaded', workflow: 'served' });
    registry.watch();
    writeFileSync(join(dir, 'shared', 'templates.yaml'), template('printf'));
    const second = await waitFor(() => reports.filter((r) => r.kind === 'loaded')[1], 10_000, 'the workflow reloaded after its template changed');
    expect(second).toMatchObject({ kind: 'loaded', workflow: 'served' });
    expect((second as { version: string }).version).not.toBe((first as { version: string }).version);
    const spec = await registry.specOf((second as { version: string }).version);
    expect(spec?.steps[0]?.action).toEqual({ kind: 'run', command: { default: 'printf "hi"' } });
    expect(reports.filter((r) => r.kind === 'invalid')).toEqual([]);
  });
});
