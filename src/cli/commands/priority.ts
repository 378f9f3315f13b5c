import type { Command } from 'commander';
import { setRunPriority } from '../../runtime/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, cliActor, openStore } from '../context.js';

/** `baton priority RUN N`: reorders a waiting run. */
export function registerPriority(program: Command, globals: () => GlobalOptions): void {
  program
    .command('priority')
    .description('set the priority of a pending or queued run, from -10 to 10 (higher starts first)')
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('<priority>', 'an integer from -10 to 10')
    .addHelpText('after', `
Queued runs start highest priority first, then longest waiting; a run's priority also adds
to each of its steps'. 'baton show RUN' shows the priority and how long a queued run waited.

Examples:
  baton priority 01j9x2k3 5
  baton priority 01j9x2k3 -3`)
    .action(async (id: string, value: string) => {
      const priority = Number(value);
      if (value.trim() === '' || !Number.isInteger(priority)) throw new CliError(`priority must be an integer from -10 to 10, got '${value}'`);
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        const run = await setRunPriority(store, runId, priority, Date.now(), { by: cliActor() });
        process.stdout.write(`run ${runId} (${run.state}) now has priority ${run.priority}\n`);
      } finally {
        await store.close();
      }
    });
}
