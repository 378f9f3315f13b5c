/**
 * @module web/pages/run/gantt
 * The run's attempts on a time line, one row per step in the DAG's order: the wait in the
 * queue before the first attempt, each attempt coloured by its state, and the waits between
 * attempts (retry backoff). Rows are virtualised, so a 5,000-step run draws the rows in view
 * only. Selecting a row selects the step in the DAG and the step panel, and the reverse.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RunDetail } from '../../api/types.js';
import { formatDuration } from '../../lib/time.js';
import { ganttRows } from './gantt-rows.js';

const ROW_HEIGHT = 22;

/** Options of {@link Gantt}. */
export interface GanttProps {
  detail: RunDetail;
  /** The time now, ms since the epoch: where running bars end. */
  now: number;
  selected: string | undefined;
  onSelect: (stepId: string) => void;
}

/** The Gantt of a run's attempts. */
export function Gantt({ detail, now, selected, onSelect }: GanttProps): ReactNode {
  const { rows, start, end } = useMemo(() => ganttRows(detail.steps, detail.attempts, detail.run, now), [detail, now]);
  const box = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => box.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const selectedIndex = rows.findIndex((r) => r.stepId === selected);
  useEffect(() => {
    if (selectedIndex >= 0) virtual.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtual]);
  const span = Math.max(1, end - start);
  const pct = (t: number): number => ((t - start) / span) * 100;
  if (!rows.some((r) => r.bars.length)) return <p className="muted" data-testid="gantt-empty">No attempt has started yet.</p>;
  return (
    <div className="gantt" data-testid="gantt">
      <div className="gantt-axis muted" aria-hidden="true">
        <span>0s</span><span>{formatDuration(span / 2)}</span><span>{formatDuration(span)}</span>
      </div>
      <div className="gantt-rows" ref={box} role="listbox" aria-label="Steps on a time line" tabIndex={0}
        aria-activedescendant={selectedIndex >= 0 ? `gantt-${selectedIndex}` : undefined}
        onKeyDown={(e) => {
          const next = e.key === 'ArrowDown' ? selectedIndex + 1 : e.key === 'ArrowUp' ? selectedIndex - 1 : -1;
          if (next >= 0 && next < rows.length) {
            e.preventDefault();
            onSelect(rows[next]!.stepId);
          }
        }}>
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {virtual.getVirtualItems().map((v) => {
            const r = rows[v.index]!;
            return (
              <div key={r.stepId} id={`gantt-${v.index}`} role="option" aria-selected={r.stepId === selected}
                className={`gantt-row${r.stepId === selected ? ' selected' : ''}`} data-step={r.stepId}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${v.start}px)` }}
                onClick={() => onSelect(r.stepId)}>
                <span className="gantt-label mono" title={r.stepId}>{r.stepId}</span>
                <span className="gantt-track">
                  {r.bars.map((b, i) => (
                    <span key={i} className={`gantt-bar ${b.kind === 'attempt' ? `s-${b.state}` : `wait ${b.kind}`}`} data-kind={b.kind}
                      style={{ left: `${pct(b.from)}%`, width: `max(2px, ${pct(b.to) - pct(b.from)}%)` }}
                      title={`${b.kind === 'attempt' ? `attempt ${b.attempt}: ${b.state}` : b.kind === 'queued' ? 'queued' : 'waiting to retry'}, ${formatDuration(b.to - b.from)}`} />
                  ))}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
