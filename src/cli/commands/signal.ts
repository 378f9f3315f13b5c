import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { answerApproval, MAX_APPROVAL_NOTE, runDefinition, sendSignal, SignalError } from '../../runtime/index.js';
import type { JsonValue } from '../../shared/index.js';
import { errorMessage } from '../../shared/index.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, cliActor, openStore } from '../context.js';

/**
 * `baton signal RUN NAME [--data JSON | --data-file F]`, `baton approve RUN STEP [--note]`
 * and `baton reject RUN STEP [--note]`: the answers waiting steps (`wait:`, `approval:`) take.
 */
export function registerSignals(program: Command, globals: () => GlobalOptions): void {
  program
    .command('signal')
    .description("send a signal to a run: its steps with wait: { signal: NAME } take the JSON payload as their output")
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('<name>', 'the signal name, as the workflow writes it')
    .option('--data <json>', 'the payload, a JSON value (default null)')
    .option('--data-file <path>', 'read the JSON payload from this file (- for standard input)')
    .addHelpText('after', `
The signal is stored with the run at once, on whatever node runs it: a step waiting for it ends
within a second; a step that has not started waiting yet takes it when it does. The first
signal of a name counts; a second one is refused (exit 2) until 'baton retry RUN --from STEP'
makes the step wait again. With --server the signal goes through the API (operator role),
as POST /api/v1/runs/{id}/signals/{name} does.

Examples:
  baton signal 01j9x2k3 deploy-done --data '{"version": "1.4.2"}'
  curl -X POST -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
    -d '{"version": "1.4.2"}' http://localhost:8080/api/v1/runs/01j9x2k3/signals/deploy-done`)
    .action(async (id: string, name: string, o: { data?: string; dataFile?: string }) => {
      const payload = readPayload(o);
      const api = connect(globals());
      if (api) {
        const r = await api.signal(id, name, payload);
        printSignalled(r.run.id, name, r.steps);
        return;
      }
      await local(globals(), id, async (store, runId) => {
        const run = (await store.getRun(runId))!;
        printSignalled(runId, name, await sendSignal(store, run, await runDefinition(store, run), name, payload, cliActor(), Date.now()));
      });
    });

  for (const approved of [true, false]) {
    const verb = approved ? 'approve' : 'reject';
    program
      .command(verb)
      .description(approved ? 'approve an approval: step of a run (the step succeeds)' : 'reject an approval: step of a run (the step fails with rejected, not retried)')
      .argument('<run>', 'run id or a unique prefix of it')
      .argument('<step>', 'the approval step')
      .addOption(new Option('--note <text>', `why, kept with the answer (at most ${MAX_APPROVAL_NOTE} characters)`))
      .addHelpText('after', `
The answer is stored with the run at once; the step ends within a second, on whatever node
runs it. The first answer counts. 'baton show RUN' lists the steps waiting for one. With
--server the answer goes through the API, which checks the step's role (operator, or admin
for role: admin).

Example:
  baton ${verb} 01j9x2k3 ship --note "${approved ? 'numbers look right' : 'forecast for store 12 is off'}"`)
      .action(async (id: string, step: string, o: { note?: string }) => {
        const answer = { approved, ...(o.note ? { note: o.note } : {}) };
        const api = connect(globals());
        if (api) {
          const r = await api.answerApproval(id, step, answer);
          printAnswered(r.run.id, step, approved);
          return;
        }
        await local(globals(), id, async (store, runId) => {
          const run = (await store.getRun(runId))!;
          await answerApproval(store, run, await runDefinition(store, run), step, answer, cliActor(), Date.now());
          printAnswered(runId, step, approved);
        });
      });
  }
}

type LocalStore = Awaited<ReturnType<typeof openStore>>['store'];

/** Runs `fn` on the local store with the run id resolved; a refused signal exits 2, as the API's 4xx does with --server. */
async function local(g: GlobalOptions, id: string, fn: (store: LocalStore, runId: string) => Promise<void>): Promise<void> {
  const { store } = await openStore(g);
  try {
    await fn(store, await store.resolveRunId(id));
  } catch (e) {
    if (e instanceof SignalError) throw new CliError(e.message);
    throw e;
  } finally {
    await store.close();
  }
}

function readPayload(o: { data?: string; dataFile?: string }): JsonValue {
  if (o.data !== undefined && o.dataFile !== undefined) throw new CliError('give the payload with --data or --data-file, not both');
  const text = o.dataFile !== undefined ? readFileSync(o.dataFile === '-' ? 0 : o.dataFile, 'utf8') : o.data;
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new CliError(`the payload is not JSON (${errorMessage(e)}): quote it for the shell, e.g. --data '{"ok": true}'`);
  }
}

function printSignalled(runId: string, name: string, steps: readonly string[]): void {
  process.stdout.write(`signal "${name}" given to run ${runId}: ${steps.join(', ')} ${steps.length === 1 ? 'takes' : 'take'} it\n`);
}

function printAnswered(runId: string, step: string, approved: boolean): void {
  process.stdout.write(`step ${step} of run ${runId} ${approved ? 'approved' : 'rejected'}\n`);
}
