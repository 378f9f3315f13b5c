/**
 * @module executors/shell
 * Runs a `run:` step as a child process in its own process group, so that ending it ends
 * every process it started (a grandchild `sleep` included): SIGTERM to the group, a grace
 * period, then SIGKILL. Values reach the command only through environment variables.
 * The command does not see baton's own variables nor its database credentials (./env.ts).
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { JsonValue } from '../shared/index.js';
import { errorMessage, systemErrorCode } from '../shared/index.js';
import type { CancelTimer } from '../shared/index.js';
import { setLongTimeout } from '../shared/index.js';
import { ioFailure } from './io-failure.js';
import { scrubEnvironment } from './env.js';
import type { Masker } from './mask.js';
import { NO_MASKING } from './mask.js';
import type { UsageWatch } from './usage.js';
import { LIMIT_SAMPLE_MS, watchUsage } from './usage.js';
import type { AttemptRequest, AttemptResult, ExecutorLimits } from './types.js';

/**
 * Words a command may start with that are not programs: such commands must go through
 * the shell even when they contain no shell syntax.
 */
const SHELL_WORDS = new Set([
  '.', ':', 'alias', 'bg', 'break', 'case', 'cd', 'command', 'continue', 'eval', 'exec', 'exit', 'export', 'fc', 'fg',
  'for', 'getopts', 'hash', 'if', 'jobs', 'local', 'read', 'readonly', 'return', 'set', 'shift', 'source', 'times',
  'trap', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'until', 'wait', 'while', '{', '!', 'function', 'select',
]);

/**
 * The argv of a command that needs no shell: plain words only (no quotes, variables,
 * globs, redirections, pipes, assignments or builtins). Running those directly saves a
 * shell process per step, as Ruby's `system` and GNU make do for simple commands.
 */
export function directArgv(command: string): string[] | undefined {
  const trimmed = command.trim();
  if (!trimmed || !/^[A-Za-z0-9_\-./:,+@% ]+$/.test(trimmed)) return undefined;
  const argv = trimmed.split(/ +/);
  if (SHELL_WORDS.has(argv[0]!)) return undefined;
  return argv;
}

/** The command for this platform, or undefined when the step has none for it. */
export function commandFor(command: Partial<Record<string, string>>, platform: string = process.platform): string | undefined {
  return command[platform] ?? command.default;
}

/**
 * The engine's environment as a plain object, read once: every `process.env` property read
 * crosses into C++ (getenv), and copying it per step cost more than the rest of a step's
 * bookkeeping together. Steps inherit the environment the process started with, scrubbed of
 * baton's own variables and database credentials (./env.ts); `inheritEnv` brings back named ones.
 */
const started: Readonly<Record<string, string | undefined>> = { ...process.env };
const inherited: Record<string, string | undefined> = scrubEnvironment(started);

/** The inherited environment of a step, with what its `inheritEnv` asks for. */
function inheritedFor(names: readonly string[] | undefined): Record<string, string | undefined> {
  if (!names?.length) return inherited;
  const out = { ...inherited };
  for (const name of names) if (started[name] !== undefined) out[name] = started[name];
  return out;
}

/**
 * SIGKILL to a process group that is usually empty already. The ESRCH that Node throws then
 * is built without a stack trace: capturing one cost more than the rest of a step's end.
 */
function killGroupQuietly(pgid: number): void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // no process left in the group
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Runs one attempt of a shell step. Never throws: every failure is an `AttemptResult`. */
export async function runShell(req: AttemptRequest, limits: ExecutorLimits): Promise<AttemptResult> {
  if (req.step.action.kind !== 'run') throw new Error(`step ${req.stepId} is not a shell step`);
  const command = commandFor(req.step.action.command);
  if (command === undefined) {
    return fail('platform', `step has no command for platform '${process.platform}': add a '${process.platform}:' entry to run`, false);
  }
  const env: NodeJS.ProcessEnv = {
    ...inheritedFor(req.step.inheritEnv),
    ...req.env,
    BATON_RUN_ID: req.runId,
    BATON_WORKFLOW: req.workflow,
    BATON_STEP_ID: req.stepId,
    BATON_ATTEMPT: String(req.attempt),
    BATON_ATTEMPT_ID: req.attemptId,
    BATON_OUTPUT: req.outputPath,
  };
  const win = process.platform === 'win32';
  const argv = req.step.shell || win ? undefined : directArgv(command);
  const [file, args] = argv
    ? [argv[0]!, argv.slice(1)]
    : win && !req.step.shell
      ? ['cmd.exe', ['/d', '/s', '/c', command]]
      : [req.step.shell ?? '/bin/sh', ['-c', command]];

  const result = await new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let killTimer: CancelTimer | undefined;
    let watch: UsageWatch | undefined;
    let overMemory: number | undefined;
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(file, args, {
        cwd: req.cwd,
        env,
        detached: !win, // own process group: the group id is the child's pid
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (e) {
      // Node throws (rather than emits) for some errors, e.g. a bad argument or EINVAL.
      resolve(spawnFailure(e, file, req.cwd));
      return;
    }
    const signalGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        if (win) child.kill(sig);
        else process.kill(-child.pid, sig);
      } catch {
        // the group is already gone
      }
    };
    const onAbort = (): void => {
      signalGroup('SIGTERM');
      // A group the CPU limit holds stopped would not see its SIGTERM until continued.
      watch?.release();
      killTimer = setLongTimeout(limits.graceMs, () => signalGroup('SIGKILL'));
    };
    const onForce = (): void => signalGroup('SIGKILL');
    const finish = (r: AttemptResult): void => {
      if (settled) return;
      settled = true;
      killTimer?.();
      req.log.flush(); // stdio ended: what masking held back can be written
      const usage = watch?.stop();
      if (usage?.cpuMs !== undefined) r.cpuMs = usage.cpuMs;
      if (usage?.peakRssBytes !== undefined) r.peakRssBytes = usage.peakRssBytes;
      req.signal.removeEventListener('abort', onAbort);
      req.force.removeEventListener('abort', onForce);
      resolve(r);
    };
    // First, before anything that may throw: an 'error' without a listener kills the process.
    // On EMFILE/ENFILE Node emits it and never sets up stdout and stderr.
    child.on('error', (e: Error) => finish(spawnFailure(e, file, req.cwd)));
    if (!(child.stdout as Readable | null | undefined) || !(child.stderr as Readable | null | undefined)) return;
    child.stdout.on('data', (c: Buffer) => req.log.write(c, 'stdout'));
    child.stderr.on('data', (c: Buffer) => req.log.write(c, 'stderr'));
    // A read error on a pipe ends its stream; 'close' still reports how the process ended.
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    child.on('spawn', () => {
      if (child.pid !== undefined) {
        req.onSpawn?.(child.pid);
        const { memoryBytes, cpuCores } = req.step;
        const how = limitsText(req.step);
        if (how) req.log.write(`baton: ${how}\n`, 'stderr');
        if (cpuCores !== undefined && !win) {
          try {
            // Children it starts from now on inherit it; the sampler stops the group if it goes over.
            setPriority(child.pid, CPU_LIMITED_NICE);
          } catch {
            // an exited process: nothing to slow down
          }
        }
        watch = watchUsage(child.pid, {
          ...(memoryBytes !== undefined ? { maxRssBytes: memoryBytes, onOverMemory: (rss: number) => {
            overMemory = rss;
            signalGroup('SIGKILL');
          } } : {}),
          ...(cpuCores !== undefined ? { cpuCores } : {}),
        });
      }
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener('abort', onAbort, { once: true });
      if (req.force.aborted) onForce();
      else req.force.addEventListener('abort', onForce, { once: true });
    });
    // When the step's main process exits, end anything it left behind in its group, so no
    // orphan outlives its step (a step that wants a daemon must run it outside baton). This
    // also closes pipes a background grandchild held open, so 'close' follows at once.
    child.on('exit', () => {
      if (!win && child.pid !== undefined) killGroupQuietly(child.pid);
    });
    // 'close' waits for stdio to end too, so the log is complete when the attempt ends.
    child.on('close', (code, signal) => {
      if (overMemory !== undefined) finish(memoryLimitFailure(req.step.memoryBytes!, overMemory));
      else if (code === 0) finish({ ok: true, output: null, exitCode: 0 });
      else if (signal) finish({ ...fail('signal', `killed by ${signal}`, true) });
      else finish({ ...fail('exit-code', `exited with code ${code ?? '?'}`, true), exitCode: code ?? -1 });
    });
  });

  if (!result.ok) {
    try {
      rmSync(req.outputPath, { force: true });
    } catch {
      // an output file of a failed attempt is never read
    }
    return result;
  }
  let output: ReturnType<typeof readOutput>;
  try {
    output = readOutput(req.outputPath, limits.maxOutputBytes, req.masker ?? NO_MASKING);
  } catch (e) {
    return { ...result, ok: false, failure: ioFailure(e, "the step's output file ($BATON_OUTPUT)", req.outputPath) };
  }
  if ('failure' in output) return { ok: false, failure: output.failure, exitCode: 0 };
  return { ...result, output: output.value };
}

/** Characters of an invalid `$BATON_OUTPUT` file quoted in its error. */
const QUOTED_OUTPUT_CHARS = 60;

/** The failure of a process that could not be started. */
function spawnFailure(e: unknown, file: string, cwd: string): Extract<AttemptResult, { ok: false }> {
  const code = systemErrorCode(e);
  if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOSPC') return { ok: false, failure: ioFailure(e, `starting '${file}'`, cwd) };
  const hint = code === 'ENOENT' ? ` (is '${file}' installed and on PATH, and does cwd '${cwd}' exist?)` : '';
  return fail('spawn', `could not start '${file}': ${errorMessage(e)}${hint}`, code !== 'ENOENT');
}

/**
 * Reads and removes the `$BATON_OUTPUT` file; an absent file is a null output. Synchronous
 * on purpose: the file is small (capped) and most steps write none, so one `existsSync`
 * beats two round trips through libuv's thread pool per step. An invalid file's error quotes
 * its start masked by `masker` before it is shortened.
 */
function readOutput(path: string, max: number, masker: Masker): { value: JsonValue } | { failure: AttemptFailure } {
  if (!existsSync(path)) return { value: null };
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > max) {
      return { failure: { type: 'output-too-large', message: `output is ${size} bytes; the limit is ${max}. Write large data to a file and output its path`, retryable: false } };
    }
    text = readFileSync(path, 'utf8');
  } finally {
    rmSync(path, { force: true });
  }
  if (!text.trim()) return { value: null };
  try {
    return { value: JSON.parse(text) as JsonValue };
  } catch (e) {
    const quoted = JSON.stringify(masker.maskThenTruncate(text.trim(), QUOTED_OUTPUT_CHARS));
    return {
      failure: {
        type: 'output-invalid',
        message: `the file at $BATON_OUTPUT is not JSON (${jsonSyntaxProblem(e)}; it begins ${quoted}); write e.g. '{"count": 3}' to it`,
        retryable: false,
      },
    };
  }
}

/**
 * What `JSON.parse` found wrong, without the piece of input V8 quotes in some of its messages
 * (`Unexpected token 'o', "tok-abcdefg"... is not valid JSON`): that piece is cut from the
 * raw text before any masking could see it, so it can hold the first characters of a secret.
 * Messages that give only a position (`… in JSON at position 12`) are kept as they are.
 */
export function jsonSyntaxProblem(e: unknown): string {
  const message = errorMessage(e);
  if (!/is not valid JSON$/s.test(message)) return message;
  return message.startsWith('Unexpected token') ? 'unexpected token' : 'not valid JSON';
}

type AttemptFailure = Extract<AttemptResult, { ok: false }>['failure'];

function fail(type: string, message: string, retryable: boolean): Extract<AttemptResult, { ok: false }> {
  return { ok: false, failure: { type, message, retryable } };
}

/** The `nice` value of a shell step with a `cpu` limit: below the engine and unlimited steps. */
const CPU_LIMITED_NICE = 10;

/** A shell step whose processes went over its `memory`: killed, not retried (another try would too). */
function memoryLimitFailure(limitBytes: number, rssBytes: number): AttemptResult {
  const mib = (n: number): string => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MiB`;
  return {
    ok: false,
    failure: {
      type: 'memory-limit',
      message: `the step's processes went past its memory limit of ${mib(limitBytes)} (${mib(rssBytes)} resident at a sample); they were killed`,
      retryable: false,
      details: { limitBytes, rssBytes },
    },
  };
}

/**
 * How a shell step's limits are enforced here, for its log and `baton show`: `memory 64 MiB
 * (resident, sampled every 100 ms, killed over it), cpu 0.25 core (nice 10, stopped when over)`;
 * undefined without limits. cgroup v2 is not used (see `watchUsage`), so the text says so.
 */
export function limitsText(step: { memoryBytes?: number; cpuCores?: number }): string | undefined {
  const parts: string[] = [];
  if (step.memoryBytes !== undefined) parts.push(`memory ${Math.round(step.memoryBytes / 2 ** 20)} MiB (the process tree's resident memory, sampled every ${LIMIT_SAMPLE_MS} ms, killed over it)`);
  if (step.cpuCores !== undefined) parts.push(`cpu ${step.cpuCores} core${step.cpuCores === 1 ? '' : 's'} (nice ${CPU_LIMITED_NICE}, stopped by SIGSTOP for what it used over, each ${LIMIT_SAMPLE_MS} ms)`);
  return parts.length ? `limits: ${parts.join(', ')}; no cgroup` : undefined;
}
