/**
 * @module web/pages/run/step-panel
 * One step run: its state, attempts (exit code or error, duration, peak memory, CPU,
 * worker), its output as JSON text, and its log. An item of a mapped step is a step run
 * too: its panel adds the item it runs for and a way back to its mapped step.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Attempt, StepRun } from '../../api/types.js';
import { StateBadge } from '../../components/common.js';
import { Time, formatBytes, formatDuration } from '../../lib/time.js';
import { jsonText } from '../../lib/text.js';
import { parseMapItemId } from '../../api/map.js';
import { LogView } from './log-view.js';
import type { WaitDecl } from '../../lib/definition.js';

/** Options of {@link StepPanel}. */
export interface StepPanelProps {
  runId: string;
  step: StepRun;
  attempts: Attempt[];
  /** A log line to show (from a search), with its attempt. */
  jump?: { attempt: number; line: number; offset: number };
  /** Operator actions on this step (re-run from it), when allowed. */
  actions?: ReactNode;
  /** Selects another step run (an item's mapped step). */
  onSelect?: (stepId: string) => void;
  /** A mapped step's items (their table), shown after the step's facts; its output (the items' outputs) is then folded. */
  items?: ReactNode;
  /** A waiting step (`wait:`, `approval:`): what it waits for. */
  waits?: WaitDecl;
}

/** The panel of the selected step. */
export function StepPanel({ runId, step, attempts, jump, actions, onSelect, items, waits }: StepPanelProps): ReactNode {
  const latest = attempts[attempts.length - 1];
  const item = parseMapItemId(step.stepId);
  const [chosen, setChosen] = useState<number | undefined>(undefined);
  const number = jump?.attempt ?? chosen ?? latest?.number;
  const attempt = attempts.find((a) => a.number === number) ?? latest;
  return (
    <section className="panel" aria-labelledby="step-h" data-testid="step-panel">
      <div className="row">
        <h2 id="step-h">{item ? 'Item' : 'Step'} {step.stepId}</h2>
        <StateBadge state={step.state} />
        <span className="spacer" />
        {actions}
      </div>
      <dl className="kv">
        {item && (
          <>
            <dt>Mapped step</dt>
            <dd>{onSelect ? <button type="button" className="link" onClick={() => onSelect(item.stepId)} data-testid="item-parent">{item.stepId}</button> : item.stepId}, item {item.index}</dd>
            <dt>Item</dt>
            <dd><pre className="item-value" data-testid="item-value">{step.item === undefined ? '—' : JSON.stringify(step.item, null, 2)}</pre></dd>
          </>
        )}
        <dt>Attempts</dt><dd>{step.attempts}{step.lostAttempts ? ` (${step.lostAttempts} lost)` : ''}</dd>
        <dt>Started</dt><dd><Time ms={step.startedAt} /></dd>
        <dt>Duration</dt><dd>{step.startedAt !== undefined ? formatDuration((step.endedAt ?? Date.now()) - step.startedAt) : '—'}</dd>
        {step.reason && <><dt>Reason</dt><dd>{step.reason}</dd></>}
        {step.waiting && <><dt>Waiting</dt><dd>{step.waiting.reason}: {step.waiting.detail}</dd></>}
        {step.state === 'queued' && step.circuit && (
          <>
            <dt>Waiting</dt>
            <dd data-testid="step-circuit">
              circuit-open: breaker <code>{step.circuit.breaker}</code> is open;{' '}
              {step.circuit.until !== undefined ? <>next trial <Time ms={step.circuit.until} /></> : 'a trial is running'}
            </dd>
          </>
        )}
        {waits && (
          <>
            <dt>Waits for</dt>
            <dd data-testid="step-waits">
              {waits.kind === 'wait' ? <>signal <span className="mono">{waits.signal}</span></> : <>approval{waits.role === 'admin' ? ' by an admin' : ''}</>}
              {waits.message && <>: {waits.message}</>}
            </dd>
          </>
        )}
        {step.signal && (
          <>
            <dt>Answer</dt>
            <dd data-testid="step-answer">
              {step.signal.name === 'approval' ? (isApproved(step.signal.payload) ? 'approved' : 'rejected') : <>signal <span className="mono">{step.signal.name}</span></>}
              {step.signal.by && <> by {step.signal.by}</>}, <Time ms={step.signal.at} />
            </dd>
          </>
        )}
        {step.error && <><dt>Error</dt><dd className="error" data-testid="step-error">{step.error.type}: {step.error.message}</dd></>}
      </dl>
      {items}
      {step.output !== undefined && step.output !== null && (items !== undefined && Array.isArray(step.output)
        // A mapped step's output is its items' outputs in order: as long as its items, folded.
        ? (
          <details className="output">
            <summary>Output <span className="muted">(the {step.output.length} items' outputs in order)</span></summary>
            <pre className="panel" data-testid="step-output">{jsonText(step.output)}</pre>
          </details>
        )
        : (
          <>
            <h3>Output</h3>
            <pre className="panel" data-testid="step-output">{jsonText(step.output)}</pre>
          </>
        ))}
      {attempts.length > 0 && (
        <>
          <h3>Attempts</h3>
          <div className="scroll-x">
            <table>
              <thead><tr><th>#</th><th>State</th><th>Exit</th><th>Duration</th><th>Peak mem</th><th>CPU</th><th>Worker</th></tr></thead>
              <tbody>
                {attempts.map((a) => (
                  <tr key={a.id} aria-selected={a.number === attempt?.number}>
                    <td><button type="button" aria-pressed={a.number === attempt?.number} onClick={() => setChosen(a.number)} aria-label={`show attempt ${a.number}`}>{a.number}</button></td>
                    <td><StateBadge state={a.state} /></td>
                    <td className="mono" title={a.error ? `${a.error.type}: ${a.error.message}` : undefined}>{a.exitCode ?? (a.error ? a.error.type : '—')}</td>
                    <td className="mono">{formatDuration((a.endedAt ?? Date.now()) - a.startedAt)}</td>
                    <td className="mono">{formatBytes(a.peakRssBytes)}</td>
                    <td className="mono">{a.cpuMs !== undefined ? formatDuration(a.cpuMs) : '—'}</td>
                    <td>{a.worker ?? <span className="muted">local</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {attempt?.error && <p className="error">{attempt.error.type}: {attempt.error.message}</p>}
        </>
      )}
      {attempt && (
        <>
          <h3>Log of attempt {attempt.number}</h3>
          <LogView
            key={`${attempt.id}`}
            runId={runId}
            stepId={step.stepId}
            attempt={attempt.number}
            live={attempt.state === 'running'}
            {...(jump && jump.attempt === attempt.number ? { jumpTo: { line: jump.line, offset: jump.offset } } : {})}
          />
        </>
      )}
    </section>
  );
}

function isApproved(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && (payload as { approved?: unknown }).approved === true;
}
