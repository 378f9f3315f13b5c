import type { Command } from 'commander';
import { open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunDone } from '../../core/index.js';
import type { AttemptRecord } from '../../store/index.js';
import type { ApiClient } from '../client.js';
import { connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, openStore } from '../context.js';
import { dim } from '../format.js';

/** Where logs come from: the store and local log files, or a server's API. */
interface LogSource {
  /** The run's step ids (to check the step asked for). */
  steps(): Promise<string[]>;
  /** The attempts of the run (of `step` only, when given) and whether the run has ended. */
  poll(): Promise<{ attempts: AttemptRecord[]; done: boolean }>;
  /** The bytes of an attempt's log from `offset` and the log's size, or undefined when it has none (yet). */
  read(a: AttemptRecord, offset: number): Promise<{ text: Buffer; size: number } | undefined>;
}

/** `baton logs RUN [STEP]`: attempt logs, optionally followed live. */
export function registerLogs(program: Command, globals: () => GlobalOptions): void {
  program
    .command('logs')
    .description('print the logs of a run (every step, or one), attempt by attempt')
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('[step]', 'only this step')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .addHelpText('after', `
With --server the logs are read through the server's API: it serves the logs of the steps it
ran itself (a fleet worker's logs stay on the worker's machine).`)
    .action(async (id: string, step: string | undefined, o: { follow?: boolean }) => {
      const api = connect(globals());
      if (api) {
        const runId = (await api.getRun(id)).run.id;
        await printLogs(runId, step, o.follow === true, remoteSource(api, runId, step));
        return;
      }
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        await printLogs(runId, step, o.follow === true, {
          steps: async () => (await store.getStepRuns(runId)).map((s) => s.stepId),
          poll: async () => {
            const attempts = await store.getAttempts(runId, step);
            const run = await store.getRun(runId);
            return { attempts, done: !run || isRunDone(run.state) };
          },
          read: readLogFile,
        });
      } finally {
        await store.close();
      }
    });
}

/** Prints every attempt's log, then (following) what they append until the run ends. */
async function printLogs(runId: string, step: string | undefined, follow: boolean, source: LogSource): Promise<void> {
  if (step !== undefined) {
    const steps = await source.steps();
    if (!steps.includes(step)) throw new CliError(`run ${runId} has no step '${step}'; its steps: ${steps.join(', ')}`);
  }
  const offsets = new Map<string, number>();
  /** Attempts that ended and were read to their end: their logs do not grow. */
  const complete = new Set<string>();
  const prefix = step === undefined;
  const pass = async (attempts: AttemptRecord[]): Promise<void> => {
    for (const a of attempts) if (!complete.has(a.id)) await printNew(a, offsets, prefix, source, complete);
  };
  for (;;) {
    const { attempts, done } = await source.poll();
    await pass(attempts);
    if (!follow || done) {
      // One last pass: output written between the read and the state check.
      if (follow) await pass((await source.poll()).attempts);
      break;
    }
    await sleep(200);
  }
}

/** Prints what was appended to an attempt's log since the last call. */
async function printNew(a: AttemptRecord, offsets: Map<string, number>, prefix: boolean, source: LogSource, complete: Set<string>): Promise<void> {
  const from = offsets.get(a.id);
  const start = from ?? 0;
  const got = await source.read(a, start);
  if (!got) return; // nothing logged (yet)
  if (from === undefined) process.stdout.write(dim(`== ${a.stepId} (attempt ${a.number}) ==`) + '\n');
  const next = start + got.text.length;
  offsets.set(a.id, next);
  if (next >= got.size && a.endedAt !== undefined && a.state !== 'running' && a.state !== 'lost') complete.add(a.id);
  if (!got.text.length) return;
  const text = got.text.toString('utf8');
  process.stdout.write(prefix ? text.replace(/^(?=.)/gm, dim(`[${a.stepId}] `)) : text);
}

/** An attempt's log file from `offset` to its current end. */
async function readLogFile(a: AttemptRecord, offset: number): Promise<{ text: Buffer; size: number } | undefined> {
  if (!a.logPath) return undefined;
  let fh;
  try {
    fh = await open(a.logPath, 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await fh.stat();
    const buf = Buffer.alloc(Math.max(0, size - offset));
    if (buf.length) await fh.read(buf, 0, buf.length, offset);
    return { text: buf, size };
  } finally {
    await fh.close();
  }
}

/**
 * Logs through the API. The API answers a missing log as an empty one; an attempt creates its
 * log file with its first output, so an empty log counts as none, as a missing file does locally.
 */
function remoteSource(api: ApiClient, runId: string, step: string | undefined): LogSource {
  return {
    steps: async () => (await api.getRun(runId)).steps.map((s) => s.stepId),
    poll: async () => {
      const d = await api.getRun(runId);
      return { attempts: d.attempts.filter((a) => step === undefined || a.stepId === step), done: isRunDone(d.run.state) };
    },
    read: async (a, offset) => {
      if (!a.logPath) return undefined;
      const parts: Buffer[] = [];
      let at = offset;
      let size = 0;
      for (;;) {
        const chunk = await api.readLog(runId, a.stepId, a.number, at);
        size = chunk.size;
        parts.push(chunk.text);
        at = chunk.next;
        if (!chunk.text.length || at >= size) break;
      }
      if (size === 0) return undefined;
      return { text: Buffer.concat(parts), size };
    },
  };
}
