/**
 * @module web/pages/run/compare-page
 * Two runs of one workflow side by side (`/runs/:id/compare/:otherId`): each run's state,
 * version, start, end and duration; their params key by key; and their steps paired by id
 * with state, duration and its change, and attempts, sorted by the biggest change in
 * duration (the sort is kept in the address, so a sorted view is a link). The earlier run
 * is the baseline whichever the page was opened from. Both runs follow the live feed, as
 * the run page does: their details are the same cache entries the feed patches.
 */
import { useMemo } from 'react';
import type { ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useRun } from '../../api/hooks.js';
import type { Run, RunDetail } from '../../api/types.js';
import { isRunDone } from '../../api/types.js';
import { ErrorNote, StateBadge } from '../../components/common.js';
import { Time, formatDuration, useNow } from '../../lib/time.js';
import { STEP_SORTS, compareRuns, defaultDir, deltaText, sortPairs, spanMs } from './compare.js';
import type { ParamDiff, RunComparison, SortDir, StepPair, StepSide, StepSort } from './compare.js';
import { CompareWith } from './compare-picker.js';
import './compare.css';

/** The comparison page (default export: loaded with `React.lazy`). */
export default function ComparePage(): ReactNode {
  const { id = '', otherId = '' } = useParams();
  const self = useRun(id);
  const other = useRun(otherId);
  const error = self.error ?? other.error;
  if (error) return <><h1>Compare runs</h1><ErrorNote error={error} /><p><Link to={`/runs/${encodeURIComponent(id)}`}>Back to run {id}</Link></p></>;
  if (!self.data || !other.data) return <p className="muted" role="status">Loading runs…</p>;
  return <CompareView self={self.data} other={other.data} />;
}

const SIDES = ['before', 'after'] as const;
const SIDE_LABEL = { before: 'earlier', after: 'later' } as const;

function CompareView({ self, other }: { self: RunDetail; other: RunDetail }): ReactNode {
  const [sp, setSp] = useSearchParams();
  const ongoing = !isRunDone(self.run.state) || !isRunDone(other.run.state);
  const clock = useNow();
  // Ended runs do not change with the clock: a fixed time keeps the comparison from being
  // recomputed every second for nothing.
  const now = ongoing ? clock : Math.max(self.run.endedAt ?? 0, other.run.endedAt ?? 0);
  const c = useMemo(() => compareRuns(self, other, now), [self, other, now]);
  const sortParam = sp.get('sort');
  const sort: StepSort = STEP_SORTS.find((s) => s === sortParam) ?? 'change';
  const dirParam = sp.get('dir');
  const dir: SortDir = dirParam === 'asc' || dirParam === 'desc' ? dirParam : defaultDir(sort);
  const rows = useMemo(() => sortPairs(c.steps, sort, dir), [c.steps, sort, dir]);
  const setSort = (by: StepSort): void => {
    const next = new URLSearchParams(sp);
    next.set('sort', by);
    next.set('dir', by === sort ? (dir === 'asc' ? 'desc' : 'asc') : defaultDir(by));
    setSp(next, { replace: true });
  };
  const run = self.run;
  return (
    <>
      <div className="row">
        <h1>Compare runs of <Link to={`/runs?workflow=${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link></h1>
        <span className="spacer" />
        <Link to={`/runs/${encodeURIComponent(run.id)}`}>Back to run <span className="mono">{run.id}</span></Link>
        <CompareWith run={run} current={other.run.id} />
      </div>
      {self.run.id === other.run.id && <p className="note" role="note">This compares run {run.id} with itself: choose another run.</p>}
      {!c.sameWorkflow && <p className="note" role="note" data-testid="other-workflow">Run {other.run.id} is of another workflow, {other.run.workflow}: its steps are paired by id all the same.</p>}
      <Summary c={c} selfId={self.run.id} now={now} />
      <section aria-labelledby="cmp-params-h" className="compare-section">
        <h2 id="cmp-params-h">Params</h2>
        <ParamsTable params={c.params} />
      </section>
      <section aria-labelledby="cmp-steps-h" className="compare-section">
        <h2 id="cmp-steps-h">Steps</h2>
        <StepsTable rows={rows} sort={sort} dir={dir} onSort={setSort} />
      </section>
    </>
  );
}

/**
 * A table's box that scrolls sideways on a narrow screen (the page itself does not): a
 * focusable, named region, so that a keyboard can scroll it too.
 */
function Scroll({ label, children }: { label: string; children: ReactNode }): ReactNode {
  return <div className="scroll-x" role="region" aria-label={label} tabIndex={0}>{children}</div>;
}

/** A run's id as a link, marked when it is the run the comparison was opened from. */
function RunLink({ run, selfId }: { run: Run; selfId: string }): ReactNode {
  return (
    <>
      <Link to={`/runs/${encodeURIComponent(run.id)}`} className="mono">{run.id}</Link>
      {run.id === selfId && <span className="compare-tag">this run</span>}
    </>
  );
}

/** The two runs' facts side by side, and a note when their workflow versions differ. */
function Summary({ c, selfId, now }: { c: RunComparison; selfId: string; now: number }): ReactNode {
  const { before, after } = c;
  const runs = { before: before.run, after: after.run };
  const duration = (r: Run): string => {
    const ms = spanMs(r, now);
    return ms === undefined ? '—' : `${formatDuration(ms)}${isRunDone(r.state) ? '' : ' so far'}`;
  };
  const row = (label: string, cell: (r: Run) => ReactNode, testid?: string): ReactNode => (
    <tr {...(testid ? { 'data-testid': testid } : {})}>
      <th scope="row">{label}</th>
      {SIDES.map((s) => <td key={s} data-side={s}>{cell(runs[s])}</td>)}
    </tr>
  );
  return (
    <>
      {!c.sameVersion && (
        <p className="note" role="note" data-testid="version-note">
          The runs are of different versions of {after.run.workflow}: a step or param may differ because the definition did.{' '}
          <Link to={`/workflows/${encodeURIComponent(after.run.workflow)}?tab=diff&from=${encodeURIComponent(before.run.version)}&to=${encodeURIComponent(after.run.version)}`}>Compare the versions</Link>
        </p>
      )}
      <Scroll label="Both runs">
        <table className="compare-summary" data-testid="compare-summary">
          <thead>
            <tr>
              <td />
              {SIDES.map((s) => <th key={s} scope="col">{s === 'before' ? 'Earlier run' : 'Later run'}</th>)}
            </tr>
          </thead>
          <tbody>
            {row('Run', (r) => <RunLink run={r} selfId={selfId} />, 'summary-run')}
            {row('Version', (r) => <span className="mono" title={r.version}>{r.version.slice(0, 12)}</span>, 'summary-version')}
            {row('State', (r) => <StateBadge state={r.pausedAt !== undefined ? 'paused' : r.state} />, 'summary-state')}
            {row('Trigger', (r) => r.trigger)}
            {row('Started', (r) => <Time ms={r.startedAt} />)}
            {row('Ended', (r) => <Time ms={r.endedAt} />)}
            {row('Duration', (r) => (
              <>
                <span className="mono">{duration(r)}</span>
                {r === after.run && c.deltaMs !== undefined && <span className={`mono delta ${deltaClass(c.deltaMs)}`}> {deltaText(c.deltaMs, c.deltaPct)}</span>}
              </>
            ), 'summary-duration')}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}

/** Slower reads as a warning, faster as good; within 1 ms as neither. */
function deltaClass(ms: number | undefined): string {
  return ms === undefined || Math.abs(ms) < 1 ? '' : ms > 0 ? 'slower' : 'faster';
}

const CHANGE_TEXT = { same: 'same', added: 'added', removed: 'removed', changed: 'changed' } as const;

/** The params key by key; what differs is marked by its row and said in words. */
function ParamsTable({ params }: { params: ParamDiff[] }): ReactNode {
  if (params.length === 0) return <p className="muted">Neither run has params.</p>;
  const differ = params.filter((p) => p.change !== 'same').length;
  return (
    <>
      <p className="muted" data-testid="params-summary">{differ === 0 ? 'The params are the same.' : `${differ} of ${params.length} param${params.length === 1 ? '' : 's'} differ.`}</p>
      <Scroll label="Params of both runs">
        <table className="compare-params" data-testid="compare-params">
          <thead><tr><th scope="col">Param</th><th scope="col">Earlier run</th><th scope="col">Later run</th><th scope="col">Change</th></tr></thead>
          <tbody>
            {params.map((p) => (
              <tr key={p.key} data-key={p.key} data-change={p.change} className={`p-${p.change}`}>
                <th scope="row" className="mono">{p.key}</th>
                <td className="mono" data-side="before">{p.before ?? <span className="muted">not set</span>}</td>
                <td className="mono" data-side="after">{p.after ?? <span className="muted">not set</span>}</td>
                <td>{CHANGE_TEXT[p.change]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Scroll>
    </>
  );
}

/** A sortable column header: a button, with the order said by `aria-sort`. */
function SortHeader({ by, sort, dir, onSort, children }: { by: StepSort; sort: StepSort; dir: SortDir; onSort: (by: StepSort) => void; children: ReactNode }): ReactNode {
  const active = by === sort;
  return (
    <th scope="col" aria-sort={active ? (dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(by)} data-sort={by}>
        {children}
        <span aria-hidden="true" className="sort-mark">{active ? (dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );
}

function StateCell({ s }: { s: StepSide | undefined }): ReactNode {
  return s ? <StateBadge state={s.state} /> : <span className="muted">not in this run</span>;
}

function DurationCell({ s }: { s: StepSide | undefined }): ReactNode {
  if (!s) return <span className="muted">—</span>;
  if (s.durationMs === undefined) return <span className="muted">not started</span>;
  return <span title={s.ongoing ? 'still going' : undefined}>{formatDuration(s.durationMs)}{s.ongoing ? '…' : ''}</span>;
}

/** The steps of both runs, one row per step id. */
function StepsTable({ rows, sort, dir, onSort }: { rows: StepPair[]; sort: StepSort; dir: SortDir; onSort: (by: StepSort) => void }): ReactNode {
  const only = (p: StepPair): 'before' | 'after' | undefined => (p.before && !p.after ? 'before' : p.after && !p.before ? 'after' : undefined);
  const sortProps = { sort, dir, onSort };
  return (
    <Scroll label="Steps of both runs">
      <table className="compare-steps" data-testid="compare-steps">
        <caption className="visually-hidden">Steps of both runs; the column headers with buttons sort the table</caption>
        <thead>
          <tr>
            <SortHeader by="step" {...sortProps}>Step</SortHeader>
            <th scope="col">State, earlier</th>
            <th scope="col">State, later</th>
            <SortHeader by="before" {...sortProps}>Duration, earlier</SortHeader>
            <SortHeader by="after" {...sortProps}>Duration, later</SortHeader>
            <SortHeader by="change" {...sortProps}>Change</SortHeader>
            <th scope="col">Attempts, earlier</th>
            <th scope="col">Attempts, later</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => {
            const o = only(p);
            return (
              <tr key={p.stepId} data-step={p.stepId} {...(o ? { 'data-only': o, className: 'only' } : {})}>
                <th scope="row">
                  <span className="mono">{p.stepId}</span>
                  {o && <span className="compare-tag">only in the {SIDE_LABEL[o]} run</span>}
                </th>
                <td data-col="state-before"><StateCell s={p.before} /></td>
                <td data-col="state-after"><StateCell s={p.after} /></td>
                <td data-col="duration-before" className="mono"><DurationCell s={p.before} /></td>
                <td data-col="duration-after" className="mono"><DurationCell s={p.after} /></td>
                <td data-col="change" className={`mono delta ${deltaClass(p.deltaMs)}`}>{deltaText(p.deltaMs, p.deltaPct)}</td>
                <td data-col="attempts-before" className="mono">{p.before?.attempts ?? '—'}</td>
                <td data-col="attempts-after" className="mono">{p.after?.attempts ?? '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Scroll>
  );
}
