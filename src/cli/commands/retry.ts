import type { Command } from 'commander';
import type { RerunSelection } from '../../runtime/index.js';
import { rerunRun, retryAsNewRun } from '../../runtime/index.js';
import { startQueuedHere } from '../../modes/index.js';
import type { BatonProcess } from '../../modes/index.js';
import type { ApiClient } from '../client.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, cliActor, openCliProcess } from '../context.js';
import { followRemoteRun, followRun, progressMode } from '../follow.js';

interface RetryOptions {
  from?: string;
  failed?: boolean;
  new?: boolean;
  detach?: boolean;
  json?: boolean;
  quiet?: boolean;
  local?: boolean;
  on?: string;
}

/** `--on docker,gpu` as tags, each once. @throws CliError for an empty list */
function onTags(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const tags = [...new Set(raw.split(',').map((t) => t.trim()).filter(Boolean))];
  if (!tags.length) throw new CliError('--on takes worker tags, comma-separated (e.g. docker,gpu)');
  return tags;
}

/** `baton retry RUN`: re-runs the failed steps of a run, or part of it, or the whole as a new run. */
export function registerRetry(program: Command, globals: () => GlobalOptions): void {
  program
    .command('retry')
    .description('re-run the failed steps of a run (default), or from a step onwards (--from), or all of it as a new run (--new)')
    .argument('<run>', 'run id or a unique prefix of it')
    .option('--from <step>', 're-run this step and every step downstream of it; steps upstream keep their outputs')
    .option('--failed', 're-run the failed steps and the steps skipped or cancelled because of them (the default)')
    .option('--new', 'start a new run of the same workflow version with the same params (trigger retry)')
    .option('--detach', 'record the re-run and return at once; baton server (or a fleet worker) executes it')
    .option('--json', 'print one JSON event per line instead of progress')
    .option('-q, --quiet', 'print only the final summary')
    .option('--local', 'with PostgreSQL: run every step in this process instead of on baton worker processes')
    .option('--on <tags>', "with --from or --failed on a fleet: the re-run steps go to workers that have these tags (comma-separated) as well as their runs-on")
    .addHelpText('after', `
A re-run happens within the same run: the chosen steps get a new attempt (numbered after
their last one) with a fresh retry budget, the steps upstream keep their outputs and are
not run again, and the run goes back to queued. This is the one way a succeeded step runs
again within its run; baton never does it on its own (crashes and retries never re-run a
success). The run must have ended (or not yet started): wait for a running run, or cancel it.
Without --detach the re-run executes here, with the same progress as baton run.

With --server the server records and executes the re-run; without --detach this command
shows its progress until it ends (--local does not apply).

--on TAGS sends the re-run steps to fleet workers (baton worker, PostgreSQL) having those
tags besides the steps' own runs-on: after a step failed on a worker that lacks a tool
(docker, say) or memory, re-run it where it has them. The tags stay on those step runs until
their next re-run. Without a fleet (SQLite, --local) every step runs in one process and tags
mean nothing, so --on is refused.

Exit codes: 0 succeeded, 1 failed, 2 invalid request, 130 cancelled.

Examples:
  baton retry 01j9x2k3                 # the failed steps and what they skipped
  baton retry 01j9x2k3 --from train    # train and everything after it
  baton retry 01j9x2k3 --new           # a new run with the same params
  baton retry 01j9x2k3 --from build --on docker   # on a worker with docker
  baton retry 01j9x2k3 --detach        # leave it queued for baton server`)
    .action(async (id: string, o: RetryOptions) => {
      const chosen = [o.from !== undefined, o.failed === true, o.new === true].filter(Boolean).length;
      if (chosen > 1) throw new CliError('give one of --from, --failed and --new');
      const on = onTags(o.on);
      if (on && o.new) throw new CliError('--on applies to a re-run within the run (--from or --failed), not to --new');
      if (on && o.local) throw new CliError('--on names tags of fleet workers; with --local every step runs in this process');
      const api = connect(globals());
      if (api) {
        if (o.local) throw new CliError('--local runs steps in this process; it does not work with --server');
        process.exitCode = await retryRemote(api, id, o);
        return;
      }
      const proc = await openCliProcess(globals(), 'embedded', { local: o.local === true });
      const { store } = proc;
      try {
        if (on && !proc.fleet) throw new CliError('--on names tags of fleet workers: it needs a PostgreSQL store (--database-url) with baton worker processes; on SQLite every step runs in one process');
        const original = await store.resolveRunId(id);
        const now = Date.now();
        let runId: string;
        let workflow: string;
        if (o.new) {
          const run = await retryAsNewRun(store, original, now, { by: cliActor() });
          runId = run.id;
          workflow = run.workflow;
          process.stderr.write(`run ${runId} retries run ${original} (same version and params)\n`);
        } else {
          const selection: RerunSelection = { ...(o.from !== undefined ? { from: o.from } : { failed: true as const }), ...(on ? { on } : {}) };
          const { run, steps, reopened } = await rerunRun(store, original, selection, now, { by: cliActor() });
          runId = run.id;
          workflow = run.workflow;
          process.stderr.write(`run ${runId}: re-running ${steps.join(', ')}${on ? ` on workers with ${on.join(', ')}` : ''}${reopened.length ? `; reopened ${reopened.join(', ')}` : ''}\n`);
          if (run.state !== 'queued') {
            process.stderr.write(`run ${runId} is ${run.state}; baton server starts it when due\n`);
            return;
          }
        }
        process.exitCode = await executeRerun(proc, runId, workflow, o);
      } finally {
        await proc.close();
      }
    });
}

/**
 * Executes a recorded re-run here and follows it to its end (as `baton run` does), or with
 * `detach` leaves it queued for a server. Shared by `baton retry` and `baton explain --apply`.
 * @returns the exit code.
 */
export async function executeRerun(proc: BatonProcess, runId: string, workflow: string, o: { detach?: boolean; json?: boolean; quiet?: boolean }): Promise<number> {
  if (o.detach) {
    process.stdout.write(`${runId}\n`);
    process.stderr.write(`run ${runId} is queued; baton server starts it\n`);
    return EXIT.ok;
  }
  const start = await startQueuedHere(proc, runId);
  if (start.kind === 'elsewhere') {
    // A server woke at the same moment and took the run: it goes on there.
    process.stderr.write(`run ${runId} was started by another process; follow it with 'baton logs ${runId} --follow'\n`);
    return EXIT.ok;
  }
  return await followRun(proc.engine(), proc.store, start.handle, workflow, progressMode(o));
}

/** Records the re-run through the API; follows it to its end unless `--detach`. */
async function retryRemote(api: ApiClient, id: string, o: RetryOptions): Promise<number> {
  const on = onTags(o.on);
  const body = o.new ? { mode: 'new' as const } : { ...(o.from !== undefined ? { mode: 'from' as const, step: o.from } : { mode: 'failed' as const }), ...(on ? { on } : {}) };
  // Subscribed first: the server starts the re-run as soon as it is recorded.
  const sub = o.detach ? undefined : await api.subscribe(o.new ? { workflow: (await api.getRun(id)).run.workflow } : { run: id });
  try {
    const { run, steps } = await api.retry(id, body);
    if (o.new) {
      process.stderr.write(`run ${run.id} retries run ${run.retryOf ?? id} (same version and params)\n`);
    } else {
      process.stderr.write(`run ${run.id}: re-running ${(steps ?? []).join(', ')}\n`);
      if (run.state !== 'queued' && run.state !== 'running') {
        process.stderr.write(`run ${run.id} is ${run.state}; baton server starts it when due\n`);
        return EXIT.ok;
      }
    }
    if (!sub) {
      process.stdout.write(`${run.id}\n`);
      process.stderr.write(`run ${run.id} is queued; baton server starts it\n`);
      return EXIT.ok;
    }
    return await followRemoteRun(api, sub, run.id, progressMode(o));
  } finally {
    sub?.close();
  }
}
