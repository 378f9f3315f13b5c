/**
 * @module web/api/feed
 * A reader of the live event stream (`GET /api/v1/events`, Server-Sent Events) over
 * `fetch` (so it sends the session cookie and can set `Last-Event-ID` itself), parsed with
 * eventsource-parser. A dropped connection is reopened after a backoff with the id of the
 * last event received, so the server resumes exactly after it: nothing is missed or repeated.
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html
 */
import { createParser } from 'eventsource-parser';
import type { FeedEvent } from './types.js';

/** Where the feed stands. */
export type FeedStatus = 'connecting' | 'open' | 'reconnecting' | 'stopped';

/** Options of {@link EventFeed}. */
export interface EventFeedOptions {
  /** Called with each event, in order. */
  onEvents(events: FeedEvent[], info: { resumed: boolean }): void;
  /** Called when the status changes; `opened` once per connection, with whether it resumed. */
  onStatus?(status: FeedStatus, info: { resumed: boolean }): void;
  /** Called when the server answers 401: the session ended; the feed stops. */
  onUnauthenticated?(): void;
  /** First backoff after a failure, ms. @default 500 */
  initialBackoffMs?: number;
  /** Longest backoff, ms. @default 15 000 */
  maxBackoffMs?: number;
  /** The stream's URL. @default '/api/v1/events' */
  url?: string;
  /** `fetch` (tests pass their own). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Random in [0, 1) for jitter. @default Math.random */
  random?: () => number;
}

/** The delay before reconnection number `n` (from 0): exponential with full jitter over its upper half. */
export function backoffMs(n: number, initial: number, max: number, random: () => number): number {
  const ceiling = Math.min(max, initial * 2 ** Math.min(n, 20));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** A live, resuming reader of the event stream. Call {@link EventFeed.start} once, {@link EventFeed.stop} to end it. */
export class EventFeed {
  private lastId: string | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private failures = 0;
  private status: FeedStatus = 'connecting';
  private wake: (() => void) | undefined;

  constructor(private readonly o: EventFeedOptions) {}

  /** The id of the last event received (what a reconnection sends as `Last-Event-ID`). */
  get lastEventId(): string | undefined {
    return this.lastId;
  }

  /** The current status. */
  get currentStatus(): FeedStatus {
    return this.status;
  }

  /** Starts reading (and reconnecting) until {@link stop}. */
  start(): void {
    void this.loop();
  }

  /** Stops reading and closes the connection. */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    this.setStatus('stopped', false);
  }

  /** Drops the current connection now (it is reopened after the backoff, resuming): for a network change. */
  reconnect(): void {
    this.abort?.abort();
  }

  private setStatus(s: FeedStatus, resumed: boolean): void {
    if (this.status === s) return;
    this.status = s;
    this.o.onStatus?.(s, { resumed });
  }

  private async loop(): Promise<void> {
    const doFetch = this.o.fetch ?? globalThis.fetch.bind(globalThis);
    const initial = this.o.initialBackoffMs ?? 500;
    const max = this.o.maxBackoffMs ?? 15_000;
    while (!this.stopped) {
      const resumed = this.lastId !== undefined;
      this.abort = new AbortController();
      let opened = false;
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
        const res = await doFetch(this.o.url ?? '/api/v1/events', { headers, credentials: 'same-origin', signal: this.abort.signal });
        if (res.status === 401) {
          this.o.onUnauthenticated?.();
          this.stop();
          return;
        }
        // A cursor the server no longer knows (pruned, another database): start from the present.
        if (res.status === 400) this.lastId = undefined;
        if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
        opened = true;
        this.setStatus('open', resumed);
        await this.read(res.body, resumed);
      } catch {
        // a dropped connection, an abort or a refused request: reconnect after the backoff
      }
      if (this.stopped) return;
      this.failures = opened ? 0 : this.failures + 1;
      this.setStatus('reconnecting', resumed);
      await this.sleep(backoffMs(this.failures, initial, max, this.o.random ?? Math.random));
    }
  }

  /** Reads one connection until it ends. */
  private async read(body: ReadableStream<Uint8Array>, resumed: boolean): Promise<void> {
    let batch: FeedEvent[] = [];
    const parser = createParser({
      onEvent: (m) => {
        if (m.id !== undefined) this.lastId = m.id;
        try {
          batch.push(JSON.parse(m.data) as FeedEvent);
        } catch {
          // a message that is not an event's JSON is skipped; its id still counts
        }
      },
    });
    const reader = body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        parser.feed(decoder.decode(value, { stream: true }));
        if (batch.length) {
          const events = batch;
          batch = [];
          this.o.onEvents(events, { resumed });
        }
      }
    } finally {
      reader.releaseLock();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }
}
