import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunDone } from '../../core/index.js';
import type { LogSearchResult, readAttemptLog as ReadAttemptLog } from '../../observe/index.js';
import type { AttemptRecord, Store } from '../../store/index.js';
import type { ApiClient } from '../client.js';
import { ClientError, connect } from '../client.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT, openStore } from '../context.js';
import { dim } from '../format.js';
import { positiveInt } from '../params.js';
import { isBatonError } from '../../shared/index.js';

/** Where logs come from: the store and log files (or shipped chunks), or a server's API. */
interface LogSource {
  /** The run's step ids (to check the step asked for). */
  steps(): Promise<string[]>;
  /** The attempts of the run (of `step` only, when given) and whether the run has ended. */
  poll(): Promise<{ attempts: AttemptRecord[]; done: boolean }>;
  /**
   * The bytes of an attempt's log from `offset`, the log's size and where the next read
   * starts, or undefined when it has none (yet).
   */
  read(a: AttemptRecord, offset: number): Promise<{ text: Buffer; size: number; next: number } | undefined>;
}

interface LogsCliOptions {
  follow?: boolean;
  grep?: string;
  regex?: boolean;
  ignoreCase?: boolean;
  maxMatches?: number;
  json?: boolean;
}

/** `baton logs RUN [STEP]`: attempt logs, optionally followed live. */
export function registerLogs(program: Command, globals: () => GlobalOptions): void {
  program
    .command('logs')
    .description('print the logs of a run (every step, or one), attempt by attempt')
    .argument('<run>', 'run id or a unique prefix of it')
    .argument('[step]', 'only this step')
    .option('-f, --follow', 'keep printing new output until the run ends')
    .option('-g, --grep <pattern>', 'print only the lines that contain PATTERN (every attempt), as STEP#ATTEMPT:LINE: text')
    .option('-E, --regex', 'with --grep: PATTERN is a JavaScript regular expression')
    .option('-i, --ignore-case', 'with --grep: ignore case')
    .option('--max-matches <n>', 'with --grep: lines at most (1..10000)', positiveInt('--max-matches'), 1000)
    .option('--json', 'with --grep: print the matches as JSON ({ matches: [{ stepId, attempt, line, text }], truncated })')
    .addHelpText('after', `
Logs are read from this machine's log files, and on PostgreSQL, for attempts a fleet worker
ran on another machine, from the chunks the worker shipped to the database as the step wrote
them (the same masked text). With --server they are read through the server's API, the same way.
--grep searches on the server side (or the store): every line of every attempt of the run (of
STEP only, when given), at most --max-matches lines, each searched in its first 4096
characters; exit 0 with matches, 1 with none, 2 for a regex that does not compile.`)
    .action(async (id: string, step: string | undefined, o: LogsCliOptions) => {
      if (o.grep === undefined && (o.regex || o.ignoreCase || o.json)) throw new CliError('--regex, --ignore-case and --json go with --grep PATTERN');
      if (o.grep !== undefined && o.follow) throw new CliError('--grep searches what is logged now: it does not go with --follow');
      const query = o.grep === undefined ? undefined : {
        pattern: o.grep, regex: o.regex === true, ignoreCase: o.ignoreCase === true, limit: o.maxMatches ?? 1000, ...(step !== undefined ? { stepId: step } : {}),
      };
      const api = connect(globals());
      if (api) {
        const detail = await api.getRun(id);
        const runId = detail.run.id;
        if (query) return printMatches(runId, step, detail.steps.map((s) => s.stepId), () => api.searchLogs(runId, query), o.json === true);
        await printLogs(runId, step, o.follow === true, remoteSource(api, runId, step));
        return;
      }
      // Loaded here, not at start: observe/ also holds the metrics (prom-client), which no other command needs.
      const { readAttemptLog, searchRunLogs } = await import('../../observe/index.js');
      const { store } = await openStore(globals());
      try {
        const runId = await store.resolveRunId(id);
        if (query) {
          const steps = (await store.getStepRuns(runId)).map((s) => s.stepId);
          return await printMatches(runId, step, steps, () => searchRunLogs(store, runId, query), o.json === true);
        }
        await printLogs(runId, step, o.follow === true, storeSource(store, runId, step, readAttemptLog));
      } finally {
        await store.close();
      }
    });
}

/** Logs from this node's files, or the store's shipped chunks for attempts run elsewhere. */
function storeSource(store: Store, runId: string, step: string | undefined, readAttemptLog: typeof ReadAttemptLog): LogSource {
  return {
    steps: async () => (await store.getStepRuns(runId)).map((s) => s.stepId),
    poll: async () => {
      const attempts = await store.getAttempts(runId, step);
      const run = await store.getRun(runId);
      return { attempts, done: !run || isRunDone(run.state) };
    },
    read: async (a, offset) => {
      const got = await readAttemptLog(store, a, offset, 4 * 1024 * 1024);
      return got.source === 'none' ? undefined : got;
    },
  };
}

/**
 * Prints the matching lines (`build#1:12: text`), or JSON; sets exit code 1 when nothing
 * matched. @throws CliError (exit 2) for a pattern that cannot be used
 */
async function printMatches(runId: string, step: string | undefined, steps: string[], search: () => Promise<LogSearchResult>, json: boolean): Promise<void> {
  if (step !== undefined && !steps.includes(step)) throw new CliError(`run ${runId} has no step '${step}'; its steps: ${steps.join(', ')}`);
  let r: LogSearchResult;
  try {
    r = await search();
  } catch (e) {
    // LogPatternError from the store's search, ClientError 400 from the server's: the same codes.
    if ((e instanceof ClientError || isBatonError(e)) && (e.code === 'bad-pattern' || e.code === 'pattern-too-slow')) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
  if (json) process.stdout.write(JSON.stringify(r) + '\n');
  else {
    for (const m of r.matches) process.stdout.write(`${dim(`${m.stepId}#${m.attempt}:${m.line}:`)} ${m.text}\n`);
    if (r.truncated) process.stderr.write(`(only the first ${r.matches.length} matching lines; --max-matches shows more)\n`);
  }
  if (!r.matches.length) process.exitCode = EXIT.failed;
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
  const next = got.next;
  offsets.set(a.id, next);
  if (next >= got.size && a.endedAt !== undefined && a.state !== 'running' && a.state !== 'lost') complete.add(a.id);
  if (!got.text.length) return;
  const text = got.text.toString('utf8');
  process.stdout.write(prefix ? text.replace(/^(?=.)/gm, dim(`[${a.stepId}] `)) : text);
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
        const moved = chunk.next > at;
        at = chunk.next;
        if (!moved || at >= size) break;
      }
      if (size === 0) return undefined;
      return { text: Buffer.concat(parts), size, next: at };
    },
  };
}
