import type { Command } from 'commander';
import { cancelStoredRun } from '../../runtime/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { openStore } from '../context.js';

/** `baton cancel RUN`: cancels a run, from any terminal. */
export function registerCancel(program: Command, globals: () => GlobalOptions): void {
  program
    .command('cancel')
    .description('cancel a run: the process running it stops its steps gracefully within a second')
    .argument('<run>', 'run id or a unique prefix of it')
    .action(async (id: string) => {
      const api = connect(globals());
      if (api) {
        const { run, outcome } = await api.cancel(id);
        printOutcome(run.id, outcome);
        return;
      }
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        printOutcome(runId, await cancelStoredRun(store, runId, Date.now()));
      } finally {
        await store.close();
      }
    });
}

function printOutcome(runId: string, outcome: 'requested' | 'cancelled' | 'finished'): void {
  const text = {
    requested: `cancel requested for run ${runId}; the process running it stops its steps now`,
    cancelled: `run ${runId} cancelled (no process was running it)`,
    finished: `run ${runId} has already ended; nothing to cancel`,
  }[outcome];
  process.stdout.write(text + '\n');
}
