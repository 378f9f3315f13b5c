/**
 * @module store/log-types
 * Attempt logs shipped to the store, so that a node can read and search the log of an
 * attempt that ran on another machine (fleet mode). Present on PostgreSQL only, as
 * `store.logs`: on SQLite every attempt runs in a process that shares the store's disk, and
 * its log file is all there is.
 *
 * A shipped log is the attempt's log file cut into chunks as it was written: the same
 * masked, capped bytes (executors/log.ts), each chunk keyed by the byte offset of its first
 * byte, so the chunks in offset order are the file byte for byte. A chunk that never
 * reached the store (it stayed unreachable longer than the writer kept the bytes) leaves a
 * gap in the offsets, which readers show as such.
 */

/** One chunk to store. */
export interface LogChunkInput {
  /** `<run>.<step>.<number>`, as `AttemptRecord.id`. */
  attemptId: string;
  /** The run the attempt belongs to (chunks are found by run for a search). */
  runId: string;
  /** Byte offset of the chunk's first byte in the attempt's log, from 0. */
  offset: number;
  /** When the chunk was cut, ms since the epoch (the writer's clock). */
  at: number;
  /** Masked log bytes, at least one. */
  bytes: Buffer;
}

/** A stored chunk as read. */
export interface LogChunk {
  /** Byte offset of its first byte in the attempt's log. */
  offset: number;
  /** Its masked log bytes. */
  bytes: Buffer;
}

/** What {@link LogStore.readChunks} found. */
export interface LogChunkRead {
  /**
   * Chunks overlapping the byte range asked for, in offset order (the first may start
   * before it, the last end after it); adjacent unless bytes were never shipped.
   */
  chunks: LogChunk[];
  /** End of the last chunk stored for the attempt: the shipped log's size so far, bytes (0: none). */
  size: number;
}

/**
 * The store's part of attempt logs. Every method rejects with the driver's error when the
 * database fails.
 */
export interface LogStore {
  /**
   * Stores chunks of any attempts in one statement. Idempotent: a chunk already stored
   * (same attempt and offset, a retried write) is left as it is.
   */
  appendChunks(chunks: readonly LogChunkInput[]): Promise<void>;
  /**
   * Chunks of one attempt overlapping bytes `[offset, offset + limit)`, and the shipped size.
   * @param limit - bytes, at least 1
   */
  readChunks(attemptId: string, offset: number, limit: number): Promise<LogChunkRead>;
}
