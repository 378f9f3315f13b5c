import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, openFleet } from '../context.js';
import { dim, formatGiB, formatMs, paintState, table } from '../format.js';
import type { WorkerLoad } from '../../store/index.js';

/** `baton workers`: the fleet's workers. */
export function registerWorkers(program: Command, globals: () => GlobalOptions): void {
  program
    .command('workers')
    .description('list the fleet\'s workers: state (active, draining, stopped, lost), slots in use, load, machine (architecture, CPUs, memory), tags, last heartbeat (needs --database-url)')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const opened = await openFleet(globals());
      if (opened === undefined) throw new CliError('baton workers needs a PostgreSQL database: pass --database-url postgres://… or set BATON_DATABASE_URL', EXIT.usage);
      const { fleet } = opened;
      try {
        const workers = await fleet.listWorkers();
        if (o.json) {
          process.stdout.write(JSON.stringify(workers, null, 2) + '\n');
          return;
        }
        if (!workers.length) {
          process.stdout.write('no workers yet: start one with baton worker --database-url URL\n');
          return;
        }
        const rows = [['WORKER', 'HOST', 'STATE', 'SLOTS', 'IN USE', 'CPU', 'MEMORY', 'MACHINE', 'TAGS', 'HEARTBEAT']];
        for (const w of workers) {
          // A lost or stopped worker's last load is history, not what it holds now.
          const load = w.state === 'active' || w.state === 'draining' ? w.load : undefined;
          rows.push([
            w.id, w.host, paintState(w.state), slotsCell(w.slots, load), load ? String(load.slotsInUse) : '-',
            load ? `${Math.round(load.cpu * 100)}%${load.throttled ? ' (busy)' : ''}` : '-', load ? formatGiB(load.mem) : '-',
            w.facts ? `${w.facts.arch}, ${w.facts.cpus} CPUs, ${formatGiB(w.facts.memoryBytes)}` : '-',
            [w.platform, ...w.tags].join(','), `${formatMs(w.heartbeatAgeMs)} ago`,
          ]);
        }
        process.stdout.write(table(rows) + '\n');
        for (const w of workers) {
          const load = w.state === 'active' || w.state === 'draining' ? w.load : undefined;
          if (load?.limit !== undefined && load.limit < w.slots && load.limitReason) process.stdout.write(dim(`${w.id}: throttled to ${load.limit} of ${w.slots} slots: ${load.limitReason}`) + '\n');
        }
        if (workers.some((w) => w.state === 'lost')) {
          process.stdout.write(dim('lost: no heartbeat within its lease (killed or its machine gone); its attempts are retried elsewhere. Listed 24 h, then pruned.') + '\n');
        }
      } finally {
        await opened.close();
      }
    });
}

/** `8`, or `3/8` while the adaptive throttle holds the worker to 3 of its 8 slots. */
function slotsCell(slots: number, load: WorkerLoad | undefined): string {
  return load?.limit !== undefined && load.limit < slots ? `${load.limit}/${slots}` : String(slots);
}
