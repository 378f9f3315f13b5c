import type { Command } from 'commander';
import { createEngine } from '../../runtime/index.js';
import type { GlobalOptions } from '../context.js';
import { openStore } from '../context.js';
import { followRun, progressMode } from '../follow.js';

/** `baton resume RUN`: continues an interrupted or cancelled run. */
export function registerResume(program: Command, globals: () => GlobalOptions): void {
  program
    .command('resume')
    .description('continue an interrupted (e.g. killed) or cancelled run: succeeded steps are not run again')
    .argument('<run>', 'run id or a unique prefix of it')
    .option('--json', 'print one JSON event per line instead of progress')
    .option('-q, --quiet', 'print only the final summary')
    .action(async (id: string, o: { json?: boolean; quiet?: boolean }) => {
      const { store, dataDir } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        const engine = createEngine({ store, dataDir });
        const handle = await engine.resumeRun(runId);
        const run = await store.getRun(runId);
        process.exitCode = await followRun(engine, store, handle, run?.workflow ?? '', progressMode(o));
        await engine.close();
      } finally {
        await store.close();
      }
    });
}
