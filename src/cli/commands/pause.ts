import type { Command } from 'commander';
import { pauseRun } from '../../runtime/index.js';
import type { RunRecord } from '../../store/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { cliActor, openStore } from '../context.js';

/** `baton pause RUN`: no new step of the run starts until `baton resume RUN`. */
export function registerPause(program: Command, globals: () => GlobalOptions): void {
  program
    .command('pause')
    .description('pause a run: no new step starts (running steps finish); baton resume continues it')
    .argument('<run>', 'run id or a unique prefix of it')
    .addHelpText('after', `
The pause is stored with the run: it holds across restarts of the process running it, and a
pending or queued run does not start until it is resumed. The process running the run
applies the pause within a heartbeat (about a second); with a fleet, workers finish the steps
they hold and the coordinator publishes no new ones. 'baton runs' shows it as 'running (paused)'.
With --server the pause is requested through the server's API (operator role).

Examples:
  baton pause 01j9x2k3          # stop starting steps
  baton resume 01j9x2k3         # go on where it stood`)
    .action(async (id: string) => {
      const api = connect(globals());
      if (api) {
        printPaused(await api.pause(id));
        return;
      }
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        printPaused(await pauseRun(store, runId, Date.now(), { by: cliActor() }));
      } finally {
        await store.close();
      }
    });
}

function printPaused({ run, changed }: { run: RunRecord; changed: boolean }): void {
  const runId = run.id;
  const text = !changed
    ? `run ${runId} is already paused; 'baton resume ${runId}' continues it`
    : run.state === 'running'
      ? `run ${runId} paused: no new step starts, running steps finish; 'baton resume ${runId}' continues it`
      : `run ${runId} paused: it does not start until 'baton resume ${runId}'`;
  process.stdout.write(text + '\n');
}
