/**
 * The dashboard's pure parts, without a browser: the event feed's resumption and backoff,
 * the layered DAG layout, the runs filters in the URL and the CSV export.
 */
import { describe, expect, it } from 'vitest';
import { EventFeed, backoffMs } from '../../web/src/api/feed.js';
import type { FeedEvent } from '../../web/src/api/types.js';
import { layeredLayout, layout } from '../../web/src/pages/run/graph.js';
import { readQuery, writeQuery } from '../../web/src/pages/runs/filters.js';
import { csvField } from '../../web/src/pages/runs/csv.js';
import { waitFor } from '../helpers.js';

/** An SSE response that sends `messages` then ends (a dropped connection), or stays open with `hold`. */
function sse(messages: { id: string; data: unknown }[], hold = false): Response {
  const text = 'retry: 2000\n\n' + messages.map((m) => `id: ${m.id}\ndata: ${JSON.stringify(m.data)}\n\n`).join('');
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      // Split mid-message: the parser must join chunks.
      const bytes = new TextEncoder().encode(text);
      c.enqueue(bytes.slice(0, 25));
      c.enqueue(bytes.slice(25));
      if (!hold) c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

const event = (seq: number): FeedEvent => ({ seq, runId: 'r1', type: 'step', stepId: 's', from: 'queued', to: 'running', at: seq, workflow: 'w' });

describe('EventFeed', () => {
  it('resumes after a dropped connection with the last event id, so nothing is missed or repeated', async () => {
    const asked: (string | null)[] = [];
    const responses = [
      () => sse([{ id: '1', data: event(1) }, { id: '2', data: event(2) }]),
      () => { throw new TypeError('network down'); },
      () => sse([{ id: '3', data: event(3) }], true),
    ];
    const got: number[] = [];
    const statuses: string[] = [];
    const feed = new EventFeed({
      initialBackoffMs: 1, maxBackoffMs: 4, random: () => 0.5,
      fetch: (_url, init) => {
        asked.push(new Headers(init?.headers).get('last-event-id'));
        return Promise.resolve(responses[asked.length - 1]!());
      },
      onEvents: (events) => got.push(...events.map((e) => e.seq)),
      onStatus: (s, { resumed }) => statuses.push(`${s}${resumed ? ' (resumed)' : ''}`),
    });
    feed.start();
    await waitFor(() => got.length === 3, 2_000, 'three events');
    feed.stop();
    expect(got).toEqual([1, 2, 3]);
    expect(asked).toEqual([null, '2', '2']);
    expect(feed.lastEventId).toBe('3');
    expect(statuses).toEqual(['open', 'reconnecting', 'open (resumed)', 'stopped']);
  });

  it('stops on 401 and starts from the present after a cursor the server refuses', async () => {
    const asked: (string | null)[] = [];
    let lost = 0;
    const feed = new EventFeed({
      initialBackoffMs: 1, random: () => 0,
      fetch: (_url, init) => {
        asked.push(new Headers(init?.headers).get('last-event-id'));
        if (asked.length === 1) return Promise.resolve(sse([{ id: '9', data: event(9) }]));
        if (asked.length === 2) return Promise.resolve(new Response('{}', { status: 400 }));
        return Promise.resolve(new Response('{}', { status: 401 }));
      },
      onEvents: () => undefined,
      onUnauthenticated: () => lost++,
    });
    feed.start();
    await waitFor(() => lost === 1, 2_000, 'the 401');
    expect(asked).toEqual([null, '9', null]);
    expect(feed.currentStatus).toBe('stopped');
  });

  it('backs off exponentially up to its ceiling, with jitter over the upper half', () => {
    expect(backoffMs(0, 500, 15_000, () => 0)).toBe(250);
    expect(backoffMs(0, 500, 15_000, () => 0.999)).toBe(500);
    expect(backoffMs(3, 500, 15_000, () => 0)).toBe(2_000);
    expect(backoffMs(30, 500, 15_000, () => 0.999)).toBe(14_993);
  });
});

describe('the DAG layout', () => {
  it('ranks each step below its deepest need and keeps ranks apart', () => {
    const steps = [
      { id: 'a', needs: [] }, { id: 'b', needs: ['a'] }, { id: 'c', needs: ['a'] }, { id: 'd', needs: ['b', 'c'] }, { id: 'e', needs: ['a', 'd'] },
    ];
    for (const l of [layeredLayout(steps), layout(steps)]) {
      const y = (id: string): number => l.positions.get(id)!.y;
      expect(y('a')).toBeLessThan(y('b'));
      expect(y('b')).toBe(y('c'));
      expect(y('d')).toBeGreaterThan(y('b'));
      expect(y('e')).toBeGreaterThan(y('d'));
      expect(l.edges).toHaveLength(6);
      const row = [l.positions.get('b')!.x, l.positions.get('c')!.x].sort((p, q) => p - q);
      expect(row[1]! - row[0]!).toBeGreaterThanOrEqual(180);
    }
  });

  it('lays out 5,000 steps in a 20,000-deep-safe way, in well under a second', () => {
    const steps = Array.from({ length: 5_000 }, (_, i) => ({ id: `s${i}`, needs: i === 0 ? [] : [`s${i - 1}`] }));
    const t = Date.now();
    const l = layout(steps);
    expect(Date.now() - t).toBeLessThan(1_000);
    expect(l.positions.get('s4999')!.y).toBeGreaterThan(l.positions.get('s0')!.y);
  });

  it('cuts a cycle instead of looping', () => {
    const l = layeredLayout([{ id: 'a', needs: ['b'] }, { id: 'b', needs: ['a'] }]);
    expect(l.positions.size).toBe(2);
  });
});

describe('the runs filters', () => {
  it('round-trip through the URL and drop malformed values', () => {
    const q = { workflow: 'nightly', state: 'failed,cancelled', since: 1_700_000_000_000, params: 'region=eu' };
    expect(readQuery(writeQuery(q))).toEqual(q);
    expect(readQuery(new URLSearchParams('since=soon&until=-5&trigger='))).toEqual({});
  });
});

describe('csvField', () => {
  it('quotes as RFC 4180 says and defuses spreadsheet formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField(-3)).toBe('-3');
    expect(csvField('-3+1')).toBe("'-3+1");
    expect(csvField(undefined)).toBe('');
  });
});
