/**
 * @module web/pages/run/actions
 * Operator actions on a run (operator role and up; viewers never see them, and the API
 * refuses them anyway): cancel, pause or resume, retry failed steps, retry as a new run,
 * re-run from a step, change priority, answer a waiting step (approve or reject with a note,
 * send a signal with a JSON payload). Each goes through a confirmation dialog.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { useRunAction } from '../../api/hooks.js';
import type { RunAction } from '../../api/hooks.js';
import { useSession } from '../../api/session.js';
import type { Run, StepRun } from '../../api/types.js';
import type { WaitDecl } from '../../lib/definition.js';
import { isRunDone, roleAllows } from '../../api/types.js';
import { ConfirmDialog } from '../../components/common.js';

/** Whether the signed-in role may operate runs. */
export function useCanOperate(): boolean {
  return roleAllows(useSession().session?.role, 'operator');
}

interface Pending {
  action: RunAction;
  title: string;
  confirm: string;
  danger?: boolean;
}

/** The action buttons of a run, or nothing for a viewer. */
export function RunActions({ run }: { run: Run }): ReactNode {
  const can = useCanOperate();
  const act = useRunAction(run.id);
  const navigate = useNavigate();
  const [pending, setPending] = useState<Pending>();
  const [priority, setPriority] = useState(run.priority);
  if (!can) return null;
  const done = isRunDone(run.state);
  const paused = run.pausedAt !== undefined;
  const ask = (p: Pending) => () => setPending(p);
  return (
    <div className="row" role="group" aria-label="Run actions" data-testid="run-actions">
      {!done && <button type="button" className="danger" onClick={ask({ action: { kind: 'cancel' }, title: `Cancel run ${run.id}?`, confirm: 'Cancel run', danger: true })}>Cancel…</button>}
      {!done && !paused && <button type="button" onClick={ask({ action: { kind: 'pause' }, title: `Pause run ${run.id}? Running steps finish; no new step starts.`, confirm: 'Pause' })}>Pause…</button>}
      {!done && paused && <button type="button" onClick={ask({ action: { kind: 'resume' }, title: `Resume run ${run.id}?`, confirm: 'Resume' })}>Resume…</button>}
      {run.state === 'failed' && <button type="button" onClick={ask({ action: { kind: 'retry-failed' }, title: `Retry the failed steps of run ${run.id}?`, confirm: 'Retry failed steps' })}>Retry failed…</button>}
      {done && <button type="button" onClick={ask({ action: { kind: 'retry-new' }, title: `Start a new run of ${run.workflow} with the same params?`, confirm: 'Start new run' })}>Run again…</button>}
      {(run.state === 'pending' || run.state === 'queued') && (
        <button type="button" onClick={ask({ action: { kind: 'priority', priority: run.priority }, title: `Change the priority of run ${run.id}`, confirm: 'Set priority' })}>Priority…</button>
      )}
      {pending && (
        <ConfirmDialog
          title={pending.title}
          confirm={pending.confirm}
          {...(pending.danger ? { danger: true } : {})}
          onClose={() => setPending(undefined)}
          onConfirm={async () => {
            const a: RunAction = pending.action.kind === 'priority' ? { kind: 'priority', priority } : pending.action;
            const r = (await act.mutateAsync(a)) as { run?: Run } | undefined;
            if (a.kind === 'retry-new' && r?.run && r.run.id !== run.id) void navigate(`/runs/${encodeURIComponent(r.run.id)}`);
          }}
        >
          {pending.action.kind === 'priority' && (
            <label>
              Priority (−10 to 10, higher first)
              <input type="number" min={-10} max={10} step={1} value={priority} onChange={(e) => setPriority(Math.max(-10, Math.min(10, Math.trunc(Number(e.target.value) || 0))))} />
            </label>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

/** The "re-run from this step" button of the step panel, or nothing for a viewer or a run still going. */
export function RerunFromStep({ run, stepId }: { run: Run; stepId: string }): ReactNode {
  const can = useCanOperate();
  const act = useRunAction(run.id);
  const [open, setOpen] = useState(false);
  if (!can || !isRunDone(run.state)) return null;
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>Re-run from here…</button>
      {open && (
        <ConfirmDialog
          title={`Re-run step ${stepId} and everything downstream of it?`}
          confirm="Re-run"
          onClose={() => setOpen(false)}
          onConfirm={() => act.mutateAsync({ kind: 'retry-from', step: stepId })}
        />
      )}
    </>
  );
}

/** Whether a step still waits for its answer: it has none and has not ended. */
export function awaitsAnswer(step: StepRun, run: Run): boolean {
  return step.signal === undefined && !isRunDone(run.state) && (step.state === 'running' || step.state === 'pending' || step.state === 'queued');
}

/**
 * The buttons that answer a waiting step: Approve…/Reject… with a note for an approval (shown
 * to the roles its `role` allows), Send signal… with a JSON payload for a `wait:` step.
 */
export function AnswerWait({ run, step, wait }: { run: Run; step: StepRun; wait: WaitDecl }): ReactNode {
  const role = useSession().session?.role;
  const act = useRunAction(run.id);
  const [open, setOpen] = useState<'approve' | 'reject' | 'signal'>();
  const [payload, setPayload] = useState('{}');
  if (!awaitsAnswer(step, run) || !roleAllows(role, wait.kind === 'approval' ? wait.role ?? 'operator' : 'operator')) return null;
  const close = (): void => setOpen(undefined);
  if (wait.kind === 'wait') {
    return (
      <>
        <button type="button" onClick={() => setOpen('signal')}>Send signal…</button>
        {open === 'signal' && (
          <ConfirmDialog
            title={`Send signal "${wait.signal ?? ''}" to run ${run.id}?`}
            confirm="Send signal"
            onClose={close}
            onConfirm={() => {
              let value: unknown;
              try {
                value = JSON.parse(payload);
              } catch {
                return Promise.reject(new Error('the payload is not JSON, e.g. {"version": "1.4.2"}'));
              }
              return act.mutateAsync({ kind: 'signal', name: wait.signal ?? '', payload: value });
            }}
          >
            <label>
              Payload (JSON: the waiting step's output)
              <textarea value={payload} onChange={(e) => setPayload(e.target.value)} rows={4} style={{ width: '100%' }} className="mono" />
            </label>
          </ConfirmDialog>
        )}
      </>
    );
  }
  return (
    <>
      <button type="button" className="primary" onClick={() => setOpen('approve')}>Approve…</button>
      <button type="button" className="danger" onClick={() => setOpen('reject')}>Reject…</button>
      {open && open !== 'signal' && (
        <ConfirmDialog
          title={`${open === 'approve' ? 'Approve' : 'Reject'} step ${step.stepId} of run ${run.id}?`}
          confirm={open === 'approve' ? 'Approve' : 'Reject'}
          {...(open === 'reject' ? { danger: true } : {})}
          noteLabel="Note (kept with the answer)"
          onClose={close}
          onConfirm={(note) => act.mutateAsync({ kind: 'answer', step: step.stepId, approved: open === 'approve', ...(note ? { note } : {}) })}
        >
          {wait.message && <p>{wait.message}</p>}
          {open === 'reject' && <p className="muted">The step fails (rejected, not retried); the steps after it are skipped.</p>}
        </ConfirmDialog>
      )}
    </>
  );
}
