import type { Command } from 'commander';
import type { RunState } from '../../core/index.js';
import { RUN_STATES } from '../../core/index.js';
import type { RunRecord } from '../../store/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { elapsed, etaCell, formatTime, runStateText, table } from '../format.js';
import type { RunEta } from '../../observe/index.js';
import { createEtaService } from '../../observe/index.js';
import { isRunDone } from '../../core/index.js';
import { positiveInt } from '../params.js';

/** `baton runs`: recent runs, from the store or from a server's API (`--server`). */
export function registerRuns(program: Command, globals: () => GlobalOptions): void {
  program
    .command('runs')
    .description('list recent runs, newest first, with the ETA of queued and running ones (with --server: the server\'s runs)')
    .option('-w, --workflow <name>', 'only runs of this workflow')
    .option('-s, --state <states>', `only runs in these states, comma-separated (${RUN_STATES.join(', ')})`)
    .option('-n, --limit <n>', 'how many', positiveInt('--limit'), 20)
    .option('--json', 'print JSON')
    .action(async (o: { workflow?: string; state?: string; limit: number; json?: boolean }) => {
      const states = o.state?.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = states?.filter((s) => !RUN_STATES.includes(s as RunState));
      if (bad?.length) throw new CliError(`unknown state '${bad[0]}': use one of ${RUN_STATES.join(', ')}`);
      const filter = {
        ...(o.workflow ? { workflow: o.workflow } : {}),
        ...(states ? { state: states as RunState[] } : {}),
        limit: o.limit,
      };
      const api = connect(globals());
      if (api) {
        printRuns(await api.listRuns(filter), o.json === true);
        return;
      }
      const { store } = await openStore(globals());
      try {
        const etas = createEtaService({ store });
        const runs = await store.listRuns(filter);
        const withEta: (RunRecord & { eta?: RunEta })[] = [];
        for (const r of runs) withEta.push({ ...r, eta: await etas.ofRun(r) });
        printRuns(withEta, o.json === true);
      } finally {
        await store.close();
      }
    });
}

/** Prints runs as a table, or as the JSON array of their records (an active run's with its `eta`). */
function printRuns(runs: (RunRecord & { eta?: RunEta })[], json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(runs, null, 2) + '\n');
    return;
  }
  if (!runs.length) {
    process.stdout.write('no runs yet: start one with baton run FILE\n');
    return;
  }
  const now = Date.now();
  const rows = [['RUN', 'WORKFLOW', 'STATE', 'STEPS', 'CREATED', 'DURATION', 'ETA', 'TRIGGER']];
  for (const r of runs) {
    const eta = isRunDone(r.state) ? '' : etaCell(r.eta, now);
    rows.push([r.id, r.workflow, runStateText(r), String(r.stepCount), formatTime(r.createdAt), elapsed(r.startedAt, r.endedAt), eta, r.trigger]);
  }
  process.stdout.write(table(rows) + '\n');
}
