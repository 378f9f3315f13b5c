import type { Command } from 'commander';
import { nextFireTimes } from '../../workflow/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { table } from '../format.js';
import { positiveInt } from '../params.js';

/** `baton schedules`: list, pause and resume schedules. */
export function registerSchedules(program: Command, globals: () => GlobalOptions): void {
  const cmd = program
    .command('schedules')
    .description('list schedules with their next fire times; pause or resume them')
    .option('-n, --next <n>', 'fire times to show per schedule', positiveInt('--next'), 5)
    .option('--json', 'print JSON')
    .addHelpText('after', `
Schedules are registered by 'baton server --workflows DIR'. Times are shown in each
schedule's time zone. NAME is a workflow name (all its schedules) or workflow/schedule.
LAST TICK is the latest tick handled and what it did: created, skipped-overlap,
skipped-misfire, or skipped-backpressure (intake refused its run: too many runs waited).`)
    .action(async (o: { next: number; json?: boolean }) => {
      const { store } = await openStore(globals());
      try {
        const now = Date.now();
        const list = (await store.listSchedules()).map((s) => ({
          ...s,
          next: s.paused || !s.spec.enabled ? [] : nextFireTimes(s.spec, Math.max(now, s.lastTickAt ?? now), o.next),
        }));
        if (o.json) {
          process.stdout.write(JSON.stringify(list, null, 2) + '\n');
          return;
        }
        if (!list.length) {
          process.stdout.write("no schedules: add 'schedule:' to a workflow and serve it with baton server --workflows DIR\n");
          return;
        }
        const rows = [['SCHEDULE', 'CRON', 'TIME ZONE', 'STATE', 'MISFIRE', 'OVERLAP', 'LAST TICK', 'NEXT FIRE TIMES']];
        for (const s of list) {
          const state = s.paused ? 'paused' : s.spec.enabled ? 'active' : 'disabled';
          const times = s.next.map((t) => inZone(t, s.spec.timezone));
          // skipped-backpressure: intake refused the tick's run (too many runs waiting to start).
          const last = s.lastTickAt === undefined ? '-' : `${inZone(s.lastTickAt, s.spec.timezone)}${s.lastOutcome ? ` ${s.lastOutcome}` : ''}`;
          rows.push([s.id, s.spec.cron, s.spec.timezone, state, s.spec.misfire, s.spec.overlap, last, times[0] ?? '-']);
          for (const t of times.slice(1)) rows.push(['', '', '', '', '', '', '', t]);
        }
        process.stdout.write(table(rows) + '\n');
      } finally {
        await store.close();
      }
    });
  for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
    cmd
      .command(verb)
      .description(`${verb} schedules: ${paused ? 'no tick fires until resumed; ticks while paused are not replayed' : 'ticks fire again from now'}`)
      .argument('<name>', 'workflow name, or workflow/schedule')
      .action(async (name: string) => {
        const { store } = await openStore(globals());
        try {
          const ids = await store.setSchedulesPaused(name, paused, Date.now());
          if (!ids.length) throw new CliError(`no schedule matches '${name}': list them with 'baton schedules'`);
          process.stdout.write(`${paused ? 'paused' : 'resumed'}: ${ids.join(', ')}\n`);
        } finally {
          await store.close();
        }
      });
  }
}

/** `2026-11-22 02:00 CET`: the wall time in the schedule's zone, with its abbreviation. */
function inZone(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    hourCycle: 'h23', timeZoneName: 'short',
  }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${get('timeZoneName')}`;
}
