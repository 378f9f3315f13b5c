/**
 * @module web/pages/run
 * One run: its header and actions (and "Compare with…" another run of its workflow), the DAG coloured by step state (live from the event
 * stream), the selected step's panel with its attempts and log, and a server-side log
 * search whose matches jump to their line; a failed run's diagnosis. A mapped step is one
 * node with its items' counts, its panel lists the items, and the progress counts steps of
 * the definition and items apart. Loaded on demand: React Flow and dagre stay out
 * of the first page's bundle.
 */
import { useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useLogSearch, useRun, useStepMedians, useWorkflowVersion } from '../../api/hooks.js';
import type { RunDetail } from '../../api/types.js';
import { isRunDone } from '../../api/types.js';
import { ErrorNote, Progress, StateBadge } from '../../components/common.js';
import { Deadline, Eta } from '../../components/eta.js';
import { Time, formatDuration, useNow } from '../../lib/time.js';
import { jsonText } from '../../lib/text.js';
import { AnsiLine } from '../../lib/ansi.js';
import { Dag } from './dag.js';
import { Gantt } from './gantt.js';
import { criticalPath } from './critical-path.js';
import { definitionSteps } from './graph.js';
import { mapProgress } from './map-items.js';
import { MapItemsTable } from './map-items-table.js';
import { isMapItem, parseMapItemId, runProgress } from '../../api/map.js';
import { AnswerWait, awaitsAnswer, RerunFromStep, RunActions } from './actions.js';
import { waitingSteps } from '../../lib/definition.js';
import { StepPanel } from './step-panel.js';
import { CompareWith } from './compare-picker.js';
import { DiagnosisPanel } from './diagnosis-panel.js';

/** The run page (default export: loaded with `React.lazy`). */
export default function RunPage(): ReactNode {
  const { id = '' } = useParams();
  const detail = useRun(id);
  if (detail.error) return <><h1>Run {id}</h1><ErrorNote error={detail.error} /><p><Link to="/runs">All runs</Link></p></>;
  if (!detail.data) return <p className="muted" role="status">Loading run…</p>;
  return <RunView detail={detail.data} />;
}

function RunView({ detail }: { detail: RunDetail }): ReactNode {
  const { run, steps, attempts } = detail;
  const [sp, setSp] = useSearchParams();
  const version = useWorkflowVersion(run.workflow, run.version);
  // Items are not steps of the DAG (their mapped step's node counts them) nor options below:
  // a map of 10,000 would be 10,000 options; they are chosen in their mapped step's table.
  const stepIds = steps.map((s) => s.stepId).filter((id) => !isMapItem(id));
  // The graph depends on the definition (immutable) and the step ids, not on states: laid out once
  // (and not again when a mapped step expands).
  const stepKey = stepIds.join('\u0000');
  const graph = useMemo(() => definitionSteps(version.data?.definition, stepKey ? stepKey.split('\u0000') : []), [version.data, stepKey]);
  const waits = useMemo(() => waitingSteps(version.data?.definition), [version.data]);
  // What the run waits for now: the morning glance must show a person is needed.
  const awaiting = steps.filter((s) => s.state === 'running' && waits.has(s.stepId) && awaitsAnswer(s, run));
  // Step ids only: the options do not change with states, so thousands of them render once.
  const options = useMemo(() => (stepKey ? stepKey.split('\u0000') : []).map((id) => <option key={id} value={id}>{id}</option>), [stepKey]);
  const selected = sp.get('step') ?? steps.find((s) => s.state === 'failed')?.stepId ?? steps.find((s) => s.state === 'running')?.stepId ?? steps[0]?.stepId;
  const items = useMemo(() => mapProgress(steps), [steps]);
  const progress = useMemo(() => runProgress(steps), [steps]);
  const select = (stepId: string): void => {
    const next = new URLSearchParams(sp);
    next.set('step', stepId);
    next.delete('line');
    next.delete('at');
    next.delete('attempt');
    setSp(next, { replace: true });
  };
  const step = steps.find((s) => s.stepId === selected);
  const selectedItem = selected !== undefined && isMapItem(selected);
  // An item selected marks its mapped step's node: the DAG has no node of its own for it.
  const selectedNode = selected !== undefined ? parseMapItemId(selected)?.stepId ?? selected : undefined;
  const now = useNow();
  const medians = useStepMedians(isRunDone(run.state) ? undefined : run.workflow);
  // Recomputed as steps end (and each second for the running ones' time left).
  const path = useMemo(() => {
    if (isRunDone(run.state) || !graph.length) return { steps: [], remainingMs: 0 };
    const progress = new Map(steps.map((s) => [s.stepId, { state: s.state, ...(s.startedAt !== undefined ? { startedAt: s.startedAt } : {}) }]));
    return criticalPath(graph, progress, medians.data ?? new Map<string, number>(), now);
  }, [run.state, graph, steps, medians.data, now]);
  const pathKey = path.steps.join('\u0000');
  const critical = useMemo(() => new Set(pathKey ? pathKey.split('\u0000') : []), [pathKey]);
  const jumpLine = Number(sp.get('line'));
  const jumpAttempt = Number(sp.get('attempt'));
  const jumpOffset = sp.has('at') ? Number(sp.get('at')) : Number.NaN;
  const jump = jumpLine > 0 && jumpAttempt > 0 && jumpOffset >= 0 ? { attempt: jumpAttempt, line: jumpLine, offset: jumpOffset } : undefined;
  const jumpTo = (stepId: string, attempt: number, line: number, offset: number): void => {
    const next = new URLSearchParams(sp);
    next.set('step', stepId);
    next.set('attempt', String(attempt));
    next.set('line', String(line));
    next.set('at', String(offset));
    setSp(next, { replace: true });
  };
  return (
    <>
      <div className="row">
        <h1>Run <span className="mono">{run.id}</span></h1>
        <StateBadge state={run.pausedAt !== undefined ? 'paused' : run.state} />
        <span className="spacer" />
        <CompareWith run={run} />
        <RunActions run={run} />
      </div>
      <dl className="kv">
        <dt>Workflow</dt><dd><Link to={`/runs?workflow=${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link> <span className="muted mono">{run.version.slice(0, 12)}</span></dd>
        <dt>Progress</dt>
        <dd className="row" data-testid="run-progress">
          <Progress done={progress.steps.done} total={progress.steps.total} showUnit={progress.items.total > 0} />
          {progress.items.total > 0 && <Progress done={progress.items.done} total={progress.items.total} unit="items" showUnit />}
        </dd>
        <dt>Trigger</dt><dd>{run.trigger}{run.retryOf && <> (retry of <Link to={`/runs/${encodeURIComponent(run.retryOf)}`}>{run.retryOf}</Link>)</>}</dd>
        <dt>Priority</dt><dd>{run.priority}</dd>
        <dt>Created</dt><dd><Time ms={run.createdAt} /></dd>
        <dt>Elapsed</dt><dd>{run.startedAt !== undefined ? formatDuration((run.endedAt ?? now) - run.startedAt) : '—'}</dd>
        {run.eta && !isRunDone(run.state) && <><dt>ETA</dt><dd><Eta run={run} /></dd></>}
        {run.eta?.deadline !== undefined && !isRunDone(run.state) && <><dt>Deadline</dt><dd><Deadline run={run} now={now} /></dd></>}
        {run.reason && <><dt>Reason</dt><dd>{run.reason}</dd></>}
        <dt>Params</dt><dd><pre data-testid="run-params">{jsonText(run.params)}</pre></dd>
      </dl>
      {awaiting.length > 0 && (
        <section className="panel waiting" aria-labelledby="waiting-h" data-testid="run-waiting">
          <h2 id="waiting-h">Waiting for {awaiting.some((s) => waits.get(s.stepId)?.kind === 'approval') ? 'an answer' : 'a signal'}</h2>
          <ul className="plain">
            {awaiting.map((s) => {
              const w = waits.get(s.stepId)!;
              return (
                <li key={s.stepId} className="row">
                  <button type="button" className="link" onClick={() => select(s.stepId)}>{s.stepId}</button>
                  <span>{w.kind === 'approval' ? `approval${w.role === 'admin' ? ' by an admin' : ''}${w.message ? `: ${w.message}` : ''}` : `signal "${w.signal ?? ''}"`}</span>
                  <span className="muted">since <Time ms={s.startedAt} /> ({formatDuration(now - (s.startedAt ?? now))})</span>
                  <AnswerWait run={run} step={s} wait={w} />
                </li>
              );
            })}
          </ul>
        </section>
      )}
      <div className="run-layout">
        <div>
          <ErrorNote error={version.error} />
          {path.steps.length > 0 && (
            <p className="muted" data-testid="critical-path">
              Holding the end back: <span className="mono">{path.steps.length > 6 ? [...path.steps.slice(0, 3), '…', ...path.steps.slice(-2)].join(' → ') : path.steps.join(' → ')}</span>
              {' '}({path.steps.length} step{path.steps.length === 1 ? '' : 's'}{medians.data?.size ? `, about ${formatDuration(path.remainingMs)} left by their history` : '; no history of this workflow yet to say how long'})
            </p>
          )}
          {version.data || version.error ? <Dag key={run.version} steps={graph} states={steps} selected={selectedNode} onSelect={select} critical={critical} items={items} /> : <div className="dag" aria-busy="true" />}
          <Gantt detail={detail} now={now} selected={selected} onSelect={select} />
          <label className="row">
            Step
            <select value={selected ?? ''} onChange={(e) => select(e.target.value)} aria-label="Select a step">
              {options}
              {selectedItem && <option value={selected}>{selected}</option>}
            </select>
          </label>
          <DiagnosisPanel runId={run.id} failed={run.state === 'failed'} onJump={jumpTo} />
          <LogSearchPanel runId={run.id} onJump={jumpTo} />
        </div>
        {step && (
          <StepPanel
            key={step.stepId}
            runId={run.id}
            step={step}
            attempts={attempts.filter((a) => a.stepId === step.stepId).sort((a, b) => a.number - b.number)}
            {...(jump && sp.get('step') === step.stepId ? { jump } : {})}
            // An item is re-run with its mapped step (its items that did not succeed run again).
            actions={selectedItem ? undefined : <>{waits.has(step.stepId) && <AnswerWait run={run} step={step} wait={waits.get(step.stepId)!} />}<RerunFromStep run={run} stepId={step.stepId} /></>}
            {...(waits.has(step.stepId) ? { waits: waits.get(step.stepId)! } : {})}
            onSelect={select}
            {...(items.has(step.stepId) || graph.some((g) => g.id === step.stepId && g.mapped)
              ? { items: <MapItemsTable steps={steps} stepId={step.stepId} counts={items.get(step.stepId)} now={now} onSelect={select} /> }
              : {})}
          />
        )}
      </div>
    </>
  );
}

/** The server-side search over the run's logs; a match jumps to its step, attempt and line. */
function LogSearchPanel({ runId, onJump }: { runId: string; onJump: (stepId: string, attempt: number, line: number, offset: number) => void }): ReactNode {
  const [text, setText] = useState('');
  const [q, setQ] = useState('');
  const search = useLogSearch(runId, q);
  return (
    <section className="panel" aria-labelledby="search-h">
      <h2 id="search-h">Search the logs</h2>
      <form role="search" className="row" onSubmit={(e) => { e.preventDefault(); setQ(text.trim()); }}>
        <input type="search" aria-label="Text to find in the logs" value={text} onChange={(e) => setText(e.target.value)} placeholder="text to find" />
        <button type="submit">Search</button>
      </form>
      <ErrorNote error={search.error} />
      {search.data && (
        <>
          <p className="muted" role="status">{search.data.matches.length} match{search.data.matches.length === 1 ? '' : 'es'}{search.data.truncated ? ' (first ones only)' : ''}</p>
          <ul className="plain mono" data-testid="log-matches">
            {search.data.matches.slice(0, 200).map((m) => (
              <li key={`${m.stepId}.${m.attempt}.${m.line}`}>
                <button type="button" className="link" onClick={() => onJump(m.stepId, m.attempt, m.line, m.offset)}>{m.stepId}#{m.attempt}:{m.line}</button>{' '}
                <AnsiLine text={m.text} />
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
