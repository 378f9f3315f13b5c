/**
 * @module observe/channels/command
 * The `command:` channel: `/bin/sh -c <run>` with the notification's JSON on stdin, for
 * anything baton does not speak itself (a pager CLI, a script that files a ticket).
 *
 * The command runs in its own process group, so a timeout ends everything it started:
 * SIGTERM to the group, then SIGKILL after a grace period; whatever is left in the group
 * when the command exits is killed too, as for shell steps. Its environment is built from
 * nothing: the few variables a shell needs from baton's own (PATH, HOME, LANG, LC_*, TZ), the
 * channel's secrets, and the delivery's id and event — none of baton's credentials.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { errorMessage, systemErrorCode } from '../../shared/index.js';
import { elapsed, failed } from './outcome.js';
import type { Channel, ChannelSpec, DeliveryOutcome, Notification } from './types.js';

/** A compiled channel of type `command`. */
export type CommandSpec = Extract<ChannelSpec, { type: 'command' }>;

/** Settings of the process handling, for tests and embedders. */
export interface CommandChannelOptions {
  /** Between SIGTERM and SIGKILL when a command times out or is cancelled, ms. @default 2000 */
  graceMs?: number;
}

/** Bytes of stdout and of stderr kept (the last ones), per command. */
export const MAX_CAPTURED_BYTES = 64 * 1024;

/** `EX_TEMPFAIL` of sysexits.h: "temporary failure; the user is invited to retry". */
export const EX_TEMPFAIL = 75;

/**
 * Whether a command's non-zero exit code is worth another try. The sysexits.h codes 64–78
 * say what went wrong in a way that will not change by itself (64 usage, 65 data, 66 no
 * input, 67 no user, 68 no host, 69 unavailable, 70 software, 71 OS error, 72 OS file,
 * 73 cannot create, 74 I/O error, 76 protocol, 77 no permission, 78 config), so they end the
 * delivery — except 75, `EX_TEMPFAIL`, which asks for a retry. Every other non-zero code
 * (1, 2, 126, 127, 255 …) carries no such promise and is retried, since most scripts exit 1
 * for anything, a network hiccup included.
 * @see https://man.freebsd.org/cgi/man.cgi?query=sysexits
 */
export function isRetryableExit(code: number): boolean {
  return code === EX_TEMPFAIL || code < 64 || code > 78;
}

/** Variables taken from baton's environment: what a shell and its programs need to find things, read text and tell time. */
function isEssentialVariable(name: string): boolean {
  return name === 'PATH' || name === 'HOME' || name === 'LANG' || name === 'TZ' || name.startsWith('LC_');
}

/**
 * The environment of a command: {@link isEssentialVariable} ones from `base`, then the
 * channel's `env` (its secrets), then `BATON_DELIVERY` (the idempotency key, as a webhook's
 * `X-Baton-Delivery`) and `BATON_EVENT` (the notification's type). An allow-list, unlike a
 * shell step's deny-list (executors' `scrubEnvironment`): a notification command is not
 * the user's workload and has no reason to see the server's environment.
 */
export function commandEnvironment(
  base: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string>>,
  delivery: { key: string; event: Notification['type'] },
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined && isEssentialVariable(name)) out[name] = value;
  return { ...out, ...env, BATON_DELIVERY: delivery.key, BATON_EVENT: delivery.event };
}

/**
 * A command channel. Exit 0 is delivered; a timeout (`timeoutMs`) or a caller's abort kills
 * the process group and is retryable; a non-zero exit is retryable by
 * {@link isRetryableExit}; death by a signal nobody sent from here is retryable. The error
 * is the exit code and the last line of stderr (of stdout when stderr is empty), masked.
 */
export function createCommandChannel(spec: CommandSpec, options: CommandChannelOptions = {}): Channel {
  const { run, timeoutMs, env, cwd } = spec.command;
  const graceMs = options.graceMs ?? 2000;
  const mask = spec.mask;

  function send(n: Notification, idempotencyKey: string, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const started = performance.now();
    if (signal?.aborted) return Promise.resolve(failed('cancelled before the command started', true, started, mask));
    const win = process.platform === 'win32';
    const [file, args] = win ? ['cmd.exe', ['/d', '/s', '/c', run]] : ['/bin/sh', ['-c', run]];
    return new Promise<DeliveryOutcome>((resolve) => {
      let child: ChildProcessByStdio<Writable, Readable, Readable>;
      try {
        child = spawn(file, args, {
          cwd,
          env: commandEnvironment(process.env, env, { key: idempotencyKey, event: n.type }),
          detached: !win, // own process group: its id is the child's pid
          stdio: ['pipe', 'pipe', 'pipe'],
          windowsHide: true,
        });
      } catch (e) {
        resolve(spawnFailed(e));
        return;
      }
      const stdout = new Tail();
      const stderr = new Tail();
      let ended: 'timeout' | 'cancelled' | undefined;
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const signalGroup = (sig: NodeJS.Signals): void => {
        if (child.pid === undefined) return;
        try {
          if (win) child.kill(sig);
          else process.kill(-child.pid, sig);
        } catch {
          // the group is gone already
        }
      };
      const end = (why: 'timeout' | 'cancelled'): void => {
        if (ended || child.exitCode !== null || child.signalCode !== null) return;
        ended = why;
        signalGroup('SIGTERM');
        timers.push(setTimeout(() => signalGroup('SIGKILL'), graceMs));
      };
      const onAbort = (): void => end('cancelled');
      const finish = (o: DeliveryOutcome): void => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        signal?.removeEventListener('abort', onAbort);
        resolve(o);
      };
      child.on('error', (e) => finish(spawnFailed(e)));
      child.stdout.on('data', (c: Buffer) => stdout.push(c));
      child.stderr.on('data', (c: Buffer) => stderr.push(c));
      child.stdout.on('error', () => undefined);
      child.stderr.on('error', () => undefined);
      // A command that does not read its stdin closes the pipe: EPIPE is not a failure.
      child.stdin.on('error', () => undefined);
      child.stdin.end(JSON.stringify(n));
      timers.push(setTimeout(() => end('timeout'), timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      child.on('exit', () => {
        // Nothing the command started outlives it; this also closes pipes a background
        // grandchild held open, so 'close' follows. One that left the group is cut loose.
        if (!win && child.pid !== undefined) signalGroupQuietly(child.pid);
        timers.push(setTimeout(() => { child.stdout.destroy(); child.stderr.destroy(); }, graceMs));
      });
      child.on('close', (code, sig) => {
        const last = lastLine(mask(stderr.text())) || lastLine(mask(stdout.text()));
        const said = last ? `: ${last}` : '';
        const codes = code !== null ? { exitCode: code } : {};
        if (ended === 'timeout') finish(failed(`timed out after ${timeoutMs} ms and was killed${said}`, true, started, mask, codes));
        else if (ended === 'cancelled') finish(failed(`cancelled and killed${said}`, true, started, mask, codes));
        else if (code === 0) finish({ ok: true, retryable: false, exitCode: 0, durationMs: elapsed(started) });
        else if (code !== null) finish(failed(`exited with code ${code}${said}`, isRetryableExit(code), started, mask, codes));
        else finish(failed(`killed by ${sig ?? 'a signal'}${said}`, true, started, mask));
      });
    });

    function spawnFailed(e: unknown): DeliveryOutcome {
      // ENOENT: the shell or the working directory is missing, which waiting will not fix.
      return failed(`could not start ${file} in ${cwd}: ${errorMessage(e)}`, systemErrorCode(e) !== 'ENOENT', started, mask);
    }
  }

  return { name: spec.name, type: 'command', sendResolved: spec.sendResolved, send, close: () => Promise.resolve() };
}

/** SIGKILL to a process group that is usually empty already. */
function signalGroupQuietly(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // no process left in the group
  }
}

/** The last non-empty line of a text. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]!.trim()) return lines[i]!.trim();
  return '';
}

/** The last {@link MAX_CAPTURED_BYTES} bytes written to a stream. */
class Tail {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    if (this.buf.length > MAX_CAPTURED_BYTES) this.buf = this.buf.subarray(this.buf.length - MAX_CAPTURED_BYTES);
  }
  text(): string {
    return this.buf.toString('utf8');
  }
}
