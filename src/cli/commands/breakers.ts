import type { Command } from 'commander';
import type { BreakerSummary } from '../../core/index.js';
import { breakerSummary } from '../../core/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, cliActor, openStore } from '../context.js';
import { dim, formatTime, paintState, table } from '../format.js';

/** `baton breakers` (list) and `baton breakers reset KEY`: the circuit breakers every node shares. */
export function registerBreakers(program: Command, globals: () => GlobalOptions): void {
  const cmd = program
    .command('breakers')
    .description('list circuit breakers: key, state (closed, open, half-open), consecutive failures, when it opened, when its next trial may start')
    .option('--json', 'print JSON')
    .addHelpText('after', `
A step with breaker: goes through the breaker of its key (pool:NAME, http:HOST,
step:WORKFLOW/STEP, or the key it names). Open, the ready steps behind it wait queued
(circuit-open, shown by baton show) instead of failing; after the cool-down one trial
attempt runs: its success closes the breaker, its failure opens it again. A key that
never recorded an attempt has no row: it is closed. With --server, through the API.

Examples:
  baton breakers
  baton breakers reset http:api.example.com   # close it now (operator)`)
    .action(async (o: { json?: boolean }) => {
      const api = connect(globals());
      const list = api ? await api.listBreakers() : await withStore(globals(), async (s) => (await s.breakers.list()).map(breakerSummary));
      print(list, o.json === true);
    });
  cmd
    .command('reset')
    .description('close a circuit breaker now: the steps waiting behind it start')
    .argument('<key>', 'the breaker key, as baton breakers lists it')
    .option('--json', 'print JSON')
    .action(async (key: string, o: { json?: boolean }) => {
      const api = connect(globals());
      const b = api
        ? await api.resetBreaker(key)
        : await withStore(globals(), async (s) => {
          const r = await s.breakers.reset(key, Date.now(), cliActor());
          return r ? breakerSummary(r) : undefined;
        });
      if (!b) throw new CliError(`no breaker '${key}': list them with baton breakers`, EXIT.usage);
      process.stdout.write(o.json ? JSON.stringify(b, null, 2) + '\n' : `breaker ${b.key} is closed; the steps waiting behind it start within a few seconds\n`);
    });
}

async function withStore<T>(o: GlobalOptions, fn: (s: Awaited<ReturnType<typeof openStore>>['store']) => Promise<T>): Promise<T> {
  const { store } = await openStore(o);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function print(list: BreakerSummary[], json: boolean): void {
  if (json) {
    process.stdout.write(JSON.stringify(list, null, 2) + '\n');
    return;
  }
  if (!list.length) {
    process.stdout.write('no breakers yet: a step with breaker: creates its breaker with its first attempt\n');
    return;
  }
  const rows = [['KEY', 'STATE', 'FAILURES', 'WINDOW', 'OPENED AT', 'NEXT TRIAL AT', 'REASON']];
  for (const b of list) {
    rows.push([
      b.key, paintState(b.state), String(b.consecutiveFailures), `${b.failedInWindow}/${b.callsInWindow} failed`, formatTime(b.openedAt),
      b.state === 'open' ? formatTime(b.nextTrialAt) : b.state === 'half-open' ? `trial ${b.trialAttempt ?? 'free'}` : '-', b.reason ?? '',
    ]);
  }
  process.stdout.write(table(rows) + '\n');
  if (list.some((b) => b.state !== 'closed')) process.stdout.write(dim("steps behind an open breaker wait queued (circuit-open); 'baton breakers reset KEY' closes one now") + '\n');
}
