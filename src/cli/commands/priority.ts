import type { Command } from 'commander';
import { PriorityRangeError, setRunPriority } from '../../runtime/index.js';
import type { RunRecord } from '../../store/index.js';
import { connect } from '../client.js';
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
With --server the priority is set through the server's API (operator role).

Examples:
  baton priority 01j9x2k3 5
  baton priority 01j9x2k3 -3`)
    .action(async (id: string, value: string) => {
      const priority = Number(value);
      if (value.trim() === '' || !Number.isInteger(priority)) throw new CliError(`priority must be an integer from -10 to 10, got '${value}'`);
      const api = connect(globals());
      if (api) {
        // Checked here too, so the message is the one a local store gives.
        if (priority < -10 || priority > 10) throw new PriorityRangeError(priority);
        printPriority(await api.setPriority(id, priority));
        return;
      }
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        printPriority(await setRunPriority(store, runId, priority, Date.now(), { by: cliActor() }));
      } finally {
        await store.close();
      }
    });
}

function printPriority(run: RunRecord): void {
  process.stdout.write(`run ${run.id} (${run.state}) now has priority ${run.priority}\n`);
}
