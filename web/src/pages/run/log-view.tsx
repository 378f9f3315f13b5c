/**
 * @module web/pages/run/log-view
 * An attempt's log. A long log opens on its last page (`?tail=`, 256 KiB), with earlier
 * pages loaded on demand; a search match opens the page around its byte offset. A running
 * attempt is followed live from there (`?follow=true`, a streamed response). Lines are
 * virtualised and ANSI colours become spans of text. Line numbers are shown once they are
 * known: from the start of the log, or counted back from a search match.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { request } from '../../api/client.js';
import { AnsiLine } from '../../lib/ansi.js';
import { ErrorNote } from '../../components/common.js';
import { countLines, LineSplitter, pageLines } from './log-lines.js';

/** Lines kept at most; older ones are dropped from the view (the file keeps them). */
const MAX_LINES = 200_000;
const LINE_HEIGHT = 20;

/** Options of {@link LogView}. */
export interface LogViewProps {
  runId: string;
  stepId: string;
  attempt: number;
  /** Whether the attempt is running (follow it). */
  live: boolean;
  /** A line to open the log on, scroll to and mark (a search match). */
  jumpTo?: LogJump;
}

/** Bytes of one page of a log. */
const PAGE_BYTES = 256 * 1024;

/** A line to show and mark: its number (from 1) and the byte offset of its start. */
export interface LogJump {
  line: number;
  offset: number;
}

interface LogWindow {
  /** Byte offset of the first line shown. */
  start: number;
  /** Byte offset after the last whole line shown, and the log's size when read (a jump's page may end before it). */
  end: number;
  size: number;
  lines: string[];
  /** The number of the first line shown, when known. */
  firstLine?: number;
}

/** The log of one attempt. */
export function LogView({ runId, stepId, attempt, live, jumpTo }: LogViewProps): ReactNode {
  const [view, setView] = useState<LogWindow>({ start: 0, end: 0, size: 0, lines: [] });
  const [error, setError] = useState<unknown>();
  const [following, setFollowing] = useState(false);
  const [loading, setLoading] = useState(true);
  const [stick, setStick] = useState(jumpTo === undefined);
  const box = useRef<HTMLDivElement>(null);
  const base = `/api/v1/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/attempts/${attempt}/log`;
  const jumpOffset = jumpTo?.offset;
  const jumpLine = jumpTo?.line;

  useEffect(() => {
    const abort = new AbortController();
    setView({ start: 0, end: 0, size: 0, lines: [] });
    setError(undefined);
    setLoading(true);
    const add = (more: string[]): void => {
      if (more.length) setView((old) => {
        const all = old.lines.concat(more);
        if (all.length <= MAX_LINES) return { ...old, lines: all };
        const drop = all.length - MAX_LINES;
        return { start: old.start, end: old.end, size: old.size, lines: all.slice(drop), ...(old.firstLine !== undefined ? { firstLine: old.firstLine + drop } : {}) };
      });
    };
    void (async () => {
      try {
        let res: Response;
        let from: number;
        if (jumpOffset !== undefined) {
          from = Math.max(0, jumpOffset - PAGE_BYTES / 2 - 1);
          res = await request(`${base}?offset=${from}&limit=${PAGE_BYTES}`, { signal: abort.signal });
        } else {
          res = await request(`${base}?tail=${PAGE_BYTES + 1}`, { signal: abort.signal });
          from = Number(res.headers.get('x-log-offset') ?? 0);
        }
        const next = Number(res.headers.get('x-log-next-offset') ?? 0);
        const size = Number(res.headers.get('x-log-size') ?? 0);
        const bytes = new Uint8Array(await res.arrayBuffer());
        const page = pageLines(bytes, from);
        const atEnd = next >= size;
        // A page that ends inside a line keeps that line for the follow stream or drops it.
        const whole = atEnd && !live && page.rest !== '';
        const lines = whole ? [...page.lines, page.rest] : page.lines;
        const firstLine = page.start === 0 ? 1
          : jumpOffset !== undefined && jumpLine !== undefined ? jumpLine - countLines(bytes, jumpOffset - from) + countLines(bytes, page.start - from) : undefined;
        setView({ start: page.start, end: whole ? next : page.restStart, size, lines, ...(firstLine !== undefined ? { firstLine } : {}) });
        setLoading(false);
        if (!live || !atEnd) return;
        setFollowing(true);
        const split = new LineSplitter();
        const decoder = new TextDecoder();
        split.push(page.rest);
        const stream = await request(`${base}?follow=true&offset=${next}`, { signal: abort.signal });
        const reader = stream.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          add(split.push(decoder.decode(value, { stream: true })));
        }
        add(split.flush());
        // Followed to the attempt's end: everything is shown.
        setView((old) => ({ ...old, end: old.size, size: old.size }));
      } catch (e) {
        if (!abort.signal.aborted) setError(e);
      } finally {
        if (!abort.signal.aborted) {
          setFollowing(false);
          setLoading(false);
        }
      }
    })();
    return () => abort.abort();
  }, [base, live, jumpOffset, jumpLine]);

  /** Prepends the page before the first line shown. */
  const loadEarlier = useCallback(async () => {
    const end = view.start;
    const from = Math.max(0, end - PAGE_BYTES - 1);
    try {
      const res = await request(`${base}?offset=${from}&limit=${end - from}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const page = pageLines(bytes, from);
      // The page ends where the view starts, on a line boundary: its rest is a whole line.
      const more = page.rest !== '' ? [...page.lines, page.rest] : page.lines;
      setStick(false);
      setView((old) => {
        if (old.start !== end) return old;
        const firstLine = page.start === 0 ? 1 : old.firstLine !== undefined ? old.firstLine - more.length : undefined;
        return { ...old, start: page.start, lines: more.concat(old.lines), ...(firstLine !== undefined ? { firstLine } : {}) };
      });
    } catch (e) {
      setError(e);
    }
  }, [base, view.start]);

  /** Appends the page after the last line shown (a search match's page ends before the log does). */
  const loadLater = useCallback(async () => {
    const from = view.end;
    try {
      const res = await request(`${base}?offset=${from}&limit=${PAGE_BYTES}`);
      const next = Number(res.headers.get('x-log-next-offset') ?? 0);
      const size = Number(res.headers.get('x-log-size') ?? 0);
      const page = pageLines(new Uint8Array(await res.arrayBuffer()), from, false);
      const whole = next >= size && page.rest !== '';
      setView((old) => (old.end !== from ? old : { ...old, end: whole ? next : page.restStart, size, lines: old.lines.concat(whole ? [...page.lines, page.rest] : page.lines) }));
    } catch (e) {
      setError(e);
    }
  }, [base, view.end]);

  const lines = view.lines;
  const jumpIndex = jumpLine !== undefined && view.firstLine !== undefined ? jumpLine - view.firstLine : undefined;
  const virtual = useVirtualizer({ count: lines.length, getScrollElement: () => box.current, estimateSize: () => LINE_HEIGHT, overscan: 30 });

  useEffect(() => {
    if (jumpIndex !== undefined && jumpIndex >= 0 && jumpIndex < lines.length) {
      setStick(false);
      virtual.scrollToIndex(jumpIndex, { align: 'center' });
    }
  }, [jumpIndex, lines.length, virtual]);

  // A jump holds the view on its line; following the end resumes when asked to.
  useEffect(() => {
    if (jumpOffset !== undefined) setStick(false);
  }, [jumpOffset]);

  useEffect(() => {
    if (stick && jumpIndex === undefined && lines.length) virtual.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [stick, jumpIndex, lines.length, virtual]);

  return (
    <div>
      <div className="row">
        <span className="muted" role="status" data-testid="log-status">{loading ? 'loading…' : `${lines.length} line${lines.length === 1 ? "" : "s"}${view.start > 0 ? ', not from the start' : ''}${view.end < view.size && !following ? ', not to the end' : ''}${following ? ' — following' : ''}`}</span>
        {view.start > 0 && !loading && <button type="button" onClick={() => void loadEarlier()}>Load earlier</button>}
        {view.end < view.size && !loading && !following && <button type="button" onClick={() => void loadLater()}>Load later</button>}
        <span className="spacer" />
        <label className="row"><input type="checkbox" checked={stick} onChange={(e) => setStick(e.target.checked)} /> follow the end</label>
      </div>
      <ErrorNote error={error} />
      <div
        className="log mono"
        ref={box}
        tabIndex={0}
        role="log"
        aria-label={`log of ${stepId}, attempt ${attempt}`}
        data-testid="log"
        onWheel={() => stick && setStick(false)}
      >
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((v) => (
            <div
              key={v.index}
              ref={virtual.measureElement}
              data-index={v.index}
              className={`line${jumpIndex === v.index ? ' hit' : ''}`}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
            >
              <span className="ln">{view.firstLine !== undefined ? view.firstLine + v.index : ''}</span>
              <span><AnsiLine text={lines[v.index] ?? ''} /></span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
