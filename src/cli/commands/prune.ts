import type { Command } from 'commander';
import type { PruneReport } from '../../observe/index.js';
import { Pruner, pruneUnderLease } from '../../observe/index.js';
import { realClock } from '../../runtime/index.js';
import type { GlobalOptions } from '../context.js';
import { EXIT, openCliProcess } from '../context.js';
import { count, formatMs } from '../format.js';

/** `baton prune`: one retention pass now, or what it would delete. */
export function registerPrune(program: Command, globals: () => GlobalOptions): void {
  program
    .command('prune')
    .description('delete what retention keeps no longer, now: finished runs older than 30 days with their steps, attempts, events and logs; events and logs of older runs kept longer (--dry-run: only count)')
    .option('--dry-run', 'count what a pass would delete, delete nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', `
Ages are 30 days for runs, events and logs; a workflow's own retention: field (runs, events,
logs) replaces them for its runs. A pending, queued or running run is never deleted. Log
files are removed where this process keeps logs (beside --db). Rows go in batches of 200
with pauses, as a server's own passes (every 10 minutes) do; a pass another process is
running (a server's) is not started twice: prune reports it and exits 1.`)
    .action(async (o: { dryRun?: boolean; json?: boolean }) => {
      const proc = await openCliProcess(globals(), 'embedded', { local: true });
      try {
        const pruner = new Pruner({ store: proc.store, dataDir: proc.dataDir });
        const report = o.dryRun
          ? await pruner.dryRun(Date.now())
          : await pruneUnderLease({ store: proc.store, pruner, clock: realClock });
        if (o.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        else process.stdout.write(describePrune(report) + '\n');
        if (report.skipped !== undefined) process.exitCode = EXIT.failed;
      } finally {
        await proc.close();
      }
    });
}

/** What a pass deleted (or would delete), by kind, in a few lines. */
export function describePrune(r: PruneReport): string {
  if (r.skipped !== undefined) return `nothing pruned: ${r.skipped}`;
  const c = r.counts;
  const verb = r.dryRun ? 'would delete' : 'deleted';
  const lines = [
    `${verb}: ${count(c.runs.runs, 'finished run')}` + (c.runs.runs || c.runs.events || c.runs.attempts
      ? ` (with ${count(c.runs.stepRuns, 'step run')}, ${count(c.runs.attempts, 'attempt')}, ${count(c.runs.events, 'event')}, ${count(c.runs.batchGroups, 'batch group')}, ${count(c.runs.logFiles, 'log file')}${r.dryRun ? '' : `, ${count(c.runs.webhookDeliveries, 'webhook delivery', 'webhook deliveries')}`})`
      : ''),
    `${verb}: ${count(c.events, 'event')} of runs kept`,
    `${verb}: ${count(c.logs, 'log file')} of runs kept`,
    ...Object.entries(c.extra).map(([kind, n]) => `${verb}: ${n} ${kind}`),
  ];
  if (!r.dryRun) lines.push(`in ${count(r.batches, 'batch', 'batches')}, ${formatMs(Math.round(r.elapsedMs))}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
