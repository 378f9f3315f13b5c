import type { Command } from 'commander';
import { cancelStoredRun } from '../../runtime/index.js';
import type { GlobalOptions } from '../context.js';
import { openStore } from '../context.js';

/** `baton cancel RUN`: cancels a run, from any terminal. */
export function registerCancel(program: Command, globals: () => GlobalOptions): void {
  program
    .command('cancel')
    .description('cancel a run: the process running it stops its steps gracefully within a second')
    .argument('<run>', 'run id or a unique prefix of it')
    .action(async (id: string) => {
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        const outcome = await cancelStoredRun(store, runId, Date.now());
        const text = {
          requested: `cancel requested for run ${runId}; the process running it stops its steps now`,
          cancelled: `run ${runId} cancelled (no process was running it)`,
          finished: `run ${runId} has already ended; nothing to cancel`,
        }[outcome];
        process.stdout.write(text + '\n');
      } finally {
        await store.close();
      }
    });
}
