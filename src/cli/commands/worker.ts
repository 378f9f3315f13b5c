import type { Command } from 'commander';
import type { WorkerEvent } from '../../runtime/index.js';
import { parseDuration } from '../../workflow/index.js';
import type { RunningWorker, ServerReport } from '../../modes/index.js';
import { FleetJoinError, startFleetWorker } from '../../modes/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, databaseUrl, openCliProcess } from '../context.js';
import { formatGiB, formatTime } from '../format.js';
import { positiveInt } from '../params.js';
import { BATON_VERSION } from '../../shared/index.js';
import type { ThrottleCliOptions } from '../throttle.js';
import { describeThrottle, throttleFlags, throttleFrom } from '../throttle.js';

/** A duration flag (`30s`, `500ms`, `2m`). */
function duration(name: string): (v: string) => number {
  return (v) => {
    try {
      const ms = parseDuration(v);
      if (ms > 0) return ms;
    } catch {
      // reported below
    }
    throw new CliError(`${name} expects a duration such as 30s or 500ms, got '${v}'`);
  };
}

interface WorkerCliOptions extends ThrottleCliOptions {
  slots?: number;
  tags?: string;
  /** False with `--no-detect`. */
  detect: boolean;
  lease: number;
  heartbeat: number;
  grace: number;
  pools?: string;
}

/** `baton worker`: claims and runs attempts published to the fleet, until stopped. */
export function registerWorker(program: Command, globals: () => GlobalOptions): void {
  throttleFlags(program
    .command('worker'))
    .description('join the fleet: claim step attempts published on the PostgreSQL database and run them (needs --database-url)')
    .option('--slots <n>', 'attempts run at once, and the most threads its path handlers run in (default: CPU count; for short or waiting steps give more: each claim then takes more at once)', positiveInt('--slots'))
    .option('--tags <list>', 'capabilities, comma-separated (e.g. docker,gpu); the platform counts as one; added to the detected ones')
    .option('--no-detect', 'advertise only --tags and the platform: detect no architecture, tool or GPU')
    .option('--pools <limits>', 'fleet-wide pool limits to set, e.g. db=2,gpu=1 (a workflow\'s pools: set them too)')
    .option('--lease <duration>', 'lease of each claimed attempt, renewed by heartbeats', duration('--lease'), 30_000)
    .option('--heartbeat <duration>', 'heartbeat interval (shorter than --lease)', duration('--heartbeat'), 10_000)
    .option('--grace <duration>', 'on SIGTERM, how long running attempts may finish', duration('--grace'), 5_000)
    .addHelpText('after', `
Detected at start, beside --tags (unless --no-detect), as tags that runs-on can name:
  the architecture (os.arch(): x64, arm64, ...), matched bare as the platform is (linux);
  docker, kubectl, terraform, ansible (ansible-playbook), python3, node, git: an
  executable of that name on PATH (looked up, not run);
  gpu: nvidia-smi on PATH and \`nvidia-smi -L\` lists a GPU within 3 s.
The architecture, CPU count and total memory are recorded as facts (baton workers).

Adaptive slots: every second the worker samples CPU and memory in use and its event-loop
delay; over a threshold it claims into x 0.7 of its slots (at least 1), otherwise one more,
up to --slots. Lowering stops nothing that runs. baton workers shows the limit and why.

Every node names the same database (--database-url or BATON_DATABASE_URL). A worker that
cannot heartbeat for (lease - heartbeat) kills what it runs and claims nothing until the
database answers again: its attempts are retried elsewhere once their leases expire.
SIGINT/SIGTERM: claim nothing more, let running attempts finish within --grace, kill the
rest (completed as failed, retryable: retried elsewhere); a second signal stops at once.`)
    .action(async (o: WorkerCliOptions) => {
      const url = databaseUrl(globals());
      if (url === undefined) {
        throw new CliError('baton worker needs a PostgreSQL database: pass --database-url postgres://… or set BATON_DATABASE_URL', EXIT.usage);
      }
      if (o.heartbeat >= o.lease) throw new CliError(`--heartbeat (${o.heartbeat} ms) must be shorter than --lease (${o.lease} ms)`);
      const tags = (o.tags ?? '').split(',').map((t) => t.trim()).filter(Boolean);
      const pools = parsePools(o.pools);
      // Opening the process migrates the database, so a worker started first finds it usable.
      const proc = await openCliProcess(globals(), 'worker', { throttle: throttleFrom(o) });
      let running: RunningWorker;
      try {
        // Every worker is also a coordinator: it adopts runs nobody holds (submitted with
        // --detach, or whose coordinator died) and publishes their attempts to the fleet.
        running = await startFleetWorker(proc, {
          version: BATON_VERSION, tags, detect: o.detect, leaseMs: o.lease, heartbeatMs: o.heartbeat, graceMs: o.grace,
          report: print, reportCoordinator: printCoordinator,
          pools: new Map(pools), ...(o.slots !== undefined ? { slots: o.slots } : {}),
        });
      } catch (e) {
        await proc.close();
        if (e instanceof FleetJoinError) throw new CliError(e.message, EXIT.failed);
        throw e;
      }
      const { worker } = running;
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (): void => {
          signals++;
          if (signals === 1) {
            log(`draining: no new claims; waiting up to ${o.grace} ms for ${worker.running().length} running (signal again to stop now)`);
            void worker.drain(o.grace).then(resolve);
          } else {
            log('stopping now');
            void worker.stop().then(resolve);
          }
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      await running.close();
      log('baton worker stopped');
    });
}

function printCoordinator(r: ServerReport): void {
  if (r.kind === 'started') log(`coordinating run ${r.runId} (${r.workflow})${r.resumed ? ', taken over' : ''}`);
  else if (r.kind === 'finished') log(`run ${r.summary.id} ${r.summary.state}`);
  else if (r.kind === 'error') log(`error: ${r.message}`);
}

function log(line: string): void {
  process.stdout.write(`${formatTime(Date.now())} ${line}\n`);
}

function print(e: WorkerEvent): void {
  switch (e.kind) {
    case 'started':
      return log(`baton worker ${e.workerId}: ${e.slots} slots, platform ${e.platform}/${e.facts.arch}, ${e.facts.cpus} CPUs, ${formatGiB(e.facts.memoryBytes)}${e.tags.length ? `, tags ${e.tags.join(',')}` : ''}`);
    case 'claimed':
      return log(`claimed ${e.attemptId} (fence ${e.fence})`);
    case 'completed':
      return log(`${e.attemptId} ${e.state}${e.error ? ` (${e.error})` : ''}${e.result === 'discarded' ? ': discarded, the lease was gone' : ''}`);
    case 'lease-lost':
      return log(`lost the lease on ${e.attemptId}: killed`);
    case 'cancel-requested':
      return log(`cancel requested for ${e.attemptId}: stopping it`);
    case 'fenced':
      return log(`fenced (${e.reason}): claiming nothing${e.killed.length ? `, killed ${e.killed.join(', ')}` : ''}`);
    case 'unfenced':
      return log('heartbeat succeeded: claiming again');
    case 'throttle':
      return log(`throttle: ${describeThrottle(e)}`);
    case 'reaped':
      return log(`reaped expired leases: ${e.attemptIds.join(', ')}`);
    case 'draining':
      return log(`draining with ${e.running} running`);
    case 'stopped':
      return log('worker state stopped');
    case 'error':
      return log(`error: ${e.message}`);
  }
}

/** `db=2,gpu=1` as pool limits. @throws CliError on anything else. */
function parsePools(text: string | undefined): [string, number][] {
  if (!text) return [];
  return text.split(',').map((part) => {
    const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m || Number(m[2]) < 1) throw new CliError(`--pools expects name=limit pairs such as db=2,gpu=1, got '${part}'`);
    return [m[1]!, Number(m[2])];
  });
}
