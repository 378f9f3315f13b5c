import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunDone } from '../../core/index.js';
import type { AttemptRecord } from '../../store/index.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { dim } from '../format.js';

/** `baton logs RUN [STEP]`: attempt logs, optionally followed live. */
export function registerLogs(program: Command, globals: () => GlobalOptions): void {
  program
    .command('logs')
    .description('print the logs of a run (every step, or one), attempt by attempt')
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('[step]', 'only this step')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .action(async (id: string, step: string | undefined, o: { follow?: boolean }) => {
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        if (step !== undefined) {
          const steps = await store.getStepRuns(runId);
          if (!steps.some((s) => s.stepId === step)) {
            throw new CliError(`run ${runId} has no step '${step}'; its steps: ${steps.map((s) => s.stepId).join(', ')}`);
          }
        }
        const offsets = new Map<string, number>();
        const prefix = step === undefined;
        for (;;) {
          const attempts = await store.getAttempts(runId, step);
          for (const a of attempts) await printNew(a, offsets, prefix);
          const run = await store.getRun(runId);
          if (!o.follow || !run || isRunDone(run.state)) {
            // One last pass: output written between the read and the state check.
            if (o.follow) for (const a of await store.getAttempts(runId, step)) await printNew(a, offsets, prefix);
            break;
          }
          await sleep(200);
        }
      } finally {
        await store.close();
      }
    });
}

/** Prints what was appended to an attempt's log since the last call. */
async function printNew(a: AttemptRecord, offsets: Map<string, number>, prefix: boolean): Promise<void> {
  if (!a.logPath) return;
  const from = offsets.get(a.id);
  let fh;
  try {
    fh = await open(a.logPath, 'r');
  } catch {
    return; // nothing logged (yet)
  }
  try {
    const { size } = await fh.stat();
    if (from === undefined) {
      process.stdout.write(dim(`== ${a.stepId} (attempt ${a.number}) ==`) + '\n');
    }
    const start = from ?? 0;
    if (size <= start) {
      offsets.set(a.id, start);
      return;
    }
    const buf = Buffer.alloc(size - start);
    await fh.read(buf, 0, buf.length, start);
    offsets.set(a.id, size);
    const text = buf.toString('utf8');
    process.stdout.write(prefix ? text.replace(/^(?=.)/gm, dim(`[${a.stepId}] `)) : text);
  } finally {
    await fh.close();
  }
}
