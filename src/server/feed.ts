/**
 * @module server/feed
 * Following the durable event table: reads pages after a cursor, hands them over in order,
 * and between pages waits for a signal from this process's engine (events it just
 * committed) or at most `pollMs` (events other processes committed). The table is the
 * source of truth, so a follower that restarts from its last cursor misses nothing.
 */
import type { EventEmitter } from 'node:events';
import type { FeedEvent, FeedFilter, Store } from '../store/index.js';

/** Options of {@link followEvents}. */
export interface FollowOptions {
  store: Store;
  filter: FeedFilter;
  /**
   * Emits `events` when this process committed events: the follower reads at once. Without
   * it the follower reads every `pollMs` only (a reader that may lag, such as metrics, then
   * does one read per interval instead of one per commit).
   */
  signal?: EventEmitter;
  /** Longest wait between reads, ms. */
  pollMs: number;
  /** Events per read. @default 500 */
  pageSize?: number;
  /** Stops the loop. */
  abort: AbortSignal;
  /** Called with each store failure; the loop waits `pollMs` and reads again. */
  onError?: (e: unknown) => void;
}

/**
 * Whether `cursor` lies beyond `head` (the store's {@link Store.api.eventsHead}), i.e. no
 * store handed it out. Both stores' cursors are decimal integers joined by `-` (SQLite
 * `<seq>`, PostgreSQL `<tx>-<seq>`), ordered part by part; cursors of different shapes are
 * not compared (the store refuses a cursor of the other kind as malformed).
 */
export function cursorBeyond(cursor: string, head: string): boolean {
  const a = cursor.split('-');
  const b = head.split('-');
  if (a.length !== b.length || ![...a, ...b].every((p) => /^\d{1,30}$/.test(p))) return false;
  for (let i = 0; i < a.length; i++) {
    const x = BigInt(a[i]!);
    const y = BigInt(b[i]!);
    if (x !== y) return x > y;
  }
  return false;
}

/**
 * Calls `deliver` with every event after `cursor` (undefined: from the first event), page
 * by page, until `abort`. `deliver` may be slow (a client's socket); the next page is read
 * only after it settles.
 * @returns the cursor of the last event delivered.
 */
export async function followEvents(cursor: string | undefined, o: FollowOptions, deliver: (page: FeedEvent[]) => Promise<void> | void): Promise<string | undefined> {
  const pageSize = o.pageSize ?? 500;
  while (!o.abort.aborted) {
    let page: FeedEvent[] = [];
    try {
      page = await o.store.api.eventsAfter(cursor, o.filter, pageSize);
    } catch (e) {
      o.onError?.(e);
    }
    if (page.length) {
      await deliver(page);
      cursor = page[page.length - 1]!.cursor;
    }
    if (page.length < pageSize) await waitForSignal(o.signal, o.pollMs, o.abort);
  }
  return cursor;
}

/** Resolves on the next `events` signal, after `ms`, or on abort, whichever comes first. */
function waitForSignal(signal: EventEmitter | undefined, ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.off('events', done);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.once('events', done);
    abort.addEventListener('abort', done, { once: true });
  });
}
