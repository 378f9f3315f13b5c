import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import type { QueuedOutcome } from '../../modes/index.js';
import { runQueuedHere } from '../../modes/index.js';
import type { BackfillReport } from '../../triggers/index.js';
import { MAX_BACKFILL_TICKS, backfill, pickSchedule, parseRangeTime } from '../../triggers/index.js';
import type { WorkflowSpec } from '../../workflow/index.js';
import { decodeDefinition, workflowVersion } from '../../workflow/index.js';
import type { Store } from '../../store/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, openCliProcess } from '../context.js';
import { count } from '../format.js';
import { positiveInt } from '../params.js';
import { loadOrExplain } from './run.js';

interface BackfillOptions {
  from: string;
  to: string;
  schedule?: string;
  concurrency: number;
  maxTicks: number;
  dryRun?: boolean;
  detach?: boolean;
  json?: boolean;
  local?: boolean;
}

/** `baton backfill WORKFLOW --from --to`: one run per past schedule tick in the range, each once. */
export function registerBackfill(program: Command, globals: () => GlobalOptions): void {
  program
    .command('backfill')
    .description('create and execute one run per schedule tick in a past range; ticks that already have a run are skipped')
    .argument('<workflow>', 'workflow file (.yaml, .yml or .json), or the name of a workflow registered in the store')
    .requiredOption('--from <time>', 'first instant of the range, e.g. 2026-11-01 or 2026-11-01T02:00 (in the schedule\'s time zone) or with an offset')
    .requiredOption('--to <time>', 'last instant of the range (a tick at it counts); not in the future')
    .option('--schedule <name>', 'which schedule, when the workflow has several')
    .option('-c, --concurrency <n>', 'backfilled runs executing at once', positiveInt('--concurrency'), 1)
    .option('--max-ticks <n>', 'refuse a range with more ticks', positiveInt('--max-ticks'), MAX_BACKFILL_TICKS)
    .option('--dry-run', 'list the ticks in the range; create nothing')
    .option('--detach', 'create the runs queued and return; baton server executes them')
    .option('--json', 'print the summary as JSON')
    .option('--local', 'with PostgreSQL: run every step in this process instead of on baton worker processes')
    .addHelpText('after', `
Each tick gets one run, with trigger 'backfill', the params the schedule gives its runs, and
the tick recorded on the run (as a tick the scheduler fires; steps read it as \${{ run.tickAt }}
or $BATON_TICK_AT). A range holds at most --max-ticks ticks. A tick is recorded under the
same unique (schedule, tick time) key the scheduler uses, so running the same backfill twice,
or a backfill over ticks the scheduler already fired, creates nothing twice. Ticks are those
of the schedule's cron in its time zone; a time without an offset is read in that zone.

The runs are created queued, oldest tick first, then executed in this process, --concurrency
at a time (default 1: one after another). Ctrl-C stops starting new ones; the runs not
started stay queued for baton server (or a later backfill of the same range, which skips
them as present). A server on the same store may start queued runs too.
Works on the store (SQLite, or PostgreSQL with --database-url); not with --server.

Exit codes: 0 every run executed here succeeded, 1 any failed, 2 invalid input, 130 stopped by Ctrl-C.

Examples:
  baton backfill flow.yaml --from 2026-11-01 --to 2026-11-30T23:59 --dry-run
  baton backfill flow.yaml --from 2026-11-01 --to 2026-11-30T23:59 --concurrency 4
  baton backfill nightly --from 2026-11-01T00:00Z --to 2026-11-07T00:00Z --detach`)
    .action(async (workflow: string, o: BackfillOptions) => {
      const proc = await openCliProcess(globals(), 'embedded', { local: o.local === true });
      try {
        const { spec, version } = await findWorkflow(proc.store, workflow);
        const schedule = pickSchedule(spec, o.schedule);
        const time = (flag: string, text: string): number => {
          const t = parseRangeTime(text, schedule.timezone);
          if (t === undefined) throw new CliError(`${flag} expects a date or date-time such as 2026-11-01, 2026-11-01T02:00 or 2026-11-01T02:00Z, got '${text}'`);
          return t;
        };
        const report = await backfill(proc.store, spec, version, {
          from: time('--from', o.from), to: time('--to', o.to), now: Date.now(), schedule: schedule.name, maxTicks: o.maxTicks, dryRun: o.dryRun === true,
        });
        if (o.dryRun || o.detach || report.created.length === 0) {
          print(report, o, spec, schedule.timezone, []);
          return;
        }
        const stop = new AbortController();
        const onSignal = (): void => {
          process.stderr.write('\nstopping: no more backfilled runs start; the ones going finish\n');
          stop.abort();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        try {
          const ended = await runQueuedHere(proc, report.created.map((c) => c.runId), o.concurrency, {
            signal: stop.signal,
            onEnd: (runId, outcome) => { if (!o.json) process.stderr.write(`run ${runId} ${outcome === 'elsewhere' ? 'started elsewhere' : outcome}\n`); },
          });
          print(report, o, spec, schedule.timezone, ended);
          process.exitCode = ended.some((e) => e.outcome === 'failed') ? EXIT.failed : stop.signal.aborted ? EXIT.cancelled : EXIT.ok;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
      } finally {
        await proc.close();
      }
    });
}

/** A file path (it exists, or ends in .yaml/.yml/.json) is loaded as `baton run` does; anything else is a registered workflow's name, at its newest version. */
async function findWorkflow(store: Store, workflow: string): Promise<{ spec: WorkflowSpec; version: string }> {
  if (existsSync(workflow) || ['.yaml', '.yml', '.json'].includes(extname(workflow).toLowerCase())) {
    const spec = await loadOrExplain(workflow);
    return { spec, version: workflowVersion(spec) };
  }
  const [newest] = await store.api.listWorkflowVersions(workflow);
  const record = newest === undefined ? undefined : await store.getWorkflow(newest.version);
  if (record === undefined) throw new CliError(`no workflow file or registered workflow named '${workflow}': give a workflow file, or the name of one baton server has registered`);
  return { spec: decodeDefinition(record), version: record.version };
}

function print(report: BackfillReport, o: BackfillOptions, spec: WorkflowSpec, timezone: string, ended: { runId: string; outcome: QueuedOutcome }[]): void {
  const tally = (what: QueuedOutcome): number => ended.filter((e) => e.outcome === what).length;
  if (o.json) {
    process.stdout.write(JSON.stringify({
      workflow: spec.name, schedule: report.scheduleId, dryRun: o.dryRun === true,
      ticks: report.ticks.map((t) => new Date(t).toISOString()),
      created: report.created.map((c) => ({ tickAt: new Date(c.tickAt).toISOString(), runId: c.runId })),
      present: report.present.map((t) => new Date(t).toISOString()),
      ...(ended.length ? { ended: ended.map((e) => ({ runId: e.runId, outcome: e.outcome })) } : {}),
    }, null, 2) + '\n');
    return;
  }
  // One formatter for every line: building one per tick costs more than the tick itself.
  const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const zone = (t: number): string => `${new Date(t).toISOString()} (${wall.format(t)} ${timezone})`;
  if (o.dryRun) {
    for (const t of report.ticks) process.stdout.write(`${zone(t)}\n`);
    process.stdout.write(`${report.scheduleId}: ${count(report.ticks.length, 'tick')} in range (dry run: nothing created)\n`);
    return;
  }
  let line = `${report.scheduleId}: ${count(report.ticks.length, 'tick')} in range, ${report.created.length} created, ${report.present.length} already present (skipped)`;
  if (ended.length) line += `; executed here: ${tally('succeeded')} succeeded, ${tally('failed')} failed, ${tally('cancelled')} cancelled${tally('elsewhere') ? `, ${tally('elsewhere')} started elsewhere` : ''}`;
  const notStarted = report.created.length - ended.length;
  if (notStarted > 0) line += `; ${notStarted} left queued${o.detach ? ' for baton server' : ''}`;
  process.stdout.write(`${line}\n`);
}
