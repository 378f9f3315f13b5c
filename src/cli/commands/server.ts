import type { Command } from 'commander';
import { CONFIG_FILE_NAME, findConfig, formatSpecError, WorkflowValidationError } from '../../workflow/index.js';
import type { BatonConfig } from '../../workflow/index.js';
import type { Channel } from '../../observe/index.js';
import { compileChannels, createChannel } from '../../observe/index.js';
import type { RunningServer, ServerReport } from '../../modes/index.js';
import { serve } from '../../modes/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openCliProcess } from '../context.js';
import { count, formatTime } from '../format.js';
import { positiveInt } from '../params.js';
import type { ThrottleCliOptions } from '../throttle.js';
import { describeThrottle, throttleFlags, throttleFromConfig } from '../throttle.js';
import { describePrune } from './prune.js';
import { errorMessage } from '../../shared/index.js';

/** `baton server`: fires schedules and delayed runs and executes runs, until stopped. */
export function registerServer(program: Command, globals: () => GlobalOptions): void {
  throttleFlags(program
    .command('server')
    .description('serve the HTTP API and workflows: fire their schedules, start delayed runs when due, and execute runs (a local worker)')
    .option('-w, --workflows <dir>', 'folder of workflow files to load and watch (invalid files are reported, the rest served)')
    .option('-c, --config <file>', `server config: alert rules, channels, retention, backpressure (default: ${CONFIG_FILE_NAME} beside --workflows, if present)`)
    .option('--slots <n>', 'steps this server runs at once, across runs, and the most threads its path handlers run in', positiveInt('--slots'), 256)
    .option('--host <host>', 'address the HTTP API listens on (0.0.0.0: every interface)', '127.0.0.1')
    .option('--port <port>', 'port of the HTTP API (0: any free port)', (v: string) => portNumber(v), 8080)
    .option('--no-api', 'no HTTP API: only schedules, delayed runs and execution')
    .option('--body-limit <bytes>', 'largest request body', positiveInt('--body-limit'), 1024 * 1024))
    .addHelpText('after', `
The API (OpenAPI document at /api/v1/openapi.json, reference at /api/v1/docs) needs a
bearer token on every route but /healthz, /readyz and /hooks: create one with
'baton token create --role admin'. It binds to 127.0.0.1 unless --host says otherwise.
Runs survive restarts: a run interrupted by a crash is resumed, schedule ticks missed while
no server ran follow each schedule's misfire policy, and delayed runs start once, when due.
Several servers may share one PostgreSQL database (--database-url): each tick fires once.
On PostgreSQL a server is also a fleet worker (one slot per CPU): it claims the attempts
of the runs it and others coordinate, beside any baton worker processes.
Retention: a minute after start and every 10 minutes, finished runs older than 30 days are
deleted with their steps, attempts, events and logs (a workflow's retention: field sets its
own ages), in small batches, by one server of those sharing a database at a time; so are
staged uploads no run was started over after 7 days, and the files of those that were once
their runs are deleted (the config's retention: { runs, events, logs, alerts, uploads }).
Backpressure: while 1000 runs wait to start (queued, or started with no step begun),
POST /api/v1/runs, webhooks and schedule ticks are refused (HTTP 429 with Retry-After;
a refused tick is recorded as missed, outcome skipped-backpressure); alerts warn at 100
and turn critical at 500 (the config's backpressure: { warning, critical, reject, retryAfter }).
Retries, delayed runs coming due, sub-workflow children and batch items are never refused.
The config's throttle: { enabled, cpu, memory, lag } sets what --no-throttle, --max-cpu,
--max-mem and --max-lag do (a flag given wins).
SIGINT/SIGTERM: stop starting runs and wait for running ones; a second signal stops at once
(interrupted runs are resumed by the next server).`)
    .action(async (o: { workflows?: string; config?: string; slots: number; host: string; port: number; api: boolean; bodyLimit: number } & ThrottleCliOptions, cmd: Command) => {
      // A config that does not validate stops the server before anything starts, with every problem.
      let config: BatonConfig | undefined;
      let channels: Map<string, Channel>;
      try {
        config = await findConfig(o.config, o.workflows);
        channels = new Map(config ? compileChannels(config).map((spec) => [spec.name, createChannel(spec)]) : []);
      } catch (e) {
        if (e instanceof WorkflowValidationError) throw new CliError(e.errors.map(formatSpecError).join('\n'), 2);
        throw new CliError(`cannot use the config: ${errorMessage(e)}`, 2);
      }
      if (config?.sourcePath) log(`config: ${config.sourcePath} (${count(Object.keys(config.channels ?? {}).length, 'channel')}, ${config.alerts ? count(config.alerts.length, 'alert rule') : 'built-in alert rules'})`);
      // Signals are taken from the start: runs may start (and a supervisor may stop the
      // server) before the API listens. A stop asked for during start-up applies once started.
      let signals = 0;
      let onStop: ((second: boolean) => void) | undefined;
      const onSignal = (): void => {
        signals++;
        onStop?.(signals > 1);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // On PostgreSQL the runs this server starts or adopts publish their attempts to the workers.
      const proc = await openCliProcess(globals(), 'server', { slots: o.slots, throttle: throttleFromConfig(o, cmd, config) });
      const { store } = proc;
      let running: RunningServer;
      try {
        running = await serve(proc, {
          report: print, bodyLimitBytes: o.bodyLimit, channels,
          ...(config ? { config } : {}),
          api: o.api ? { host: o.host, port: o.port } : false,
          ...(o.workflows ? { workflowsDir: o.workflows } : {}),
        });
      } catch (e) {
        await proc.close();
        throw new CliError(`cannot start the server${o.api ? ` on ${o.host}:${o.port}` : ''}: ${errorMessage(e)}`, 1);
      }
      const { valid, invalid } = running.loaded;
      const server = running.loop;
      const schedules = (await store.listSchedules()).filter((s) => !s.paused && s.spec.enabled).length;
      log(`baton server: ${count(valid, 'workflow')} loaded${invalid ? `, ${invalid} invalid (see above)` : ''}, ${count(schedules, 'active schedule')}`);
      if (running.address) log(`API listening on ${running.address}/api/v1 (reference: ${running.address}/api/v1/docs)`);
      await new Promise<void>((resolve) => {
        let stopping = false;
        onStop = (second) => {
          if (second) return resolve();
          if (stopping) return;
          stopping = true;
          log(`stopping: no new runs; waiting for ${server.activeRuns().length} running (signal again to stop now)`);
          void running.stop().then(() => server.drain()).then(resolve);
        };
        if (signals > 0) onStop(signals > 1);
      });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await running.close();
      log('baton server stopped');
      flushLog();
    });
}

function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`--port must be a port number (0-65535), got '${v}'`);
  return n;
}

let pendingLines: string[] = [];

/**
 * Lines of one event-loop turn go out in one write: stdout to a pipe is a synchronous
 * syscall per write, and a busy server starts and ends hundreds of runs a second.
 */
function flushLog(): void {
  if (!pendingLines.length) return;
  const out = pendingLines.join('');
  pendingLines = [];
  process.stdout.write(out);
}

function log(line: string): void {
  if (!pendingLines.length) setImmediate(flushLog);
  pendingLines.push(`${formatTime(Date.now())} ${line}\n`);
}

function print(r: ServerReport): void {
  switch (r.kind) {
    case 'loaded':
      return log(`loaded ${r.workflow} (version ${r.version.slice(0, 8)}, ${count(r.schedules, 'schedule')}) from ${r.file}`);
    case 'invalid':
      return log(`invalid ${r.file}, not served:\n${r.errors.map((e) => '  ' + formatSpecError(e)).join('\n')}`);
    case 'removed':
      return log(`removed ${r.workflow} (${r.file} is gone); its schedules stop`);
    case 'tick':
      return log(`schedule ${r.tick.scheduleId} tick ${formatTime(r.tick.tickAt)}: ${r.tick.outcome}${r.tick.runId ? ` (run ${r.tick.runId})` : ''}${r.tick.refused ? ` (${r.tick.refused})` : ''}`);
    case 'started':
      return log(`${r.resumed ? 'resumed' : 'started'} run ${r.runId} (${r.workflow})`);
    case 'finished':
      return log(`run ${r.summary.id} ${r.summary.state}${r.summary.reason ? ` (${r.summary.reason})` : ''}`);
    case 'alert':
      return log(`alert ${r.what}: ${r.alert.rule} ${r.alert.id} (${r.alert.severity}): ${r.alert.summary}${r.what === 'fired' ? '' : ` (by ${(r.what === 'resolved' ? r.alert.resolvedBy : r.alert.acknowledgedBy) ?? 'system'})`}`);
    case 'pruned': {
      const c = r.report.counts;
      // Quiet when there was nothing to prune: a pass runs every ten minutes.
      if (!c.runs.runs && !c.runs.events && !c.runs.attempts && !c.events && !c.logs && !Object.values(c.extra).some(Boolean) && !r.report.warnings.length) return;
      return log(`retention: ${describePrune(r.report).split('\n').join('; ')}`);
    }
    case 'throttle':
      return log(`throttle (${r.node}): ${describeThrottle(r)}`);
    case 'error':
      return log(`error: ${r.message}`);
  }
}
