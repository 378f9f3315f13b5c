/**
 * @module store/postgres/logs
 * `LogStore` on PostgreSQL: attempt log chunks in `attempt_log_chunks` (migration 0010).
 */
import type pg from 'pg';
import type { LogChunkInput, LogChunkRead, LogStore } from '../log-types.js';
import type { NamedQuery } from './queries.js';
import type { Row } from '../rows.js';

const q = (name: string, text: string): NamedQuery => ({ name: `baton_${name}`, text });

/** Statements of the log store. */
const LQ = {
  /** Columns as arrays: $1 attempt_id, $2 byte_offset, $3 run_id, $4 at, $5 bytes. A chunk already there stays. */
  append: q('log_append', `INSERT INTO attempt_log_chunks (attempt_id, byte_offset, run_id, at, bytes)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bytea[])
    ON CONFLICT (attempt_id, byte_offset) DO NOTHING`),

  /**
   * $1 attempt_id, $2 offset, $3 limit (bytes). Chunks overlapping [$2, $2 + $3): from the
   * last one starting at or before $2, both ends found by the primary key; and the size
   * (end of the last chunk) from one backward index step.
   */
  read: q('log_read', `WITH first AS (
      SELECT COALESCE(max(byte_offset), 0) AS o FROM attempt_log_chunks WHERE attempt_id = $1 AND byte_offset <= $2
    ), last AS (
      SELECT byte_offset + octet_length(bytes) AS size FROM attempt_log_chunks WHERE attempt_id = $1 ORDER BY byte_offset DESC LIMIT 1
    )
    SELECT c.byte_offset, c.bytes, (SELECT size FROM last) AS size
      FROM attempt_log_chunks c, first
     WHERE c.attempt_id = $1 AND c.byte_offset >= first.o AND c.byte_offset < $2 + $3
     ORDER BY c.byte_offset`),

  /** $1 attempt_id: the size alone, when no chunk overlaps the range. */
  size: q('log_size', `SELECT byte_offset + octet_length(bytes) AS size FROM attempt_log_chunks
    WHERE attempt_id = $1 ORDER BY byte_offset DESC LIMIT 1`),

};

/** `LogStore` over the store's pool. */
export class PgLogStore implements LogStore {
  constructor(private readonly pool: pg.Pool) {}

  private async run(s: NamedQuery, values: unknown[]): Promise<Row[]> {
    return (await this.pool.query<Row>({ name: s.name, text: s.text, values })).rows;
  }

  async appendChunks(chunks: readonly LogChunkInput[]): Promise<void> {
    if (!chunks.length) return;
    await this.run(LQ.append, [
      chunks.map((c) => c.attemptId), chunks.map((c) => c.offset), chunks.map((c) => c.runId), chunks.map((c) => c.at), chunks.map((c) => c.bytes),
    ]);
  }

  async readChunks(attemptId: string, offset: number, limit: number): Promise<LogChunkRead> {
    const rows = await this.run(LQ.read, [attemptId, offset, Math.max(1, limit)]);
    if (!rows.length) {
      const [r] = await this.run(LQ.size, [attemptId]);
      return { chunks: [], size: r ? Number(r.size) : 0 };
    }
    return {
      chunks: rows.map((r) => ({ offset: Number(r.byte_offset), bytes: r.bytes as Buffer })),
      size: Number(rows[0]!.size),
    };
  }

}
