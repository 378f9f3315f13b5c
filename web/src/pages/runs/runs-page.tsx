/**
 * @module web/pages/runs
 * The runs list: filters (workflow, state, trigger, time range, params text) kept in the
 * URL, pages read by cursor as the table scrolls, and an export of the filtered list as CSV
 * or JSON built from the same query.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { useRunPages, useWorkflows } from '../../api/hooks.js';
import { RUN_STATES, TRIGGERS } from '../../api/types.js';
import { ErrorNote } from '../../components/common.js';
import type { RunsQuery } from './filters.js';
import { apiFilters, fromLocalInput, matchesParams, readQuery, toLocalInput, writeQuery } from './filters.js';
import { fetchAll } from './export.js';
import { download } from '../../lib/download.js';
import { runsCsv } from './csv.js';
import { RunsTable } from './runs-table.js';

/** The runs page. */
export function RunsPage(): ReactNode {
  const [sp, setSp] = useSearchParams();
  const q = useMemo(() => readQuery(sp), [sp]);
  const set = (patch: Partial<RunsQuery>): void => setSp(writeQuery({ ...q, ...patch }), { replace: true });
  const pages = useRunPages(apiFilters(q));
  const workflows = useWorkflows();
  const runs = useMemo(() => (pages.data?.pages ?? []).flatMap((p) => p.runs).filter((r) => matchesParams(r, q.params)), [pages.data, q.params]);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;
  const more = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  // The params filter is applied here: keep reading pages until a screenful matches.
  useEffect(() => {
    if (q.params && runs.length < 50) more();
  }, [q.params, runs.length, more]);
  const [exporting, setExporting] = useState<string>();
  const [exportError, setExportError] = useState<unknown>();
  const runExport = (kind: 'csv' | 'json'): void => {
    setExporting(kind);
    setExportError(undefined);
    fetchAll(q).then(({ runs: all }) => {
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      if (kind === 'csv') download(`baton-runs-${stamp}.csv`, 'text/csv', runsCsv(all));
      else download(`baton-runs-${stamp}.json`, 'application/json', JSON.stringify(all, null, 2) + '\n');
    }, setExportError).finally(() => setExporting(undefined));
  };
  const states = new Set(q.state?.split(',') ?? []);
  return (
    <>
      <h1>Runs</h1>
      <form className="filters" role="search" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <label>
          Workflow
          <select value={q.workflow ?? ''} onChange={(e) => set({ workflow: e.target.value || undefined })}>
            <option value="">all</option>
            {(workflows.data ?? []).map((w) => <option key={w.name} value={w.name}>{w.name}</option>)}
            {q.workflow && !workflows.data?.some((w) => w.name === q.workflow) && <option value={q.workflow}>{q.workflow}</option>}
          </select>
        </label>
        <label>
          State
          <select value={states.size === 1 ? [...states][0] : q.state ? 'custom' : ''} onChange={(e) => set({ state: e.target.value || undefined })}>
            <option value="">all</option>
            <option value="running,queued,pending">active</option>
            {RUN_STATES.map((s) => <option key={s} value={s}>{s}</option>)}
            {states.size > 1 && <option value="custom" disabled>{q.state}</option>}
          </select>
        </label>
        <label>
          Trigger
          <select value={q.trigger ?? ''} onChange={(e) => set({ trigger: e.target.value || undefined })}>
            <option value="">all</option>
            {TRIGGERS.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </label>
        <label>
          Created from
          <input type="datetime-local" value={toLocalInput(q.since)} onChange={(e) => set({ since: fromLocalInput(e.target.value) })} />
        </label>
        <label>
          Created before
          <input type="datetime-local" value={toLocalInput(q.until)} onChange={(e) => set({ until: fromLocalInput(e.target.value) })} />
        </label>
        <label>
          Params contain
          <input type="search" value={q.params ?? ''} placeholder="key=value" onChange={(e) => set({ params: e.target.value || undefined })} />
        </label>
        <button type="button" onClick={() => setSp(new URLSearchParams(), { replace: true })}>Clear</button>
        <span className="spacer" />
        <button type="button" onClick={() => runExport('csv')} disabled={exporting !== undefined}>{exporting === 'csv' ? 'Exporting…' : 'Export CSV'}</button>
        <button type="button" onClick={() => runExport('json')} disabled={exporting !== undefined}>{exporting === 'json' ? 'Exporting…' : 'Export JSON'}</button>
      </form>
      <ErrorNote error={pages.error ?? exportError} />
      <p className="muted" role="status">
        {pages.isPending ? 'Loading…' : `${runs.length} run${runs.length === 1 ? '' : 's'}${hasNextPage ? ' loaded, more as you scroll' : ''}`}
        {isFetchingNextPage && ' — loading more…'}
      </p>
      <RunsTable runs={runs} onNearEnd={more} />
      {hasNextPage && <p><button type="button" onClick={more} disabled={isFetchingNextPage}>Load more</button></p>}
    </>
  );
}
