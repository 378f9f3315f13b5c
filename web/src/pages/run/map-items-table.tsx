/**
 * @module web/pages/run/map-items-table
 * A mapped step's items in its step panel: index, item value (JSON text), state, attempts
 * and duration, filtered by state, rows virtualised (@tanstack/react-virtual) so 10,000
 * items cost the rows in view. Choosing an item selects its step run, whose own panel shows
 * its attempts, output and log.
 */
import { useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { StepRun } from '../../api/types.js';
import { StateBadge } from '../../components/common.js';
import { formatDuration } from '../../lib/time.js';
import { jsonLine } from '../../lib/text.js';
import type { ItemFilter, MapCounts } from './map-items.js';
import { ITEM_FILTERS, filterCounts, itemRows } from './map-items.js';

const ROW_HEIGHT = 32;

/** Options of {@link MapItemsTable}. */
export interface MapItemsTableProps {
  /** The run's step runs (the items follow their mapped step). */
  steps: readonly StepRun[];
  /** The mapped step. */
  stepId: string;
  counts: MapCounts | undefined;
  /** The time now, ms since the epoch: where running items' durations end. */
  now: number;
  onSelect: (stepId: string) => void;
}

/** The items of a mapped step, as a filtered, virtualised table. */
export function MapItemsTable({ steps, stepId, counts, now, onSelect }: MapItemsTableProps): ReactNode {
  const [filter, setFilter] = useState<ItemFilter>('all');
  const rows = useMemo(() => itemRows(steps, stepId, filter), [steps, stepId, filter]);
  const tally = filterCounts(counts);
  const box = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => box.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const shown = virtual.getVirtualItems();
  const top = shown[0]?.start ?? 0;
  const bottom = virtual.getTotalSize() - (shown[shown.length - 1]?.end ?? 0);
  return (
    <section aria-labelledby="items-h" data-testid="map-items">
      <h3 id="items-h">Items</h3>
      {!counts && <p className="muted">Not expanded yet: the items are listed once the step's needs are done.</p>}
      {counts && (
        <>
          <div className="tabs" role="group" aria-label="Show items">
            {ITEM_FILTERS.map((f) => (
              <button key={f} type="button" aria-pressed={filter === f} onClick={() => setFilter(f)} data-filter={f}>
                {f} <span className="mono">({tally[f]})</span>
              </button>
            ))}
          </div>
          {rows.length === 0
            ? <p className="muted" data-testid="map-items-empty">No {filter} item.</p>
            : (
              <div className="items-table" ref={box} tabIndex={0} role="region" aria-label={`Items of ${stepId}`}>
                <table aria-rowcount={rows.length + 1}>
                  <colgroup><col style={{ width: '3rem' }} /><col /><col style={{ width: '6.75rem' }} /><col style={{ width: '3rem' }} /><col style={{ width: '4.75rem' }} /></colgroup>
                  <thead><tr><th scope="col">#</th><th scope="col">Item</th><th scope="col">State</th><th scope="col">Tries</th><th scope="col">Duration</th></tr></thead>
                  <tbody>
                    {top > 0 && <tr aria-hidden="true"><td colSpan={5} style={{ height: top, padding: 0, border: 0 }} /></tr>}
                    {shown.map((v) => {
                      const { index, step } = rows[v.index]!;
                      const value = jsonLine(step.item);
                      return (
                        <tr key={step.stepId} data-item={index} data-state={step.state} aria-rowindex={v.index + 2} style={{ height: ROW_HEIGHT }}>
                          <td><button type="button" className="link mono" onClick={() => onSelect(step.stepId)} aria-label={`show item ${step.stepId}`}>{index}</button></td>
                          <td className="mono" title={value}>{value}</td>
                          <td><StateBadge state={step.state} /></td>
                          <td className="mono">{step.attempts}</td>
                          <td className="mono">{step.startedAt !== undefined ? formatDuration((step.endedAt ?? now) - step.startedAt) : '—'}</td>
                        </tr>
                      );
                    })}
                    {bottom > 0 && <tr aria-hidden="true"><td colSpan={5} style={{ height: bottom, padding: 0, border: 0 }} /></tr>}
                  </tbody>
                </table>
              </div>
            )}
        </>
      )}
    </section>
  );
}
