/**
 * @module runtime/log-shipper
 * Ships attempt logs to the store (`store.logs`, PostgreSQL) while the attempts write them,
 * so another node can read a fleet worker's logs (store/log-types.ts).
 *
 * - **What.** Each attempt's {@link AttemptLog} hands its sink ({@link Shipment}) every buffer
 *   its file gets, masked and capped, truncation marker included. The local file stays
 *   whole whatever happens here.
 * - **When.** One shipper per process batches every attempt's new bytes: it flushes
 *   `flushMs` (200 ms) after the first unflushed byte, or at once when `flushBytes` (64 KiB)
 *   are waiting, whichever comes first; one statement per flush, chunks of at most
 *   `flushBytes`, one flush in flight at a time. Writing never waits for the store.
 * - **Failures.** A failed flush keeps its chunks and is retried with backoff (200 ms,
 *   doubling, at most 5 s), idempotently (a chunk is keyed by attempt and byte offset).
 *   Waiting bytes are bounded by `maxPendingBytes` (32 MiB): past it new bytes are not kept
 *   for the store (the file has them) and the shipped log has a gap there, which readers
 *   show.
 * - **The end.** A fleet worker takes an attempt's last bytes with {@link Shipment.finish}
 *   and stores them in the statement that records the attempt's end (`CompletionItem.logChunks`),
 *   so a reader who sees the attempt ended sees its whole log, at no extra round trip or
 *   commit. {@link Shipment.close} instead flushes through the shipper, waiting at most
 *   `finalFlushMs` (10 s); what is still unshipped then stays queued and is retried.
 */
import type { LogSink } from '../executors/index.js';
import type { LogChunkInput, LogStore } from '../store/index.js';
import { coerceError } from '../shared/index.js';

/** Options of {@link LogShipper}. */
export interface LogShipperOptions {
  /** Where chunks go. */
  logs: LogStore;
  /** Longest time a written byte waits before a flush, ms. @default 200 */
  flushMs?: number;
  /** Bytes waiting that make a flush start at once, and the largest chunk, bytes. @default 65536 */
  flushBytes?: number;
  /** Bytes kept for the store at most (waiting plus failed flushes), bytes. @default 33554432 (32 MiB) */
  maxPendingBytes?: number;
  /** How long {@link Shipment.close} waits for the attempt's chunks to be stored, ms. @default 10000 */
  finalFlushMs?: number;
  /** Called with each failed flush (it is retried). Must not throw. */
  onError?: (e: Error) => void;
  /** ms since the epoch, for each chunk's `at`. @default Date.now */
  now?: () => number;
}

/** An attempt's log bytes not stored yet, from {@link Shipment.finish}. */
export interface FinalChunks {
  /** In offset order; may repeat a chunk a flush in flight stores too. */
  chunks: LogChunkInput[];
  /** Call once the chunks are stored: they count in `shippedBytes`. */
  stored(): void;
}

/** Bytes per statement at most: a backlog is sent in several. */
const MAX_STATEMENT_BYTES = 1024 * 1024;
const RETRY_MS = 200;
const MAX_RETRY_MS = 5_000;

/** The process's log shipper; {@link LogShipper.open} one {@link Shipment} per attempt. */
export class LogShipper {
  private readonly flushMs: number;
  private readonly flushBytes: number;
  private readonly maxPendingBytes: number;
  private readonly finalFlushMs: number;
  private readonly now: () => number;
  /** Shipments with bytes not cut into chunks yet. */
  private readonly dirty = new Set<Shipment>();
  /** Chunks cut and not stored yet, in cut order. */
  private queue: { chunk: LogChunkInput; from: Shipment }[] = [];
  /** Bytes written and not stored yet (uncut plus queued). */
  private unstored = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  /** A flush was asked for at once while one was in flight. */
  private again = false;
  /** The last flush failed: the timer is its retry. */
  private backoff = false;
  /** The first this many chunks of `queue` are in the statement in flight. */
  private inFlight = 0;
  private retryMs = RETRY_MS;
  private shipped = 0;
  private dropped = 0;
  private closed = false;

  constructor(private readonly o: LogShipperOptions) {
    this.flushMs = o.flushMs ?? 200;
    this.flushBytes = o.flushBytes ?? 64 * 1024;
    this.maxPendingBytes = o.maxPendingBytes ?? 32 * 1024 * 1024;
    this.finalFlushMs = o.finalFlushMs ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Bytes stored so far, over every attempt (what `baton_log_bytes_shipped_total` counts). */
  get shippedBytes(): number {
    return this.shipped;
  }

  /** Bytes never stored because `maxPendingBytes` was reached while the store was failing. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** A sink for one attempt's log: pass it to `AttemptLog.shipTo`. */
  open(runId: string, attemptId: string): Shipment {
    return new Shipment(this, runId, attemptId);
  }

  /** Stores what is waiting, waiting at most `finalFlushMs`; then stops retrying (the files keep everything). */
  async close(): Promise<void> {
    await this.settle(() => this.unstored === 0);
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
  }

  /** @internal a shipment took bytes */
  took(s: Shipment, len: number): boolean {
    if (this.closed || this.unstored + len > this.maxPendingBytes) {
      this.dropped += len;
      return false;
    }
    this.unstored += len;
    this.dirty.add(s);
    if (this.unstored >= this.flushBytes) this.flushSoon(0);
    else this.flushSoon(this.flushMs);
    return true;
  }

  /** @internal see {@link Shipment.finish} */
  finish(s: Shipment): FinalChunks {
    this.dirty.delete(s);
    const at = this.now();
    const mine: LogChunkInput[] = [];
    const keep: typeof this.queue = [];
    let fresh = 0;
    this.queue.forEach((e, i) => {
      if (e.from !== s) keep.push(e);
      else {
        mine.push(e.chunk);
        // A chunk in the statement in flight stays there (stored twice is stored once).
        if (i < this.inFlight) keep.push(e);
        else fresh += e.chunk.bytes.length;
      }
    });
    this.queue = keep;
    for (const p of s.take(this.flushBytes)) {
      mine.push({ attemptId: s.attemptId, runId: s.runId, offset: p.offset, at, bytes: p.bytes });
      fresh += p.bytes.length;
    }
    this.unstored -= fresh;
    return { chunks: mine, stored: () => void (this.shipped += fresh) };
  }

  /** @internal waits until `done()` or `finalFlushMs`, flushing now */
  async settle(done: () => boolean): Promise<void> {
    if (done()) return;
    const deadline = performance.now() + this.finalFlushMs;
    if (!this.backoff) this.flushSoon(0);
    while (!done() && performance.now() < deadline) {
      await (this.flushing ?? new Promise<void>((r) => setTimeout(r, Math.min(50, this.flushMs))));
    }
  }

  /** Flushes in `ms` (0: at once), unless one is due sooner; during a retry's backoff, at its end. */
  private flushSoon(ms: number): void {
    if (this.flushing) {
      // The flush in flight runs another round for these bytes.
      if (ms === 0) this.again = true;
      return;
    }
    if (this.timer !== undefined && (ms > 0 || this.backoff)) return;
    this.schedule(ms);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, ms);
    this.timer.unref();
  }

  private start(): void {
    this.flushing = this.flush().then((retryIn) => {
      this.flushing = undefined;
      this.backoff = retryIn !== undefined;
      if (this.closed) return;
      if (retryIn !== undefined) this.schedule(retryIn);
      else if (this.dirty.size || this.queue.length) this.schedule(this.again || this.unstored >= this.flushBytes ? 0 : this.flushMs);
    });
  }

  /** Cuts what shipments hold into chunks of at most `flushBytes` and queues them. */
  private cut(): void {
    const at = this.now();
    for (const s of this.dirty) {
      for (const piece of s.take(this.flushBytes)) {
        this.queue.push({ chunk: { attemptId: s.attemptId, runId: s.runId, offset: piece.offset, at, bytes: piece.bytes }, from: s });
      }
    }
    this.dirty.clear();
  }

  /** Stores the queue, a statement of at most 1 MiB at a time. Resolves with the retry delay when one failed. Never rejects. */
  private async flush(): Promise<number | undefined> {
    this.again = false;
    this.cut();
    while (this.queue.length) {
      let size = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || size + this.queue[n]!.chunk.bytes.length <= MAX_STATEMENT_BYTES)) size += this.queue[n++]!.chunk.bytes.length;
      const batch = this.queue.slice(0, n);
      this.inFlight = n;
      try {
        await this.o.logs.appendChunks(batch.map((b) => b.chunk));
      } catch (e) {
        this.inFlight = 0;
        try {
          this.o.onError?.(coerceError(e));
        } catch {
          // a reporter's failure must not stop shipping
        }
        const delay = this.retryMs;
        this.retryMs = Math.min(MAX_RETRY_MS, this.retryMs * 2);
        return delay;
      }
      this.inFlight = 0;
      this.retryMs = RETRY_MS;
      this.queue = this.queue.slice(n);
      this.unstored -= size;
      this.shipped += size;
      for (const b of batch) b.from.stored(b.chunk.bytes.length);
    }
    return undefined;
  }
}

/**
 * One attempt's sink: takes what its log file gets (the byte offset of each byte is its
 * offset in the file) and ships it through its {@link LogShipper}.
 */
export class Shipment implements LogSink {
  /** Offset of the next byte written, i.e. bytes written so far. */
  private offset = 0;
  private held: Buffer[] = [];
  private heldFrom = 0;
  private heldBytes = 0;
  private unstored = 0;
  private closed = false;
  /** Pieces cut at a gap, waiting for the next `take`. */
  private pieces: { offset: number; bytes: Buffer }[] = [];

  constructor(
    private readonly shipper: LogShipper,
    readonly runId: string,
    readonly attemptId: string,
  ) {}

  write(buf: Buffer): void {
    if (this.closed || !buf.length) return;
    const at = this.offset;
    this.offset += buf.length;
    if (!this.shipper.took(this, buf.length)) {
      // Not kept: the bytes held so far end where the gap starts.
      return;
    }
    if (this.heldBytes > 0 && this.heldFrom + this.heldBytes !== at) this.splitHeld();
    if (this.heldBytes === 0) this.heldFrom = at;
    this.held.push(Buffer.from(buf));
    this.heldBytes += buf.length;
    this.unstored += buf.length;
  }

  /**
   * Ends shipping and hands over what is not stored yet, for the caller to store in its own
   * statement (a fleet worker's completion: the attempt's end and its last bytes commit
   * together). Call `stored()` once they are, for the count. Later writes are not shipped.
   */
  finish(): FinalChunks {
    this.closed = true;
    return this.shipper.finish(this);
  }

  /**
   * The final flush through the shipper: resolves once every byte written is stored, or
   * after the shipper's `finalFlushMs`. Later writes are not shipped (the file still gets them).
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.shipper.settle(() => this.unstored === 0);
  }

  /** @internal hands over what is held, in chunks of at most `max` bytes */
  take(max: number): { offset: number; bytes: Buffer }[] {
    const out: { offset: number; bytes: Buffer }[] = [...this.pieces];
    this.pieces = [];
    if (this.heldBytes > 0) out.push(...split(this.heldFrom, Buffer.concat(this.held, this.heldBytes), max));
    this.held = [];
    this.heldBytes = 0;
    return out.flatMap((p) => (p.bytes.length > max ? split(p.offset, p.bytes, max) : [p]));
  }

  /** @internal bytes of this attempt were stored */
  stored(len: number): void {
    this.unstored -= len;
  }

  private splitHeld(): void {
    this.pieces.push({ offset: this.heldFrom, bytes: Buffer.concat(this.held, this.heldBytes) });
    this.held = [];
    this.heldBytes = 0;
  }
}

function split(offset: number, bytes: Buffer, max: number): { offset: number; bytes: Buffer }[] {
  const out: { offset: number; bytes: Buffer }[] = [];
  for (let i = 0; i < bytes.length; i += max) out.push({ offset: offset + i, bytes: bytes.subarray(i, i + max) });
  return out;
}
