import { appendFileSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { types } from 'node:util';
import type { StepLogger } from '../workflow/index.js';
import type { Masker, MaskStream } from './mask.js';
import type { JsonObject, JsonValue } from '../shared/index.js';
import type { Failure } from '../core/index.js';
import { ioFailure } from './io-failure.js';

/**
 * One attempt's log file, capped at `capBytes`. The file is opened on the first write, so
 * steps that print nothing cost no file. Writes are synchronous so every line that was
 * accepted is in the file even if the engine is killed the next moment.
 *
 * With a masker ({@link AttemptLog.maskWith}), secret values never reach the file: raw
 * chunks are masked per stream, holding back a short tail so a value split across chunks is
 * still caught (the tail is written by a later chunk or by `close`); lines are masked whole.
 *
 * No method throws for I/O: a folder, open, write or close that fails (a full disk, a name
 * too long, a path through a regular file, too many open files) sets {@link failure}, calls
 * `onFailure` once, and drops every later write. The runtime then fails the attempt with
 * that failure; a handler's `ctx.log.info` never throws into its code.
 *
 * A sink ({@link AttemptLog.shipTo}) receives every buffer the file receives, after masking
 * and the cap (the truncation marker included), in order: what a fleet worker ships to the
 * store is the file, byte for byte.
 */
export class AttemptLog implements StepLogger {
  private fd: number | undefined;
  private written = 0;
  private truncated = false;
  private closed = false;
  /** The masker in use, if any; read by logs that wrap this one. */
  masker: Masker | undefined;
  private streams: Map<string, MaskStream> | undefined;
  private failed: Failure | undefined;
  private sink: LogSink | undefined;

  /**
   * @param path - absolute file path; its folder is created on first write.
   * @param capBytes - bytes kept per attempt; later output is dropped with one marker line. @default 10 MiB
   * @param onFailure - called once, when the file first cannot be made, opened, written or closed.
   */
  constructor(
    readonly path: string,
    readonly capBytes = 10 * 1024 * 1024,
    private readonly onFailure?: (failure: Failure) => void,
  ) {}

  /** Why the log could not be written (type `disk-full` or `io-error`, see `ioFailure`); undefined while it works. */
  get failure(): Failure | undefined {
    return this.failed;
  }

  /** Whether anything was written. */
  get used(): boolean {
    return this.written > 0;
  }

  /**
   * Hands every later buffer written to the file to `sink` too, once written (so a write
   * the file refused is not shipped either). The sink must not throw and must not block:
   * it is called on the step's output path.
   */
  shipTo(sink: LogSink): void {
    this.sink = sink;
  }

  /** Masks every later write with `masker` (an inactive masker changes nothing). */
  maskWith(masker: Masker): void {
    if (!masker.active) return;
    this.masker = masker;
    this.streams = new Map();
  }

  /**
   * Appends raw bytes (a child's stdout/stderr). `stream` names the source: with a masker,
   * each stream keeps its own held-back tail, since stdout and stderr interleave.
   */
  write(chunk: Buffer | string, stream = 'out'): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.streams === undefined || this.masker === undefined) return this.appendMasked(buf);
    // After close no flush will come for a held-back tail: mask the chunk whole instead.
    if (this.closed) return this.appendMasked(Buffer.from(this.masker.mask(buf.toString('utf8'))));
    let s = this.streams.get(stream);
    if (s === undefined) this.streams.set(stream, (s = this.masker.stream()));
    this.appendMasked(s.write(buf));
  }

  /**
   * Writes what masking held back for every stream. Call it when the writers ended (a
   * child's stdio closed), so the end of their output is not left waiting for `close`.
   */
  flush(): void {
    if (this.streams === undefined) return;
    for (const s of this.streams.values()) this.appendMasked(s.end());
    this.streams.clear();
  }

  /** Appends bytes that are masked already (or need no masking), up to the cap. */
  appendMasked(buf: Buffer): void {
    if (this.truncated) return;
    const room = this.capBytes - this.written;
    if (buf.length > room) {
      this.append(buf.subarray(0, Math.max(0, room)));
      this.append(Buffer.from(`\n[baton] log truncated at ${this.capBytes} bytes\n`));
      this.truncated = true;
      return;
    }
    this.append(buf);
  }

  debug(message: string, fields?: JsonObject): void {
    this.line('debug', message, fields);
  }
  info(message: string, fields?: JsonObject): void {
    this.line('info', message, fields);
  }
  warn(message: string, fields?: JsonObject): void {
    this.line('warn', message, fields);
  }
  error(message: string, fields?: JsonObject): void {
    this.line('error', message, fields);
  }

  /**
   * Writes one timestamped line: `2026-11-21T23:00:00.000Z info message {"k":1}`. Fields
   * are typed JSON, but handlers written in JavaScript pass anything: see {@link loggableFields}.
   */
  line(level: string, message: string, fields?: JsonObject): void {
    const m = this.masker;
    const json = fields && Object.keys(fields).length ? loggableFields(fields) : undefined;
    // Fields are masked before JSON escapes them, so a value with quotes or newlines is caught too.
    const extra = json ? ' ' + JSON.stringify(m ? m.maskJson(json) : json) : '';
    const text = `${new Date().toISOString()} ${level} ${message}${extra}\n`;
    this.appendMasked(Buffer.from(m ? m.mask(text) : text));
  }

  /**
   * Writes what the masker held back, then closes the file. Later writes (a handler's timer
   * that outlived its attempt) are still masked and kept, each opening and closing the file.
   */
  close(): void {
    this.flush();
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch (e) {
      // Some file systems (NFS) report a failed deferred write only at close.
      this.fail(e);
    }
  }

  private append(buf: Buffer): void {
    if (!buf.length || this.failed) return;
    try {
      if (this.closed) {
        mkdirSync(dirname(this.path), { recursive: true });
        appendFileSync(this.path, buf);
        this.written += buf.length;
        this.sink?.write(buf);
        return;
      }
      if (this.fd === undefined) {
        mkdirSync(dirname(this.path), { recursive: true });
        this.fd = openSync(this.path, 'a');
      }
      // writeSync may write part of a buffer (a pipe, a nearly full disk): write the rest.
      for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
      this.written += buf.length;
      this.sink?.write(buf);
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = ioFailure(e, "the attempt's log", this.path);
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // the failure that matters is recorded
      }
      this.fd = undefined;
    }
    this.onFailure?.(this.failed);
  }
}

/** Where {@link AttemptLog.shipTo} sends what the file gets: masked, capped bytes. */
export interface LogSink {
  /** Takes the bytes; `buf` may be a view of the caller's memory, so copy what is kept. Never throws. */
  write(buf: Buffer): void;
}

/**
 * Log fields as JSON, whatever a handler passed. `JSON.stringify` writes an `Error` as `{}`
 * (its `name`, `message` and `stack` are not own enumerable properties) and throws on a bigint
 * or a cycle, which would fail the step for a log line. So: an `Error` becomes `{ name,
 * message, stack }` plus its own enumerable properties (`code`, …) and its `cause`; a bigint
 * its decimal text; an object met again on the path from the root `'[Circular]'`; anything
 * with `toJSON` (a Date) what that returns; `undefined` and functions are left out, as JSON does.
 */
export function loggableFields(fields: object): JsonObject {
  const out = toLoggable(fields, new Set());
  return out !== null && typeof out === 'object' && !Array.isArray(out) ? out : {};
}

function toLoggable(value: unknown, path: Set<object>): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined; // undefined, functions, symbols
  if (path.has(value)) return '[Circular]';
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function' && !(value instanceof Error)) return toLoggable((toJSON as () => unknown).call(value), path);
  path.add(value);
  try {
    if (Array.isArray(value)) return value.map((v: unknown) => toLoggable(v, path) ?? null);
    const out: JsonObject = {};
    if (value instanceof Error || types.isNativeError(value)) {
      const err: Error = value;
      out.name = String(err.name);
      out.message = String(err.message);
      if (typeof err.stack === 'string') out.stack = err.stack;
      if (err.cause !== undefined) {
        const cause = toLoggable(err.cause, path);
        if (cause !== undefined) out.cause = cause;
      }
    }
    for (const [k, v] of Object.entries(value)) {
      const json = toLoggable(v, path);
      if (json !== undefined) out[k] = json;
    }
    return out;
  } finally {
    path.delete(value);
  }
}
