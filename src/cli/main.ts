/**
 * @module cli
 * The `baton` command. Each subcommand lives in its own file under `commands/`; this file
 * wires them and turns errors into messages and exit codes.
 */
import { Command, CommanderError } from 'commander';
import { registerAdapt } from './commands/adapt.js';
import { registerBackfill } from './commands/backfill.js';
import { registerCancel } from './commands/cancel.js';
import { registerDraft } from './commands/draft.js';
import { registerExplain } from './commands/explain.js';
import { registerForecast } from './commands/forecast.js';
import { registerGraph } from './commands/graph.js';
import { registerHistory } from './commands/history.js';
import { registerLogs } from './commands/logs.js';
import { registerPause } from './commands/pause.js';
import { registerSignals } from './commands/signal.js';
import { registerPriority } from './commands/priority.js';
import { registerPrune } from './commands/prune.js';
import { registerResume } from './commands/resume.js';
import { registerRetry } from './commands/retry.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerSchedules } from './commands/schedules.js';
import { registerAlerts } from './commands/alerts.js';
import { registerServer } from './commands/server.js';
import { registerShow } from './commands/show.js';
import { registerToken } from './commands/token.js';
import { registerValidate } from './commands/validate.js';
import { registerWorker } from './commands/worker.js';
import { registerWorkers } from './commands/workers.js';
import { registerBreakers } from './commands/breakers.js';
import type { GlobalOptions } from './context.js';
import { ClientError, refuseServer } from './client.js';
import { CliError, EXIT } from './context.js';
import { BATON_VERSION, coerceError, isBatonError } from '../shared/index.js';

/** `BatonError` codes that mean the request cannot be done as asked: exit code 2. */
const USAGE_CODES: ReadonlySet<string> = new Set([
  'run-not-found', 'resume', 'run-held', 'run-state', 'rerun-selection', 'priority-range',
  'params-invalid', 'workflow-invalid', 'expression', 'handler-load', 'process-options', 'bad-cursor', 'backfill',
]);

const program = new Command('baton')
  .description('baton: durable workflow orchestration. Runs DAGs of shell and TypeScript steps, resumable after any crash.')
  .version(BATON_VERSION)
  .option('--db <path>', 'SQLite database file (env BATON_DB)', undefined)
  .option('--database-url <url>', 'PostgreSQL URL (env BATON_DATABASE_URL); without it, SQLite')
  .option('--server <url>', 'use the HTTP API of this baton server instead of a store (env BATON_SERVER): runs, show, explain, logs, cancel, pause, resume, retry, priority, signal, approve, reject, run, history, alerts, breakers')
  .option('--token <token>', 'API token for --server (env BATON_TOKEN)')
  .showHelpAfterError('(run baton --help for usage)')
  .exitOverride()
  .addHelpText('after', `
Data lives in ./.baton (database, logs, outputs) unless --db or BATON_DB says otherwise.
BATON_SQLITE_SYNCHRONOUS=full makes every commit survive power loss (slower; default normal survives any process crash).
With --server URL (or BATON_SERVER) and a token (--token or BATON_TOKEN), the commands that read
or change runs (runs, show, explain, logs, cancel, pause, resume, retry, priority, signal, approve,
reject, run, history, alerts, breakers) go through that server's API, with the same output. validate, graph, draft and adapt
read files only; schedules, backfill, workers, token, prune, server and worker work on a store and refuse --server.
OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) makes run, resume, retry,
server and worker export OpenTelemetry traces of their runs over OTLP/HTTP (OTEL_SERVICE_NAME,
default baton; OTEL_EXPORTER_OTLP_HEADERS; OTEL_SDK_DISABLED=true turns it off); baton show
prints a run's trace id.
BATON_LLM_URL and BATON_LLM_MODEL (an OpenAI-compatible endpoint) give explain a narrative and
enable draft and adapt; BATON_LLM=off turns the model off; exchanges go to .baton/assistant.log.

Quick start:
  baton run examples/nightly-forecast/workflow.yaml
  baton runs
  baton show <run>`);

// A closed pipe (`baton run … | head`) ends the output, not the work: the run goes on to its end.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
});

const globals = (): GlobalOptions => program.opts<GlobalOptions>();

/** Commands that go through the API with --server, and those that never touch a store. */
const REMOTE = new Set(['runs', 'show', 'explain', 'logs', 'cancel', 'pause', 'resume', 'retry', 'priority', 'signal', 'approve', 'reject', 'run', 'history', 'forecast', 'validate', 'graph', 'draft', 'adapt', 'alerts', 'breakers']);
program.hook('preAction', (_program, action) => {
  let top = action;
  while (top.parent && top.parent !== program) top = top.parent;
  if (!REMOTE.has(top.name())) refuseServer(globals(), `baton ${top.name()}`, 'run it where its store is (unset BATON_SERVER or drop --server)');
});
registerRun(program, globals);
registerValidate(program);
registerGraph(program);
registerDraft(program, globals);
registerAdapt(program, globals);
registerRuns(program, globals);
registerExplain(program, globals);
registerShow(program, globals);
registerLogs(program, globals);
registerResume(program, globals);
registerPause(program, globals);
registerSignals(program, globals);
registerRetry(program, globals);
registerPriority(program, globals);
registerCancel(program, globals);
registerServer(program, globals);
registerSchedules(program, globals);
registerBackfill(program, globals);
registerAlerts(program, globals);
registerWorker(program, globals);
registerWorkers(program, globals);
registerBreakers(program, globals);
registerToken(program, globals);
registerHistory(program, globals);
registerForecast(program, globals);
registerPrune(program, globals);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = report(e);
}

/** Prints an error the way a user needs it and returns the exit code. */
function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed the message; help and version exit 0.
    return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (e instanceof ClientError) {
    // The server refused the request (4xx, like a local invalid request) or could not answer.
    process.stderr.write(`error: ${e.message}\n`);
    // 429: the request was right, the server too busy (try again later): a failure, not usage.
    return e.status >= 400 && e.status < 500 && e.status !== 429 ? EXIT.usage : EXIT.failed;
  }
  if (e instanceof CliError) {
    process.stderr.write(`error: ${e.message}\n`);
    return e.exitCode;
  }
  if (isBatonError(e)) {
    // baton's own errors are for people: no stack. A request that cannot be done as asked is
    // a usage error (2), like invalid input; the rest (a store that cannot open…) failed (1).
    process.stderr.write(`error: ${e.message}\n`);
    return USAGE_CODES.has(e.code) ? EXIT.usage : EXIT.failed;
  }
  const err = coerceError(e);
  process.stderr.write(`error: ${err.message}\n${process.env.BATON_DEBUG ? (err.stack ?? '') + '\n' : 'set BATON_DEBUG=1 for the stack trace\n'}`);
  return EXIT.failed;
}
