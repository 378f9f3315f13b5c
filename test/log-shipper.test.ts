/**
 * The log shipper against a real PostgreSQL: flushes by size and by time, retries a flush the
 * database refused (a trigger that raises, dropped later: a real failing insert), keeps its
 * memory bounded by leaving a gap that readers show, and a shipment's close waits for its
 * bytes to be stored.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PgStore } from '../src/index.js';
import { openPostgresStore } from '../src/index.js';
import { LogShipper } from '../src/runtime/log-shipper.js';
import { readAttemptLog } from '../src/observe/index.js';
import { waitFor } from './helpers.js';
import type { TestDatabase } from './pg-helpers.js';
import { createTestDatabase, sql } from './pg-helpers.js';

let db: TestDatabase;
let store: PgStore;
let shipper: LogShipper | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
  store = openPostgresStore(db.url);
});
afterEach(async () => {
  await shipper?.close();
  shipper = undefined;
  await store.close();
  await db.drop();
});

const stored = async (attemptId: string): Promise<{ offset: number; text: string }[]> =>
  (await sql<{ o: number; bytes: Buffer }>(db.url, 'SELECT byte_offset::int AS o, bytes FROM attempt_log_chunks WHERE attempt_id = $1 ORDER BY byte_offset', [attemptId]))
    .map((r) => ({ offset: r.o, text: r.bytes.toString('utf8') }));

/** Makes every chunk insert fail until {@link heal}. */
async function breakInserts(): Promise<void> {
  await sql(db.url, `CREATE FUNCTION refuse_chunks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'store refuses chunks'; END $$;
    CREATE TRIGGER refuse BEFORE INSERT ON attempt_log_chunks FOR EACH ROW EXECUTE FUNCTION refuse_chunks()`);
}
async function heal(): Promise<void> {
  await sql(db.url, 'DROP TRIGGER refuse ON attempt_log_chunks');
}

describe('LogShipper', () => {
  it('flushes at once when flushBytes are waiting, and after flushMs otherwise', async () => {
    shipper = new LogShipper({ logs: store.logs, flushMs: 60_000, flushBytes: 1000 });
    const s = shipper.open('r', 'r.a.1');
    s.write(Buffer.from('x'.repeat(1500)));
    // Long before the 60 s timer: the size trigger flushed it.
    await waitFor(async () => (await stored('r.a.1')).length > 0, 5_000, 'a size-triggered flush');
    expect((await stored('r.a.1')).map((c) => c.text.length)).toEqual([1000, 500]);

    const timed = new LogShipper({ logs: store.logs, flushMs: 50, flushBytes: 1 << 20 });
    try {
      timed.open('r', 'r.b.1').write(Buffer.from('small\n'));
      await waitFor(async () => (await stored('r.b.1')).length > 0, 5_000, 'a timed flush');
      expect(await stored('r.b.1')).toEqual([{ offset: 0, text: 'small\n' }]);
      expect(timed.shippedBytes).toBe(6);
    } finally {
      await timed.close();
    }
  });

  it('retries a refused flush until the store takes it; close waits for the attempt\'s bytes', async () => {
    await breakInserts();
    const errors: string[] = [];
    shipper = new LogShipper({ logs: store.logs, flushMs: 10, onError: (e) => errors.push(e.message) });
    const s = shipper.open('r', 'r.a.1');
    s.write(Buffer.from('one\n'));
    s.write(Buffer.from('two\n'));
    await waitFor(() => errors.length >= 2, 5_000, 'two failed flushes');
    expect(errors[0]).toContain('store refuses chunks');
    expect(await stored('r.a.1')).toEqual([]);
    await heal();
    await s.close();
    expect(await stored('r.a.1')).toEqual([{ offset: 0, text: 'one\ntwo\n' }]);
    expect(shipper.shippedBytes).toBe(8);
  });

  it('past maxPendingBytes new bytes are not kept: the shipped log has a gap, which a reader shows', async () => {
    await breakInserts();
    let failures = 0;
    shipper = new LogShipper({ logs: store.logs, flushMs: 10, maxPendingBytes: 10, onError: () => failures++ });
    const s = shipper.open('r', 'r.a.1');
    s.write(Buffer.from('kept-01\n')); // 8 bytes: kept
    s.write(Buffer.from('dropped\n')); // 16 > 10: dropped
    await waitFor(() => failures >= 1, 5_000, 'a failed flush');
    await heal();
    await waitFor(async () => (await stored('r.a.1')).length === 1, 5_000, 'the kept bytes');
    s.write(Buffer.from('back\n'));
    await s.close();
    expect(shipper.droppedBytes).toBe(8);
    expect(await stored('r.a.1')).toEqual([{ offset: 0, text: 'kept-01\n' }, { offset: 16, text: 'back\n' }]);
    const read = await readAttemptLog(store, { id: 'r.a.1' }, 0, 1 << 20);
    expect(read).toMatchObject({ source: 'store', size: 21, next: 21 });
    expect(read.text.toString('utf8')).toBe(
      'kept-01\n\n[baton] bytes 8-15 of this log did not reach the store (it was unreachable); the log file on the worker that ran the attempt has them\nback\n',
    );
    // A read from inside the first chunk starts there.
    expect((await readAttemptLog(store, { id: 'r.a.1' }, 5, 3)).text.toString('utf8')).toBe('01\n');
  });

  it("finish hands over every byte not stored yet (queued behind a refused flush, or still held) for the caller's own statement", async () => {
    await breakInserts();
    let failures = 0;
    shipper = new LogShipper({ logs: store.logs, flushMs: 10, onError: () => failures++ });
    const s = shipper.open('r', 'r.a.1');
    s.write(Buffer.from('queued\n'));
    await waitFor(() => failures >= 1, 5_000, 'a failed flush');
    s.write(Buffer.from('held\n'));
    const final = s.finish();
    expect(final.chunks.map((c) => [c.offset, c.bytes.toString('utf8')])).toEqual([[0, 'queued\n'], [7, 'held\n']]);
    s.write(Buffer.from('after finish: file only\n'));
    await heal();
    await store.logs.appendChunks(final.chunks);
    final.stored();
    expect(shipper.shippedBytes).toBe(12);
    await shipper.close();
    // Nothing was left queued for the shipper to store on its own (or twice).
    expect(await stored('r.a.1')).toEqual([{ offset: 0, text: 'queued\n' }, { offset: 7, text: 'held\n' }]);
    expect(shipper.shippedBytes).toBe(12);
  });
});
