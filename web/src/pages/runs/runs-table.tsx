/**
 * @module web/pages/runs/runs-table
 * The runs as a virtualised table (@tanstack/react-table columns, @tanstack/react-virtual
 * rows): only the rows on screen are in the DOM; scrolling near the end loads the next page.
 */
import { useEffect, useMemo, useRef } from 'react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { createColumnHelper, flexRender, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Run } from '../../api/types.js';
import { StateBadge } from '../../components/common.js';
import { Eta } from '../../components/eta.js';
import { Time, formatDuration } from '../../lib/time.js';
import { paramsText } from '../../lib/text.js';

const col = createColumnHelper<Run>();
const columns = [
  col.accessor('id', { header: 'Run', size: 170, cell: (c) => <Link className="mono" to={`/runs/${encodeURIComponent(c.getValue())}`}>{c.getValue()}</Link> }),
  col.accessor('workflow', { header: 'Workflow', size: 170 }),
  col.accessor('state', { header: 'State', size: 110, cell: (c) => <StateBadge state={c.getValue()} /> }),
  col.accessor('trigger', { header: 'Trigger', size: 90 }),
  col.accessor('priority', { header: 'Prio', size: 55 }),
  col.accessor('createdAt', { header: 'Created', size: 190, cell: (c) => <Time ms={c.getValue()} /> }),
  col.display({ id: 'duration', header: 'Duration', size: 90, cell: (c) => {
    const r = c.row.original;
    return <span className="mono">{r.startedAt !== undefined ? formatDuration((r.endedAt ?? Date.now()) - r.startedAt) : '—'}</span>;
  } }),
  col.display({ id: 'eta', header: 'ETA', size: 160, cell: (c) => <Eta run={c.row.original} compact /> }),
  col.accessor((r) => paramsText(r.params), { id: 'params', header: 'Params', size: 260, cell: (c) => <span className="mono" title={c.getValue()}>{c.getValue()}</span> }),
];

const ROW_HEIGHT = 34;

/** The table; `onNearEnd` is called when the last rows come into view (to load the next page). */
export function RunsTable({ runs, onNearEnd }: { runs: Run[]; onNearEnd: () => void }): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const table = useReactTable({ data: runs, columns, getCoreRowModel: getCoreRowModel(), getRowId: (r) => r.id });
  const rows = table.getRowModel().rows;
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => box.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtual.getVirtualItems();
  const last = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (rows.length && last >= rows.length - 20) onNearEnd();
  }, [last, rows.length, onNearEnd]);
  const widths = useMemo(() => table.getAllLeafColumns().map((c) => c.getSize()), [table]);
  const top = items[0]?.start ?? 0;
  const bottom = virtual.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  return (
    <div className="vtable" ref={box} tabIndex={0} role="region" aria-label="Runs">
      <table aria-rowcount={rows.length + 1}>
        <colgroup>{widths.map((w, i) => <col key={i} style={{ width: w }} />)}</colgroup>
        <thead>
          {table.getHeaderGroups().map((g) => (
            <tr key={g.id}>{g.headers.map((h) => <th key={h.id} scope="col">{flexRender(h.column.columnDef.header, h.getContext())}</th>)}</tr>
          ))}
        </thead>
        <tbody>
          {top > 0 && <tr aria-hidden="true"><td colSpan={columns.length} style={{ height: top, padding: 0, border: 0 }} /></tr>}
          {items.map((v) => {
            const row = rows[v.index]!;
            return (
              <tr key={row.id} data-index={v.index} aria-rowindex={v.index + 2} style={{ height: ROW_HEIGHT }}>
                {row.getVisibleCells().map((c) => <td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</td>)}
              </tr>
            );
          })}
          {bottom > 0 && <tr aria-hidden="true"><td colSpan={columns.length} style={{ height: bottom, padding: 0, border: 0 }} /></tr>}
        </tbody>
      </table>
    </div>
  );
}
