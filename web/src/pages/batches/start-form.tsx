/**
 * @module web/pages/batches/start-form
 * Starting a run over an upload: a workflow with a batch step (only those are offered),
 * the param that receives the files (by default the server's choice: the one the batch
 * step's `items` reads; when it cannot tell, its 400 `param-needed` lists the candidates,
 * which become the choices), and now, at a time or with a priority.
 */
import { useState } from 'react';
import type { ReactNode } from 'react';
import { ApiError } from '../../api/client.js';
import { ErrorNote } from '../../components/common.js';
import { START_NOW, StartWhen, startFields } from '../../components/start-when.js';
import type { StartWhenValue } from '../../components/start-when.js';
import { useBatchWorkflows, useStartBatch } from './hooks.js';
import type { Upload } from './hooks.js';

/** The candidates of a 400 `param-needed`/`bad-param` answer. */
function candidatesOf(e: unknown): string[] {
  if (!(e instanceof ApiError) || (e.code !== 'param-needed' && e.code !== 'bad-param')) return [];
  const c = (e.details as { candidates?: unknown } | undefined)?.candidates;
  return Array.isArray(c) ? c.filter((x): x is string => typeof x === 'string') : [];
}

/** The form that starts a batch run over `upload`. */
export function StartForm({ upload, onStarted }: { upload: Upload; onStarted: (runId: string) => void }): ReactNode {
  const workflows = useBatchWorkflows();
  const start = useStartBatch();
  const [name, setName] = useState('');
  const [param, setParam] = useState('');
  const [when, setWhen] = useState<StartWhenValue>(START_NOW);
  const [formError, setFormError] = useState<string>();
  const list = workflows.data ?? [];
  const chosen = list.find((w) => w.name === name) ?? list[0];
  const candidates = candidatesOf(start.error);
  const fileParams = chosen?.params.filter((p) => p.type === 'array' || p.type === 'string').map((p) => p.name) ?? [];
  const paramChoices = [...new Set([...candidates, ...fileParams])];
  const itemsParam = chosen?.steps.find((s) => s.itemsParam)?.itemsParam;

  const submit = (): void => {
    setFormError(undefined);
    if (!chosen) return;
    const fields = startFields(when);
    if (typeof fields === 'string') return setFormError(fields);
    start.mutate(
      { upload: upload.id, workflow: chosen.name, version: chosen.version, ...(param ? { param } : {}), ...fields },
      { onSuccess: (r) => onStarted(r.run.id) },
    );
  };

  return (
    <section className="panel" aria-labelledby="start-h">
      <h2 id="start-h">3. Run</h2>
      {workflows.error ? <ErrorNote error={workflows.error} /> : null}
      {!workflows.data && !workflows.error && <p className="muted" role="status">Loading workflows…</p>}
      {workflows.data && !list.length && <p className="muted">No registered workflow has a batch step (<span className="mono">batch:</span>): register one to process these files.</p>}
      {chosen && (
        <form className="stack" onSubmit={(e) => { e.preventDefault(); submit(); }}>
          <label>
            Workflow
            <select value={chosen.name} onChange={(e) => { setName(e.target.value); setParam(''); start.reset(); }} data-testid="batch-workflow">
              {list.map((w) => <option key={w.name} value={w.name}>{w.name} ({w.steps.map((s) => s.id).join(', ')})</option>)}
            </select>
          </label>
          <label>
            Param that receives the files
            <select value={param} onChange={(e) => setParam(e.target.value)} data-testid="batch-param">
              <option value="">{itemsParam ? `the server's choice (${itemsParam})` : "the server's choice"}</option>
              {paramChoices.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          </label>
          <StartWhen name="batch-when" value={when} onChange={setWhen} />
          {formError && <p className="error" role="alert">{formError}</p>}
          <ErrorNote error={start.error} />
          {candidates.length > 0 && <p className="muted">Choose one of: <span className="mono">{candidates.join(', ')}</span>.</p>}
          <div className="row">
            <span className="spacer" />
            <button type="submit" className="primary" disabled={start.isPending}>{when.when === 'at' ? 'Schedule run' : 'Start run'}</button>
          </div>
        </form>
      )}
    </section>
  );
}
