import type { Command } from 'commander';
import { createEngine, isOwnerDead, unpauseRun } from '../../runtime/index.js';
import type { GlobalOptions } from '../context.js';
import { cliActor, openStore } from '../context.js';
import { followRun, progressMode } from '../follow.js';

/** `baton resume RUN`: unpauses a paused run; continues an interrupted or cancelled run. */
export function registerResume(program: Command, globals: () => GlobalOptions): void {
  program
    .command('resume')
    .description('continue a paused, interrupted (e.g. killed) or cancelled run: succeeded steps are not run again')
    .argument('<run>', 'run id or a unique prefix of it')
    .option('--json', 'print one JSON event per line instead of progress')
    .option('-q, --quiet', 'print only the final summary')
    .option('--detach', 'only unpause a paused run; do not execute it here')
    .addHelpText('after', `
A paused run (baton pause) is unpaused: if a process is running it, that process starts new
steps again within a second and this command returns. Otherwise the run is executed here,
from where it stood, with the same progress as baton run.`)
    .action(async (id: string, o: { json?: boolean; quiet?: boolean; detach?: boolean }) => {
      const { store, dataDir } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        const before = await store.getRun(runId);
        if (before?.pausedAt !== undefined) {
          const { run } = await unpauseRun(store, runId, Date.now(), { by: cliActor() });
          const ended = run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled';
          const held = run.owner !== undefined && (run.leaseExpiresAt ?? 0) >= Date.now() && !isOwnerDead(run);
          if (o.detach || held || ended || run.state === 'pending') {
            process.stdout.write(
              held ? `run ${runId} resumed: the process running it starts new steps again\n`
                : ended ? `run ${runId} unpaused; it has ${run.state}\n`
                  : `run ${runId} unpaused; ${run.state === 'pending' ? 'baton server starts it when due' : 'baton server starts it'}\n`,
            );
            return;
          }
        }
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
