import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { openStore } from '../context.js';
import { dim, elapsed, formatMs, formatTime, paintState, table } from '../format.js';

/** `baton show RUN`: one run's steps and attempts. */
export function registerShow(program: Command, globals: () => GlobalOptions): void {
  program
    .command('show')
    .description("show a run: each step's state, attempts, durations, exit codes and errors")
    .argument('<run>', 'run id or a unique prefix of it')
    .option('--json', 'print JSON (run, steps with outputs, attempts)')
    .action(async (id: string, o: { json?: boolean }) => {
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        const [run, steps, attempts] = await Promise.all([store.getRun(runId), store.getStepRuns(runId), store.getAttempts(runId)]);
        if (!run) return;
        if (o.json) {
          process.stdout.write(JSON.stringify({ run, steps, attempts }, null, 2) + '\n');
          return;
        }
        const out: string[] = [
          `run       ${run.id}`,
          `workflow  ${run.workflow} ${dim(`(version ${run.version})`)}`,
          `state     ${paintState(run.state)}${run.reason ? ` (${run.reason})` : ''}`,
          `trigger   ${run.trigger}`,
          `created   ${formatTime(run.createdAt)}   duration ${elapsed(run.startedAt, run.endedAt)}`,
          `params    ${JSON.stringify(run.params)}`,
          '',
        ];
        const byStep = new Map<string, typeof attempts>();
        for (const a of attempts) byStep.set(a.stepId, [...(byStep.get(a.stepId) ?? []), a]);
        const rows = [['STEP', 'STATE', 'ATTEMPT', 'STARTED', 'DURATION', 'EXIT', 'CPU', 'MEM', 'ERROR']];
        for (const s of steps) {
          const tries = byStep.get(s.stepId) ?? [];
          if (!tries.length) {
            rows.push([s.stepId, paintState(s.state), '', '', '', '', '', '', s.reason ?? '']);
            continue;
          }
          tries.forEach((a, i) => {
            rows.push([
              i === 0 ? s.stepId : '',
              i === 0 ? paintState(s.state) : '',
              `${a.number} ${paintState(a.state)}`,
              formatTime(a.startedAt),
              elapsed(a.startedAt, a.endedAt),
              a.exitCode === undefined ? '' : String(a.exitCode),
              a.cpuMs === undefined ? '' : formatMs(Math.round(a.cpuMs)),
              a.peakRssBytes === undefined ? '' : `${(a.peakRssBytes / 2 ** 20).toFixed(1)} MiB`,
              a.error ? a.error.message.split('\n')[0]!.slice(0, 100) : '',
            ]);
          });
        }
        out.push(table(rows));
        process.stdout.write(out.join('\n') + '\n');
      } finally {
        await store.close();
      }
    });
}
