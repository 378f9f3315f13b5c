import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { submitRun } from '../../runtime/index.js';
import type { BatonProcess } from '../../modes/index.js';
import { findInterrupted, startDueHere, waitUntilDue } from '../../modes/index.js';
import type { WorkflowSpec } from '../../workflow/index.js';
import { ParamError, WorkflowValidationError, formatSpecError, loadWorkflowFile, parseDuration, resolveParams, workflowVersion } from '../../workflow/index.js';
import type { NewEvent } from '../../store/index.js';
import type { ApiClient } from '../client.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, openCliProcess } from '../context.js';
import { formatTime } from '../format.js';
import type { ProgressMode } from '../progress.js';
import { followRemoteRun, followRun, progressMode } from '../follow.js';
import { collectParam, positiveInt } from '../params.js';
import type { ThrottleCliOptions } from '../throttle.js';
import { describeThrottle, throttleFlags, throttleFrom } from '../throttle.js';

interface RunOptions extends ThrottleCliOptions {
  param?: Record<string, string>;
  concurrency?: number;
  json?: boolean;
  quiet?: boolean;
  resume?: boolean;
  at?: number;
  in?: number;
  priority?: number;
  detach?: boolean;
  local?: boolean;
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
  throttleFlags(program
    .command('run')
    .description('run a workflow file to its end in this process, with live progress and its ETA from earlier runs')
    .argument('<file>', 'workflow file (.yaml, .yml or .json)')
    .option('-p, --param <key=value>', 'set a param (repeatable); JSON for array/object params', collectParam)
    .option('-c, --concurrency <n>', "max steps running at once (overrides the workflow's concurrency)", positiveInt('--concurrency'))
    .option('--json', 'print one JSON event per line instead of progress')
    .option('-q, --quiet', 'print only the final summary')
    .option('--resume', 'resume the latest interrupted run of this workflow instead of starting a new one')
    .option('--at <time>', 'start at this time, e.g. 2026-11-22T02:00 (local) or with an offset; the run waits as pending', parseAt)
    .option('--in <duration>', 'start after this delay, e.g. 10m or 1h30m', parseIn)
    .option('--priority <n>', 'run priority -10..+10: due runs start highest first, and it adds to each step', parsePriority)
    .option('--detach', 'record the run and return its id at once; baton server executes it (when due)')
    .option('--local', 'with PostgreSQL: run every step in this process instead of on baton worker processes'))
    .addHelpText('after', `
Exit codes: 0 succeeded, 1 failed, 2 invalid input, 130 cancelled.
Ctrl-C cancels gracefully (SIGTERM to running steps); a second Ctrl-C forces.

A delayed run (--at/--in) is durable: this command waits for it in the foreground, and if
it is stopped, 'baton server' starts the run when due. It starts once either way.

Examples:
  baton run examples/nightly-forecast/workflow.yaml
  baton run flow.yaml --param region=eu --param days=7 --concurrency 4
  baton run flow.yaml --in 10m --detach      # baton server runs it in 10 minutes

With --server URL the file is registered on that server (unless it has this version already;
registering needs an admin token) and the server creates and executes the run: --detach
prints its id, otherwise this command shows its progress until it ends. Files the workflow
refers to (handlers, cwd, ./scripts) must exist on the server: at the same path, they resolve
from the file's folder as locally; else from the server's --workflows folder. --resume and
--local do not apply.`)
    .action(async (file: string, o: RunOptions) => {
      const spec = await loadOrExplain(file);
      let params;
      try {
        params = resolveParams(spec, o.param ?? {}, { fromStrings: true });
      } catch (e) {
        if (e instanceof ParamError) throw new CliError(`invalid params for ${spec.name}:\n${e.problems.map((p) => '  ' + p).join('\n')}`);
        throw e;
      }
      if (o.at !== undefined && o.in !== undefined) throw new CliError('give --at or --in, not both');
      const dueAt = o.at ?? (o.in !== undefined ? Date.now() + o.in : undefined);
      const api = connect(globals());
      if (api) {
        if (o.resume || o.local) throw new CliError(`${o.resume ? '--resume' : '--local'} works on a local store; it does not work with --server (see baton run --help)`);
        process.exitCode = await runRemote(api, file, spec, { ...o, params }, dueAt);
        return;
      }
      // With PostgreSQL, this process coordinates the run and workers execute its steps.
      const proc = await openCliProcess(globals(), 'embedded', { local: o.local === true, throttle: throttleFrom(o) });
      const { store } = proc;
      try {
        const runOpts = {
          params,
          ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
          ...(o.priority !== undefined ? { priority: o.priority } : {}),
        };
        if (dueAt !== undefined || o.detach) {
          const id = await submitRun(store, spec, workflowVersion(spec), { ...runOpts, ...(dueAt !== undefined ? { dueAt } : {}) }, Date.now());
          if (o.detach) {
            printDetached(id, dueAt);
            return;
          }
          process.exitCode = await waitAndRun(proc, id, dueAt ?? Date.now(), spec.name, progressMode(o));
          return;
        }
        const engine = proc.engine();
        // On a terminal only: a script reading stderr expects it empty when all went well.
        if (!o.quiet && process.stderr.isTTY) engine.onThrottle((e) => process.stderr.write(`${formatTime(Date.now())} throttle: ${describeThrottle(e)}\n`));
        const interrupted = await findInterrupted(store, spec.name, Date.now());
        let handle;
        const early: NewEvent[] = [];
        if (interrupted && (o.resume || (await offerResume(interrupted)))) {
          handle = await engine.resumeRun(interrupted);
        } else {
          if (interrupted) process.stderr.write(`note: run ${interrupted} of ${spec.name} was interrupted; 'baton resume ${interrupted}' continues it\n`);
          // The run's first events are committed (and told) before startRun resolves.
          const off = engine.onEvent((e) => early.push(e));
          try {
            handle = await engine.startRun(spec, workflowVersion(spec), runOpts);
          } finally {
            off();
          }
        }
        process.exitCode = await followRun(engine, store, handle, spec.name, progressMode(o), early);
      } finally {
        // Also when the store failed for good: a process that gave up exits with its code.
        await proc.close();
      }
    });
}

/** What `--detach` prints: the run id on stdout, what happens next on stderr. */
function printDetached(id: string, dueAt: number | undefined): void {
  process.stdout.write(`${id}\n`);
  process.stderr.write(dueAt !== undefined
    ? `run ${id} is pending until ${formatTime(dueAt)}; baton server starts it when due\n`
    : `run ${id} is queued; baton server starts it\n`);
}

/**
 * Registers the file on the server when it lacks this version, creates the run there and,
 * unless `--detach`, follows it to its end.
 */
async function runRemote(api: ApiClient, file: string, spec: WorkflowSpec, o: RunOptions & { params: Record<string, unknown> }, dueAt: number | undefined): Promise<number> {
  let version = workflowVersion(spec);
  if (!(await api.hasWorkflowVersion(spec.name, version))) {
    const text = await readFile(file, 'utf8');
    version = (await api.registerWorkflow(text, /\.json$/i.test(file) ? 'application/json' : 'application/yaml', resolve(file))).version;
  }
  // Subscribed first: the server may start the run as soon as it is created.
  const sub = o.detach ? undefined : await api.subscribe({ workflow: spec.name });
  try {
    const run = await api.createRun({
      workflow: spec.name, version, params: o.params,
      ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      ...(dueAt !== undefined ? { at: dueAt } : {}),
    });
    if (!sub) {
      printDetached(run.id, run.state === 'pending' ? dueAt : undefined);
      return EXIT.ok;
    }
    if (run.state === 'pending' && dueAt !== undefined && progressMode(o) !== 'json') {
      process.stderr.write(`run ${run.id} is pending until ${formatTime(dueAt)}; baton server starts it when due (Ctrl-C cancels it)\n`);
    }
    return await followRemoteRun(api, sub, run.id, progressMode(o));
  } finally {
    sub?.close();
  }
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


/**
 * Waits in the foreground for a pending run to come due, then executes it here, unless
 * another process (a server) started it first. Ctrl-C leaves it pending (exit 130).
 */
async function waitAndRun(proc: BatonProcess, runId: string, dueAt: number, workflow: string, mode: ProgressMode): Promise<number> {
  if (mode !== 'json') process.stderr.write(`run ${runId} is pending until ${formatTime(dueAt)} (Ctrl-C leaves it pending; baton server starts it when due)\n`);
  if ((await waitUntilDue(dueAt)) === 'interrupted') {
    process.stderr.write(`\nrun ${runId} stays pending; baton server starts it when due, or 'baton cancel ${runId}'\n`);
    return EXIT.cancelled;
  }
  const start = await startDueHere(proc, runId, dueAt);
  if (start.kind === 'elsewhere') {
    if (start.state === 'cancelled') {
      process.stderr.write(`run ${runId} was cancelled while it waited\n`);
      return EXIT.cancelled;
    }
    process.stderr.write(`run ${runId} was started by another process; follow it with 'baton logs ${runId} --follow'\n`);
    return EXIT.ok;
  }
  return followRun(proc.engine(), proc.store, start.handle, workflow, mode);
}

/** `--at`: an ISO date-time; without an offset it is local time (ECMAScript Date rules). */
function parseAt(v: string): number {
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new CliError(`--at expects a date-time such as 2026-11-22T02:00 or 2026-11-22T02:00+01:00, got '${v}'`);
  if (t < Date.now() - 1000) throw new CliError(`--at ${v} is in the past; give a future time, or drop --at to run now`);
  return t;
}

function parseIn(v: string): number {
  try {
    return parseDuration(v);
  } catch {
    throw new CliError(`--in expects a duration such as 30s, 10m or 1h30m, got '${v}'`);
  }
}

function parsePriority(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < -10 || n > 10) throw new CliError(`--priority expects an integer from -10 to 10, got '${v}'`);
  return n;
}
