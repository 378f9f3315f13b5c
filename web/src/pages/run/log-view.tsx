/**
 * @module web/pages/run/log-view
 * An attempt's log: read whole when the attempt has ended, followed live
 * (`?follow=true`, a streamed response) while it runs. Lines are virtualised and ANSI
 * colours become spans of text. A line to jump to (a search match) is scrolled into view
 * and marked.
 */
import { useEffect, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { request } from '../../api/client.js';
import { AnsiLine } from '../../lib/ansi.js';
import { ErrorNote } from '../../components/common.js';

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
  /** A line to scroll to and mark, from 1. */
  jumpTo?: number;
}

/** Splits streamed text into complete lines, keeping the unfinished tail. */
export class LineSplitter {
  private tail = '';

  /** Complete lines in `chunk` (with the tail of earlier chunks). */
  push(chunk: string): string[] {
    const parts = (this.tail + chunk).split('\n');
    this.tail = parts.pop() ?? '';
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  }

  /** The unfinished last line, if any. */
  flush(): string[] {
    const t = this.tail;
    this.tail = '';
    return t === '' ? [] : [t];
  }
}

/** The log of one attempt. */
export function LogView({ runId, stepId, attempt, live, jumpTo }: LogViewProps): ReactNode {
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [following, setFollowing] = useState(false);
  const [stick, setStick] = useState(true);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    const split = new LineSplitter();
    const decoder = new TextDecoder();
    setLines([]);
    setError(undefined);
    const base = `/api/v1/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(stepId)}/attempts/${attempt}/log`;
    const add = (more: string[]): void => {
      if (more.length) setLines((old) => {
        const all = old.concat(more);
        return all.length > MAX_LINES ? all.slice(all.length - MAX_LINES) : all;
      });
    };
    void (async () => {
      try {
        const res = await request(live ? `${base}?follow=true` : `${base}?limit=1048576`, { signal: abort.signal });
        setFollowing(live);
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          add(split.push(decoder.decode(value, { stream: true })));
        }
        add(split.flush());
      } catch (e) {
        if (!abort.signal.aborted) setError(e);
      } finally {
        if (!abort.signal.aborted) setFollowing(false);
      }
    })();
    return () => abort.abort();
  }, [runId, stepId, attempt, live]);

  const virtual = useVirtualizer({ count: lines.length, getScrollElement: () => box.current, estimateSize: () => LINE_HEIGHT, overscan: 30 });

  useEffect(() => {
    if (jumpTo !== undefined && jumpTo <= lines.length) {
      setStick(false);
      virtual.scrollToIndex(jumpTo - 1, { align: 'center' });
    }
  }, [jumpTo, lines.length, virtual]);

  useEffect(() => {
    if (stick && lines.length) virtual.scrollToIndex(lines.length - 1, { align: 'end' });
  }, [stick, lines.length, virtual]);

  return (
    <div>
      <div className="row">
        <span className="muted" role="status">{lines.length} lines{following ? ' — following' : ''}</span>
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
              className={`line${jumpTo === v.index + 1 ? ' hit' : ''}`}
              style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}
            >
              <span className="ln">{v.index + 1}</span>
              <span><AnsiLine text={lines[v.index] ?? ''} /></span>
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
