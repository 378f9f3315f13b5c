/**
 * @module web/pages/run/diagnosis-panel
 * A failed run's diagnosis (`GET /runs/{id}/diagnosis`): per failed step its class, the
 * evidence quoted (log lines link to their line in the step's log), what changed since the
 * workflow's last successful run, similar past failures and the recovery commands as text to
 * copy. An operator may apply a re-run recovery (`baton retry …`) from here, behind the same
 * confirmation dialog as the run's other actions (`POST /runs/{id}/diagnosis/apply`); a new
 * run from the workflow file is only shown.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { useDiagnosis, useRunAction } from '../../api/hooks.js';
import type { StepDiagnosis } from '../../api/types.js';
import { ConfirmDialog, ErrorNote } from '../../components/common.js';
import { useCanOperate } from './actions.js';
import { Time, formatDuration } from '../../lib/time.js';

/** Where a log line of an attempt is: the run page's `?step=&attempt=&line=&at=` jump. */
export type LogJumpTarget = (stepId: string, attempt: number, line: number, offset: number) => void;

/** The panel; renders nothing for a run that has not failed. */
export function DiagnosisPanel({ runId, failed, onJump }: { runId: string; failed: boolean; onJump: LogJumpTarget }): ReactNode {
  const d = useDiagnosis(runId, failed);
  if (!failed) return null;
  return (
    <section className="panel" aria-labelledby="diagnosis-h" data-testid="diagnosis">
      <h2 id="diagnosis-h">Diagnosis</h2>
      <ErrorNote error={d.error} />
      {!d.data && !d.error && <p className="muted" role="status">Reading the run's history…</p>}
      {d.data?.steps.length === 0 && <p className="muted">No failed attempt to diagnose.</p>}
      {d.data?.steps.map((s) => <StepDiagnosisView key={s.stepId} runId={runId} s={s} onJump={onJump} />)}
    </section>
  );
}

function StepDiagnosisView({ runId, s, onJump }: { runId: string; s: StepDiagnosis; onJump: LogJumpTarget }): ReactNode {
  const c = s.changes;
  const can = useCanOperate();
  return (
    <article data-testid={`diagnosis-${s.stepId}`}>
      <h3><span className="mono">{s.stepId}</span> #{s.attempt}: <span data-testid="diagnosis-class">{s.class}</span></h3>
      <p>{s.summary}</p>
      <h4>Evidence</h4>
      <ul className="plain mono">
        {s.evidence.map((e) => (
          <li key={e.id}>
            <strong>{e.id}</strong>{' '}
            {e.kind === 'log' && e.line !== undefined && e.offset !== undefined
              ? <button type="button" className="link" onClick={() => onJump(s.stepId, s.attempt, e.line!, e.offset!)}>line {e.line}</button>
              : <span className="muted">{e.kind === 'log' ? `byte ${e.offset ?? 0}` : e.kind}</span>}{' '}
            <span>{e.text}</span>
          </li>
        ))}
      </ul>
      <h4>Changed since the last successful run</h4>
      {c.baseline ? (
        <dl className="kv">
          <dt>Baseline</dt><dd><Link to={`/runs/${encodeURIComponent(c.baseline.runId)}`}>{c.baseline.runId}</Link>{c.baseline.endedAt !== undefined && <> (<Time ms={c.baseline.endedAt} />)</>}</dd>
          <dt>Version</dt><dd>{c.version ? <><span className="mono">{c.version.from.slice(0, 12)} → {c.version.to.slice(0, 12)}</span>{c.version.steps && ` (steps differing: ${c.version.steps.join(', ') || 'none'})`}</> : 'same'}</dd>
          <dt>Params</dt><dd className="mono">{c.params.length ? c.params.map((p) => `${p.key}: ${show(p.from)} → ${show(p.to)}`).join('; ') : 'same'}</dd>
          {c.worker && <><dt>Worker</dt><dd>{c.worker.failed ?? 'in-process'} (baseline: {c.worker.baseline ?? 'in-process'})</dd></>}
          {c.duration.attemptMs !== undefined && <><dt>Duration</dt><dd>{formatDuration(c.duration.attemptMs)}{c.duration.baselineMs !== undefined && `, baseline ${formatDuration(c.duration.baselineMs)}`}{c.duration.p95Ms !== undefined && `, p95 ${formatDuration(c.duration.p95Ms)}`}</dd></>}
          {c.peakRss.attemptBytes !== undefined && <><dt>Memory</dt><dd>{mib(c.peakRss.attemptBytes)}{c.peakRss.baselineBytes !== undefined && `, baseline ${mib(c.peakRss.baselineBytes)}`}{c.peakRss.p95Bytes !== undefined && `, p95 ${mib(c.peakRss.p95Bytes)}`}</dd></>}
        </dl>
      ) : <p className="muted">No earlier successful run of this workflow.</p>}
      <h4>Similar failures</h4>
      <p className="muted">
        {s.similar.items.length === 0 ? 'None with the same error' : `${s.similar.items.length} with the same error`} among the {s.similar.scanned} failed attempt{s.similar.scanned === 1 ? '' : 's'} of this step in the last 30 days{s.similar.truncated ? ' (the most recent ones only)' : ''}.
      </p>
      {s.similar.items.length > 0 && (
        <ul className="plain" data-testid="diagnosis-similar">
          {s.similar.items.map((f, i) => (
            <li key={`${f.runId}.${f.attempt}`}>
              <strong>s{i + 1}</strong> <Link to={`/runs/${encodeURIComponent(f.runId)}`} className="mono">{f.runId}</Link>#{f.attempt} <Time ms={f.at} />: ended by {f.endedBy}
              {f.endedBy === 'param-change' && f.fix?.params && <span className="mono"> ({f.fix.params.map((p) => `${p.key}=${show(p.to)}`).join(', ')})</span>}
            </li>
          ))}
        </ul>
      )}
      <h4>Recoveries <span className="muted">(copy and run{can ? ', or apply a retry' : ''}; none applied)</span></h4>
      <ol data-testid="diagnosis-recoveries">
        {s.recoveries.map((r, i) => (
          <li key={r.command}>
            <pre className="mono">{r.command}</pre>
            <span className="muted">{r.reason}</span>
            {can && r.command.startsWith('baton retry ') && <ApplyRecovery runId={runId} stepId={s.stepId} rank={i + 1} command={r.command} />}
          </li>
        ))}
      </ol>
    </article>
  );
}

/** The "Apply…" button of a re-run recovery and its confirmation. */
function ApplyRecovery({ runId, stepId, rank, command }: { runId: string; stepId: string; rank: number; command: string }): ReactNode {
  const act = useRunAction(runId);
  const [open, setOpen] = useState(false);
  return (
    <>
      {' '}<button type="button" onClick={() => setOpen(true)} aria-label={`Apply recovery ${rank} of step ${stepId}`}>Apply…</button>
      {open && (
        <ConfirmDialog
          title={`Apply recovery ${rank} of step ${stepId}: ${command}?`}
          confirm="Apply"
          onClose={() => setOpen(false)}
          onConfirm={() => act.mutateAsync({ kind: 'apply-recovery', step: stepId, recovery: rank })}
        />
      )}
    </>
  );
}

function show(v: unknown): string {
  return v === undefined ? '(absent)' : JSON.stringify(v);
}

function mib(b: number): string {
  return `${(b / 2 ** 20).toFixed(1)} MiB`;
}
