import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { createEngine, isOwnerDead } from '../../runtime/index.js';
import type { WorkflowSpec } from '../../spec/index.js';
import { ParamError, WorkflowValidationError, formatSpecError, loadWorkflowFile, resolveParams, workflowVersion } from '../../spec/index.js';
import type { Store } from '../../store/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { followRun, progressMode } from '../follow.js';
import { collectParam, positiveInt } from '../params.js';

interface RunOptions {
  param?: Record<string, string>;
  concurrency?: number;
  json?: boolean;
  quiet?: boolean;
  resume?: boolean;
}

/** Loads and validates a workflow file; invalid input becomes exit code 2 with every error listed. */
export async function loadOrExplain(file: string): Promise<WorkflowSpec> {
  try {
    return await loadWorkflowFile(file);
  } catch (e) {
    if (e instanceof WorkflowValidationError) {
      throw new CliError(`${file} is invalid (${e.errors.length} ${e.errors.length === 1 ? 'error' : 'errors'}):\n${e.errors.map((x) => '  ' + formatSpecError(x)).join('\n')}\nfix them and run again; 'baton validate ${file}' checks without running`);
    }
    throw e;
  }
}

/** `baton run FILE`: runs a workflow to its end in this process. */
export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('run a workflow file to its end in this process, with live progress')
    .argument('<file>', 'workflow file (.yaml, .yml or .json)')
    .option('-p, --param <key=value>', 'set a param (repeatable); JSON for array/object params', collectParam)
    .option('-c, --concurrency <n>', "max steps running at once (overrides the workflow's concurrency)", positiveInt('--concurrency'))
    .option('--json', 'print one JSON event per line instead of progress')
    .option('-q, --quiet', 'print only the final summary')
    .option('--resume', 'resume the latest interrupted run of this workflow instead of starting a new one')
    .addHelpText('after', `
Exit codes: 0 succeeded, 1 failed, 2 invalid input, 130 cancelled.
Ctrl-C cancels gracefully (SIGTERM to running steps); a second Ctrl-C forces.

Examples:
  baton run examples/nightly-forecast/workflow.yaml
  baton run flow.yaml --param region=eu --param days=7 --concurrency 4`)
    .action(async (file: string, o: RunOptions) => {
      const spec = await loadOrExplain(file);
      let params;
      try {
        params = resolveParams(spec, o.param ?? {}, { fromStrings: true });
      } catch (e) {
        if (e instanceof ParamError) throw new CliError(`invalid params for ${spec.name}:\n${e.problems.map((p) => '  ' + p).join('\n')}`);
        throw e;
      }
      const { store, dataDir } = await openStore(globals());
      try {
        const engine = createEngine({ store, dataDir });
        const interrupted = await findInterrupted(store, spec.name);
        let handle;
        if (interrupted && (o.resume || (await offerResume(interrupted)))) {
          handle = await engine.resumeRun(interrupted);
        } else {
          if (interrupted) process.stderr.write(`note: run ${interrupted} of ${spec.name} was interrupted; 'baton resume ${interrupted}' continues it\n`);
          handle = await engine.startRun(spec, workflowVersion(spec), {
            params,
            ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
          });
        }
        process.exitCode = await followRun(engine, store, handle, spec.name, progressMode(o));
        await engine.close();
      } finally {
        await store.close();
      }
    });
}

/** The latest run of the workflow whose holder died mid-run, if any. */
async function findInterrupted(store: Store, workflow: string): Promise<string | undefined> {
  const runs = await store.listRuns({ workflow, state: ['running', 'queued'], limit: 5 });
  const now = Date.now();
  return runs.find((r) => r.owner === undefined || (r.leaseExpiresAt ?? 0) < now || isOwnerDead(r))?.id;
}

/** On a terminal, asks whether to resume; elsewhere never (scripts get a note instead). */
async function offerResume(runId: string): Promise<boolean> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`run ${runId} of this workflow was interrupted. Resume it? [Y/n] `);
    return !/^n/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

