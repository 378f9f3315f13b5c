import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JsonObject, StepLogger } from '../spec/index.js';

/**
 * One attempt's log file, capped at `capBytes`. The file is opened on the first write, so
 * steps that print nothing cost no file. Writes are synchronous so every line that was
 * accepted is in the file even if the engine is killed the next moment.
 */
export class AttemptLog implements StepLogger {
  private fd: number | undefined;
  private written = 0;
  private truncated = false;

  /**
   * @param path - absolute file path; its folder is created on first write.
   * @param capBytes - bytes kept per attempt; later output is dropped with one marker line. @default 10 MiB
   */
  constructor(
    readonly path: string,
    readonly capBytes = 10 * 1024 * 1024,
  ) {}

  /** Whether anything was written. */
  get used(): boolean {
    return this.fd !== undefined;
  }

  /** Appends raw bytes (a child's stdout/stderr). */
  write(chunk: Buffer | string): void {
    if (this.truncated) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
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

  /** Writes one timestamped line: `2026-11-21T23:00:00.000Z info message {"k":1}`. */
  line(level: string, message: string, fields?: JsonObject): void {
    const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
    this.write(`${new Date().toISOString()} ${level} ${message}${extra}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(buf: Buffer): void {
    if (!buf.length) return;
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
    }
    writeSync(this.fd, buf);
    this.written += buf.length;
  }
}
