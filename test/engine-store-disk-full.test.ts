/**
 * The store's disk fills up mid-run: the engine stops at once (waiting frees no disk) with
 * a message that says what to free, and everything committed before stays intact. The
 * database lives on a 4 MiB tmpfs (mounting needs root; skipped otherwise).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreDiskFullError, VirtualClock, compileWorkflow, createEngine, openSqliteStore, workflowVersion } from '../src/index.js';
import { tempDir } from './helpers.js';

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const root = tempDir();
const dbDir = join(root, 'db');
mkdirSync(dbDir);
const mounted = tryMount(dbDir);
afterAll(() => {
  if (mounted) execFileSync('umount', [dbDir]);
  rmSync(root, { recursive: true, force: true });
});

describe('a full store disk', () => {
  it.skipIf(!mounted)('stops the engine at once with what to free; what was committed stays', async () => {
    try {
      const dbPath = join(dbDir, 'baton.db');
      const store = openSqliteStore(dbPath);
      await store.migrate();
      // Virtual: were the failure taken for an outage, the engine would wait for a virtual
      // clock nobody advances, and this test would time out.
      const engine = createEngine({ store, dataDir: join(root, 'data'), clock: new VirtualClock() });
      const spec = compileWorkflow(
        {
          name: 'fills_disk',
          steps: [
            { id: 'first', run: 'echo \'{"kept": true}\' > "$BATON_OUTPUT"' },
            // Fills the database's disk; its end is the first commit that cannot be written.
            { id: 'fill', needs: ['first'], run: 'dd if=/dev/zero of="$DBDIR/filler" bs=64k 2>/dev/null; true', env: { DBDIR: dbDir } },
          ],
        },
        { baseDir: root },
      );
      const run = await engine.startRun(spec, workflowVersion(spec));
      const err = await run.result.then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreDiskFullError);
      expect((err as StoreDiskFullError).code).toBe('store-disk-full');
      expect((err as Error).message).toMatch(/Free space on the disk that holds the database/);
      await engine.close().catch(() => undefined);
      await store.close();
      rmSync(join(dbDir, 'filler'));

      const again = openSqliteStore(dbPath);
      try {
        expect(await again.getRun(run.id)).toMatchObject({ state: 'running' }); // resumable
        const steps = await again.getStepRuns(run.id);
        expect(steps[0]).toMatchObject({ stepId: 'first', state: 'succeeded', output: { kept: true } });
        expect(steps[1]).toMatchObject({ stepId: 'fill', state: 'running' });
      } finally {
        await again.close();
      }
    } finally {
      rmSync(join(dbDir, 'filler'), { force: true });
    }
  });
});
