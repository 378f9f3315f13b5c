import type { Command } from 'commander';
import { holderAlive, unpauseRun } from '../../runtime/index.js';
import type { RunRecord } from '../../store/index.js';
import type { ApiClient } from '../client.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { cliActor, openCliProcess } from '../context.js';
import { followRemoteRun, followRun, progressMode } from '../follow.js';

interface ResumeOptions {
  json?: boolean;
  quiet?: boolean;
  detach?: boolean;
}

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
from where it stood, with the same progress as baton run.

With --server the server resumes the run: it unpauses a paused run, or takes over a run
whose process died; without --detach this command then shows its progress until it ends.
A cancelled run cannot be resumed through a server: 'baton retry RUN' re-runs what it left.`)
    .action(async (id: string, o: ResumeOptions) => {
      const api = connect(globals());
      if (api) {
        process.exitCode = await resumeRemote(api, id, o);
        return;
      }
      // On PostgreSQL the run's attempts are the fleet's: a live worker's stay its own.
      const proc = await openCliProcess(globals(), 'embedded');
      const { store } = proc;
      try {
        const runId = await store.resolveRunId(id);
        const before = await store.getRun(runId);
        if (before?.pausedAt !== undefined) {
          const { run } = await unpauseRun(store, runId, Date.now(), { by: cliActor() });
          const held = holderAlive(run, Date.now());
          if (o.detach || unpausedText(run, held, true) !== undefined) {
            process.stdout.write(unpausedText(run, held, false) + '\n');
            return;
          }
        }
        const engine = proc.engine();
        const handle = await engine.resumeRun(runId);
        const run = await store.getRun(runId);
        process.exitCode = await followRun(engine, store, handle, run?.workflow ?? '', progressMode(o));
      } finally {
        await proc.close();
      }
    });
}

/**
 * What to say about a run just unpaused. With `onlyIfDone`, undefined when there is more to
 * do than to say (a queued run nobody holds: it is followed instead).
 */
function unpausedText(run: RunRecord, held: boolean, onlyIfDone: boolean): string | undefined {
  const ended = run.state === 'succeeded' || run.state === 'failed' || run.state === 'cancelled';
  if (held) return `run ${run.id} resumed: the process running it starts new steps again`;
  if (ended) return `run ${run.id} unpaused; it has ${run.state}`;
  if (run.state === 'pending') return `run ${run.id} unpaused; baton server starts it when due`;
  return onlyIfDone ? undefined : `run ${run.id} unpaused; baton server starts it`;
}

/** Resumes a run through the API; follows it to its end unless `--detach`. */
async function resumeRemote(api: ApiClient, id: string, o: ResumeOptions): Promise<number> {
  // Subscribed first: the server goes on with the run as soon as it is resumed.
  const sub = o.detach ? undefined : await api.subscribe({ run: id });
  try {
    const { run, outcome } = await api.resume(id);
    if (outcome === 'unpaused') {
      // The server starts a queued run itself; a running one goes on where it runs.
      const text = unpausedText(run, run.state === 'running', sub !== undefined);
      if (text !== undefined) {
        process.stdout.write(text + '\n');
        return 0;
      }
    } else if (!sub) {
      process.stdout.write(`run ${run.id} resumed: baton server continues it\n`);
      return 0;
    }
    return sub ? await followRemoteRun(api, sub, run.id, progressMode(o)) : 0;
  } finally {
    sub?.close();
  }
}
