/**
 * @module executors/console
 * Handlers run inside baton's process, several at once: without this, a handler's
 * `console.log` or `process.stdout.write` reaches baton's own stdout (the `baton run --json`
 * event stream, a server's log) unmasked. {@link captureOutput} runs a function in an
 * attempt's async context (`AsyncLocalStorage`); `console` methods and the two standard
 * streams are patched once so that a write made in that context goes to the attempt's log,
 * masked like a shell step's stdout and stderr. A write made outside any attempt's context
 * (baton's own output) passes through unchanged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { format, inspect } from 'node:util';

/** Which standard stream a write was meant for. */
type StreamName = 'stdout' | 'stderr';

/**
 * Where captured writes go: an attempt's log (`AttemptLog`), or, in a handler thread, the
 * port back to the engine's thread, where the attempt's log masks them.
 */
export interface CaptureTarget {
  /** Takes one write; `stream` is the standard stream it was meant for. */
  write(chunk: Buffer | string, stream: StreamName): void;
}

const current = new AsyncLocalStorage<CaptureTarget>();
let installed = false;

/**
 * Runs `fn` so that console and standard-stream writes made by it, and by every callback and
 * promise it starts, land in `log` (stdout writes under the log's `stdout` stream, stderr
 * writes under `stderr`, each with its own masking tail). Nested calls route to the innermost
 * log (a batch group's prefixed log inside its step's). Writes made after the attempt ended, by
 * a timer the handler left behind, still go to its log: they are never printed unmasked.
 * @returns what `fn` returns.
 */
export function captureOutput<T>(log: CaptureTarget, fn: () => T): T {
  installCapture();
  return current.run(log, fn);
}

/** Patches `console` and `process.stdout`/`process.stderr` once per process. */
function installCapture(): void {
  if (installed) return;
  installed = true;
  patchStream(process.stdout, 'stdout');
  patchStream(process.stderr, 'stderr');
  // `console` is patched too, not only the streams: a test runner or an embedding program may
  // give `console` streams of its own, which the process streams' patch would not see.
  const c = console as unknown as Record<string, unknown>;
  for (const [method, stream] of [['log', 'stdout'], ['info', 'stdout'], ['debug', 'stdout'], ['warn', 'stderr'], ['error', 'stderr']] as const) {
    const original = c[method];
    if (typeof original !== 'function') continue;
    c[method] = function (this: unknown, ...args: unknown[]): void {
      const log = current.getStore();
      if (log === undefined) return void (original as (...a: unknown[]) => unknown).apply(this, args);
      log.write(`${format(...args)}\n`, stream);
    };
  }
  const originalDir = c.dir;
  if (typeof originalDir === 'function') {
    c.dir = function (this: unknown, value: unknown, options?: object): void {
      const log = current.getStore();
      if (log === undefined) return void (originalDir as (...a: unknown[]) => unknown).call(this, value, options);
      log.write(`${inspect(value, { customInspect: false, ...options })}\n`, 'stdout');
    };
  }
  // console.trace, table, group, count, time*, assert and dirxml print through the methods above.
}

/** Routes `stream.write` calls made in an attempt's context to its log. */
function patchStream(stream: NodeJS.WriteStream, name: StreamName): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  const patched = (chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean => {
    const log = current.getStore();
    if (log === undefined) return original(chunk, encodingOrCallback, callback);
    const encoding = typeof encodingOrCallback === 'string' ? (encodingOrCallback as BufferEncoding) : 'utf8';
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk instanceof Uint8Array ? Buffer.from(chunk) : Buffer.from(String(chunk));
    log.write(bytes, name);
    // A writable calls its callback asynchronously once the chunk is handled; so does this.
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
  stream.write = patched;
}
