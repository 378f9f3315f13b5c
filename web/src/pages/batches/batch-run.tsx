/**
 * @module web/pages/batches/batch-run
 * A batch run as it goes: for each batch step its items done, failed and invalid of the
 * total (while it runs, the stored groups' counts the run's read gives, patched by the
 * feed's group progress as each group ends; from the step's output or failure once it ends), the failed items with their error (a validation failure names
 * the broken file) and the consolidated result saved as a JSON file.
 */
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useRun, useWorkflowVersion } from '../../api/hooks.js';
import type { RunDetail, StepRun } from '../../api/types.js';
import { ErrorNote, StateBadge } from '../../components/common.js';
import { batchSteps } from '../../lib/definition.js';
import { Time } from '../../lib/time.js';
import { download } from '../../lib/download.js';
import { itemText, readCounts, stepFailures } from './batch-result.js';

/** The run started over an upload (or opened with `?run=`), watched live. */
export function BatchRun({ runId }: { runId: string }): ReactNode {
  const detail = useRun(runId);
  if (detail.error) return <section className="panel wide"><h2>Run {runId}</h2><ErrorNote error={detail.error} /></section>;
  if (!detail.data) return <section className="panel wide"><p className="muted" role="status">Loading run…</p></section>;
  return <BatchRunView detail={detail.data} />;
}

function BatchRunView({ detail }: { detail: RunDetail }): ReactNode {
  const { run, steps } = detail;
  const version = useWorkflowVersion(run.workflow, run.version);
  const ids = new Set(batchSteps(version.data?.definition).map((s) => s.id));
  const batch = steps.filter((s) => ids.has(s.stepId));
  return (
    <section className="panel wide" aria-labelledby="batch-run-h" data-testid="batch-run">
      <div className="row">
        <h2 id="batch-run-h">Run <Link to={`/runs/${encodeURIComponent(run.id)}`} className="mono">{run.id}</Link></h2>
        <StateBadge state={run.state} />
        <span className="muted">{run.workflow}</span>
        <span className="spacer" />
        <span className="muted">created <Time ms={run.createdAt} short /></span>
      </div>
      {run.dueAt !== undefined && run.state === 'pending' && <p className="muted">Starts at <Time ms={run.dueAt} />.</p>}
      {run.reason && <p className="muted">{run.reason}</p>}
      <ErrorNote error={version.error} />
      {version.data && !batch.length && <p className="muted">This run has no batch step.</p>}
      {batch.map((s) => <BatchStep key={s.stepId} runId={run.id} step={s} />)}
    </section>
  );
}

function BatchStep({ runId, step }: { runId: string; step: StepRun }): ReactNode {
  const live = step.batch;
  const counts = readCounts(step.output) ?? readCounts(step.error?.details);
  const failures = stepFailures(step);
  const invalid = step.error?.type === 'batch-invalid';
  // A validation failure carries the invalid items only; its message says of how many.
  const ofTotal = invalid ? /(\d+) of (\d+) items/.exec(step.error?.message ?? '') : null;
  const total = counts?.total ?? live?.total ?? (ofTotal ? Number(ofTotal[2]) : 0);
  const done = counts ? counts.succeeded : live?.done ?? 0;
  const failed = counts ? counts.failed : live?.failed ?? 0;
  const bad = counts ? counts.invalid : live?.invalid ?? (invalid ? failures.length : 0);
  const pct = total > 0 ? Math.round(((done + failed + bad) / total) * 100) : 0;
  return (
    <div className="batch-step" data-testid="batch-step" data-step={step.stepId}>
      <div className="row">
        <h3>Step <span className="mono">{step.stepId}</span></h3>
        <StateBadge state={step.state} />
        <span className="spacer" />
        {step.output !== undefined && (
          <button type="button" className="primary" onClick={() => download(`${runId}-${step.stepId}.json`, 'application/json', JSON.stringify(step.output, null, 2))}>Download result</button>
        )}
      </div>
      {total > 0 || counts ? (
        <div className="row" data-testid="batch-counts">
          <span className={`progress${failed + bad > 0 ? ' bad' : ''}`} role="progressbar" aria-valuemin={0} aria-valuemax={total} aria-valuenow={done + failed + bad} aria-label="items processed">
            <span style={{ width: `${pct}%` }} />
          </span>
          <span><strong>{done}</strong> done</span>
          <span className={failed ? 'error' : 'muted'}><strong>{failed}</strong> failed</span>
          {(bad > 0 || invalid) && <span className="error"><strong>{bad}</strong> invalid</span>}
          {counts && counts.skipped > 0 && <span className="muted"><strong>{counts.skipped}</strong> skipped</span>}
          <span className="muted">of <strong>{total}</strong> items</span>
        </div>
      ) : (
        <p className="muted" role="status">{step.state === 'running' ? 'Validating and processing: counts appear as groups end.' : step.state === 'failed' ? 'No item was processed.' : 'Waiting to start.'}</p>
      )}
      {step.error && (
        <p className="error" role="alert" data-testid="batch-error">
          {invalid ? 'Validation failed: ' : ''}{step.error.message.split('\n')[0]?.replace(/:$/, '')}
        </p>
      )}
      {failures.length > 0 && (
        <div className="scroll-x">
          <table data-testid="batch-failures">
            <caption className="visually-hidden">{invalid ? 'Invalid items' : 'Failed items'}</caption>
            <thead><tr><th>{invalid ? 'Invalid item' : 'Failed item'}</th><th>{invalid ? 'Why' : 'Error'}</th></tr></thead>
            <tbody>
              {failures.slice(0, 500).map((f, i) => (
                <tr key={i}>
                  <td className="mono" title={typeof f.item === 'string' ? f.item : undefined}>{itemText(f.item)}</td>
                  <td className="error">{f.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {failures.length > 500 && <p className="muted">… and {failures.length - 500} more (in the downloaded result).</p>}
        </div>
      )}
    </div>
  );
}
